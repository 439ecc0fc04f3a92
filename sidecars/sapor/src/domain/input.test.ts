import { NumberText, parseJSONText, stringifyJSON, valueToExactJSON } from '@isd/rego';
import { canonicalJson } from './digest';
import { buildRuntimeInput, buildStaticInput, withoutSecrets } from './input';

const fields = {
  application: 'app',
  pipelineName: 'deploy',
  pipelineId: 'p1',
  executionId: 'e1',
  stageId: 's2',
  triggeredBy: 'alice',
};

describe('buildRuntimeInput', () => {
  it('keeps author parameters under params only', () => {
    const input = buildRuntimeInput(fields, null, {
      verification: { score: 100 },
      application: 'evil',
      user: { username: 'root' },
    }) as unknown as Record<string, unknown>;
    expect(input.verification).toBeUndefined();
    expect(input.application).toBe('app');
    expect(input.user).toEqual({ username: 'alice' });
    expect(input.params).toEqual({ verification: { score: 100 }, application: 'evil', user: { username: 'root' } });
  });

  it('takes the trigger user from the trusted payload even when the execution says otherwise', () => {
    const input = buildRuntimeInput(
      fields,
      {
        trigger: { type: 'manual', user: 'mallory' },
        stages: [{ id: 's2', type: 'isdPolicyGate', context: { x: 1 } }],
      },
      {},
    );
    expect(input.trigger).toEqual({ type: 'manual', user: 'alice' });
    expect(input.stage).toEqual({ id: 's2', type: 'isdPolicyGate', context: { x: 1 } });
  });
});

describe('withoutSecrets', () => {
  it('drops credentials and prototype keys at any depth', () => {
    const value = JSON.parse(
      '{"a":{"customHeaders":{"X":"t"},"apiToken":"s","githubToken":"g","password":"p","keep":1},"__proto__":{"polluted":true},"list":[{"authorization":"Bearer x","ok":2}]}',
    );
    expect(withoutSecrets(value)).toEqual({ a: { keep: 1 }, list: [{ ok: 2 }] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('withoutSecrets: credentials named like environment variables, and Secret manifests', () => {
  it('drops keys ending like a credential whatever their case and separators, and keeps references to secrets', () => {
    const parameters = {
      GITHUB_TOKEN: 'ghp_x',
      DB_PASSWORD: 'p',
      AWS_SECRET_ACCESS_KEY: 's',
      'x-api-key': 'k',
      API_KEY: 'k',
      Client_Secret: 's',
      SSH_PASSPHRASE: 'p',
      service_account_private_key: 'k',
      REGION: 'eu-west-1',
      secretName: 'db-credentials',
      tokenizer: 'simple',
      passwordPolicy: 'strict',
    };
    const input = buildRuntimeInput(
      fields,
      { trigger: { type: 'manual', parameters }, stages: [{ id: 's2', context: { parameters } }] },
      { DEPLOY_TOKEN: 't', replicas: 3 },
    );
    const kept = { REGION: 'eu-west-1', secretName: 'db-credentials', tokenizer: 'simple', passwordPolicy: 'strict' };
    expect(input.trigger.parameters).toEqual(kept);
    expect(input.stage).toEqual({ id: 's2', context: { parameters: kept } });
    expect(input.params).toEqual({ replicas: 3 });
  });

  it("drops a Kubernetes Secret manifest's data and stringData, keeping what policies check", () => {
    const manifests = [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'db', labels: { app: 'shop' } },
        type: 'Opaque',
        data: { password: 'c2VjcmV0', url: 'cG9zdGdyZXM6Ly91OnBAZGI=' },
        stringData: { dsn: 'postgres://u:p@db' },
      },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { mode: 'fast' } },
    ];
    const pipeline = { name: 'deploy', stages: [{ type: 'deployManifest', manifests }] };
    expect(buildStaticInput(pipeline, undefined).pipeline).toEqual({
      name: 'deploy',
      stages: [
        {
          type: 'deployManifest',
          manifests: [
            { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', labels: { app: 'shop' } }, type: 'Opaque' },
            { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { mode: 'fast' } },
          ],
        },
      ],
    });
  });
});

describe('buildStaticInput', () => {
  it("carries Armory's pipeline and OpsMx's new/current", () => {
    expect(buildStaticInput({ name: 'p' }, undefined)).toMatchObject({
      kind: 'static',
      pipeline: { name: 'p' },
      new: { name: 'p' },
      current: null,
    });
  });
});

describe('numbers as the caller wrote them', () => {
  it('stay in the input built from a body read with their texts, in its text and its digest', () => {
    const body = valueToExactJSON(
      parseJSONText('{"new": {"replicas": 1.0, "big": 123456789012345678901234567890, "token": 1e400, "n": [-0]}}'),
    ) as { new: unknown };
    const input = buildStaticInput(body.new, undefined);
    expect(input.new).toEqual({
      replicas: new NumberText(1, '1.0'),
      big: 123456789012345678901234567890n,
      n: [new NumberText(-0, '-0')],
    });
    expect(stringifyJSON(input.new)).toBe('{"big":123456789012345678901234567890,"n":[-0],"replicas":1.0}');
    expect(canonicalJson(input.new)).toBe('{"big":123456789012345678901234567890,"n":[-0],"replicas":1.0}');
    const runtime = buildRuntimeInput(
      { application: 'a', pipelineName: null, pipelineId: null, executionId: 'e', stageId: 's', triggeredBy: null },
      null,
      valueToExactJSON(parseJSONText('{"threshold": 2.50}')),
    );
    expect(stringifyJSON(runtime.params)).toBe('{"threshold":2.50}');
  });
});
