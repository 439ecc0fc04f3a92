// User policies (sidecars/rego/test-data/user-policies) the way a user runs them through sapor: saved
// through the policy API (v0 and v1, several modules, tests run on save), read through the OPA-compatible
// Data API, and applied to pipelines by the save-time check. Every answer must equal the real `opa`'s.
import fs from 'node:fs';
import path from 'node:path';
import type { RunningService } from '@isd/kit';
import { buildStaticInput, denyMessage, saporService, type SaporConfig } from '@isd/sapor';
import {
  createTestDatabase,
  gateHeaders,
  serviceHeaders,
  startTestService,
  testServiceConfig,
} from '@isd/test-support';
import { parseJSONText } from '@isd/rego';
import { canonical, OpaServer, type Outcome } from '../rego-differential/differential';

jest.setTimeout(120_000);

const CORPUS = path.join(__dirname, '..', '..', 'sidecars', 'rego', 'test-data', 'user-policies');
const admin = 'admin@example.com';

interface UserPolicy {
  name: string;
  pkg: string[];
  regoVersion: 'v0' | 'v1';
  modules: Array<{ name: string; source: string }>;
  inputs: Record<string, unknown>;
}

function load(name: string): UserPolicy {
  const dir = path.join(CORPUS, name);
  const modules = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.rego'))
    .map((f) => ({ name: f, source: fs.readFileSync(path.join(dir, f), 'utf8') }));
  const main = modules.find((m) => m.name === 'policy.rego') as { source: string };
  const cases = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8')) as {
    regoVersion?: 'v0' | 'v1';
    inputs: Record<string, unknown>;
  };
  const pkg = (/^package\s+([\w.]+)/m.exec(main.source) as RegExpExecArray)[1] as string;
  return { name, pkg: pkg.split('.'), regoVersion: cases.regoVersion ?? 'v1', modules, inputs: cases.inputs };
}

// Save-time (static) policies under sapor's default static packages, and runtime/data-API ones.
const staticPolicies = [
  '02-allowed-accounts-per-app',
  '04-required-notifications',
  '13-json-yaml-config',
  '32-library-imports',
  '41-v0-legacy-armory',
].map(load);
const dataPolicies = [
  '10-runtime-deploy-gate',
  '17-k8s-resource-limits',
  '25-with-mocked-tests',
  '27-object-helpers',
  '35-jwt-trigger-auth',
].map(load);

let sapor: RunningService<SaporConfig>;
const opa: Partial<Record<'v0' | 'v1', OpaServer>> = {};

beforeAll(async () => {
  const config = testServiceConfig(saporService, {
    databaseUrl: await createTestDatabase('e2e_sapor_user'),
    users: { [admin]: ['admin'] },
  });
  [sapor, opa.v1, opa.v0] = await Promise.all([
    startTestService(saporService, config),
    OpaServer.start(),
    OpaServer.start({ v0Compatible: true }),
  ]);
  for (const policy of [...staticPolicies, ...dataPolicies]) {
    const response = await fetch(`${sapor.url}/api/v1/policies/${policy.name}`, {
      method: 'PUT',
      headers: gateHeaders(admin),
      body: JSON.stringify({ regoVersion: policy.regoVersion, modules: policy.modules }),
    });
    if (response.status !== 201) throw new Error(`saving ${policy.name}: ${response.status} ${await response.text()}`);
  }
});

afterAll(async () => {
  await Promise.all([sapor?.stop(), opa.v1?.stop(), opa.v0?.stop()]);
});

/** OPA's outcome for `data.<docPath>` of the policy on each input. */
function opaOutcomes(
  policy: UserPolicy,
  docPath: string[],
  inputs: unknown[],
  strictBuiltinErrors = false,
): Promise<Outcome[]> {
  const server = opa[policy.regoVersion] as OpaServer;
  return server.evaluateModules(
    policy.modules.map((m) => ({ name: `${policy.name}/${m.name}`, source: m.source })),
    inputs.map((input) => ({ path: docPath, input, strictBuiltinErrors })),
  );
}

describe('user policies through sapor', () => {
  it.each(dataPolicies.map((p) => [p.name, p] as const))(
    '%s: the Data API answers what opa answers, with and without strict builtin errors',
    async (_name, policy) => {
      const entries = Object.entries(policy.inputs);
      const differences: string[] = [];
      for (const strict of [false, true]) {
        const expected = await opaOutcomes(
          policy,
          policy.pkg,
          entries.map(([, input]) => input),
          strict,
        );
        for (const [i, [inputName, input]] of entries.entries()) {
          const query = strict ? '?strict-builtin-errors=true' : '';
          const response = await fetch(`${sapor.url}/v1/data/${policy.pkg.join('/')}${query}`, {
            method: 'POST',
            headers: serviceHeaders(),
            body: JSON.stringify({ input }),
          });
          const body = (await response.json()) as { result?: unknown };
          const theirs = expected[i] as Outcome;
          const ours =
            response.status !== 200
              ? 'error'
              : body.result === undefined
                ? 'undefined'
                : canonical(JSON.stringify(body.result));
          const want = theirs.kind === 'value' ? theirs.json : theirs.kind === 'undefined' ? 'undefined' : 'error';
          if (ours !== want)
            differences.push(`${inputName}${strict ? ' (strict)' : ''}\n  sapor: ${ours}\n  opa:   ${want}`);
        }
      }
      expect(differences).toEqual([]);
    },
  );

  it.each(
    [
      '47-rejected-policies',
      '48-rejected-conflicting-heads',
      '49-rejected-deprecated-in-v1',
      '50-rejected-redeclared',
    ].map((name) => [name, load(name)] as const),
  )('%s: a policy opa refuses is refused on save, naming the error', async (_name, policy) => {
    const [opaOutcome] = await opaOutcomes(policy, policy.pkg, [{}]);
    expect(opaOutcome?.kind).toBe('rejected');
    const response = await fetch(`${sapor.url}/api/v1/policies/${policy.name}`, {
      method: 'PUT',
      headers: gateHeaders(admin),
      body: JSON.stringify({ regoVersion: policy.regoVersion, modules: policy.modules }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(opaOutcome?.kind === 'rejected' ? opaOutcome.code : '?');
  });

  it('the save-time pipeline check denies with the messages opa gives for every static policy', async () => {
    const pipelines = staticPolicies.flatMap((policy) =>
      Object.entries(policy.inputs)
        .filter(([, input]) => typeof input === 'object' && input !== null && 'pipeline' in input)
        .map(([inputName, input]) => ({
          label: `${policy.name}/${inputName}`,
          pipeline: (input as { pipeline: unknown }).pipeline,
        })),
    );
    expect(pipelines.length).toBeGreaterThan(10);
    const differences: string[] = [];
    let denied = 0;
    for (const { label, pipeline } of pipelines) {
      const input = buildStaticInput(pipeline, undefined);
      const expected: string[] = [];
      for (const policy of staticPolicies) {
        const [outcome] = await opaOutcomes(policy, [...policy.pkg, 'deny'], [input]);
        if (outcome?.kind === 'value') expected.push(...(JSON.parse(outcome.json) as unknown[]).map(denyMessage));
      }
      const response = await fetch(`${sapor.url}/api/v1/policies/pipeline-check`, {
        method: 'POST',
        headers: serviceHeaders(),
        body: JSON.stringify({ new: pipeline }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { status: string; messages: string[] };
      if (body.status === 'deny') denied++;
      if (JSON.stringify([...body.messages].sort()) !== JSON.stringify(expected.sort()))
        differences.push(`${label}\n  sapor: ${JSON.stringify(body.messages)}\n  opa:   ${JSON.stringify(expected)}`);
      expect(body.status).toBe(expected.length > 0 ? 'deny' : 'allow');
    }
    expect(differences).toEqual([]);
    // Both outcomes occur, or the comparison says little.
    expect(denied).toBeGreaterThan(0);
    expect(denied).toBeLessThan(pipelines.length);
  });

  it("reads the input's numbers as written, as opa does (30 digits, 1e400, 1.0), on every Data API form", async () => {
    const source = `package numbers
import rego.v1

shown := sprintf("%v %v %v %v", [input.n, input.f, input.id, input.huge])
kinds := [type_name(input.n), type_name(input.id)]
exact if input.id == 123456789012345678901234567890
not_one if input.n != 1
quotient := sprintf("%v", [input.id / 7])
`;
    const put = await fetch(`${sapor.url}/api/v1/policies/numbers`, {
      method: 'PUT',
      headers: gateHeaders(admin),
      body: JSON.stringify({ regoVersion: 'v1', modules: [{ name: 'numbers.rego', source }] }),
    });
    expect(put.status).toBe(201);
    const inputText = '{"n": 1.0, "f": 2.50, "id": 123456789012345678901234567890, "huge": 1e400}';
    const [expected] = await (opa.v1 as OpaServer).evaluateModules(
      [{ name: 'numbers/numbers.rego', source }],
      [{ path: ['numbers'], input: parseJSONText(inputText) }],
    );
    expect(expected?.kind).toBe('value');
    const want = expected?.kind === 'value' ? expected.json : '';
    // JSON.parse would make the 30 digits 1.2345678901234568e+29 and 1e400 Infinity (refused as input).
    expect(want).toContain('123456789012345678901234567890 1e400');
    const answers = [
      await fetch(`${sapor.url}/v1/data/numbers`, {
        method: 'POST',
        headers: serviceHeaders(),
        body: `{"input": ${inputText}}`,
      }),
      await fetch(`${sapor.url}/v1/data/numbers?input=${encodeURIComponent(inputText)}`, { headers: serviceHeaders() }),
    ];
    const bare = await fetch(`${sapor.url}/v0/data/numbers`, {
      method: 'POST',
      headers: serviceHeaders(),
      body: inputText,
    });
    for (const response of answers) {
      expect(response.status).toBe(200);
      const body = (await response.json()) as { result: unknown };
      expect(canonical(JSON.stringify(body.result))).toBe(want);
    }
    expect(bare.status).toBe(200);
    expect(canonical(JSON.stringify(await bare.json()))).toBe(want);
  });
});
