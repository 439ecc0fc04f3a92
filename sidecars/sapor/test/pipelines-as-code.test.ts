// Pipelines as code end to end: a local bare git repository pushed to with the real git binary, the Gate
// API harness as Spinnaker, real static policies. Webhook-triggered syncs save only what changed and
// passed; a definition that fails policy or does not parse is reported and not saved; Gate down saves
// nothing; a push racing a sync (on another replica) is synced next; an edit in Deck after the diff is
// not overwritten; dry runs save nothing; promotion substitutes, is policy-checked, saved and audited.
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningService } from '@isd/kit';
import { createTestDatabase, eventually, serviceHeaders, startTestService, testServiceConfig } from '@isd/test-support';
import { startGateApi, type GateApiHarness } from '../../../test/harness/gate';
import { saporService, type SaporConfig } from '../src';
import { AuditStore } from '../src/audit/audit-store';
import { GateClient } from '../src/gate-client';
import { pipelinesAsCodeConfigSchema } from '../src/pac/config';
import { DefinitionRepository } from '../src/pac/repository';
import { PipelinesAsCode, type PipelinesAsCodeOptions } from '../src/pac/sync';
import type { PipelineCheckResult } from '../src/policy-service';
import { client, savePolicy, users } from './helpers';

const SERVICE = { username: 'sapor', password: 'internal-gate-password' };
const SECRET = 'a-webhook-secret-of-some-length';
const people = { admin: users.admin, dev: 'dev@example.com', webOnly: 'web@example.com' };

const PROD_NEEDS_JUDGMENT = `package isd.static.prod_judgment

deny contains msg if {
  some stage in input.pipeline.stages
  stage.type == "deployManifest"
  startswith(stage.account, "prod")
  not judged
  msg := sprintf("pipeline %s deploys to %s without a manual judgment", [input.pipeline.name, stage.account])
}

judged if {
  some stage in input.pipeline.stages
  stage.type == "manualJudgment"
}
`;

const DEPLOY_MODULE = [
  'parameters:',
  '  account: {}',
  '  namespace: {default: default}',
  'template:',
  '  type: deployManifest',
  '  name: Deploy to {{ account }}',
  '  account: "{{ account }}"',
  '  namespaceOverride: "{{ namespace }}"',
].join('\n');

function pipelineFile(name: string, account: string, extraStages: string[] = []): string {
  return [
    `name: ${name}`,
    'stages:',
    ...extraStages,
    '  - $module: deploy',
    `    $with: {account: ${account}, namespace: web}`,
  ].join('\n');
}

/** A bare "origin" and a working clone that commits and pushes with the real git binary. */
function createRepository(root: string) {
  const origin = path.join(root, 'origin.git');
  const work = path.join(root, 'work');
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', ...args], {
      cwd,
      encoding: 'utf8',
    }).trim();
  fs.mkdirSync(origin, { recursive: true });
  git(origin, 'init', '--quiet', '--bare', '--initial-branch=main');
  fs.mkdirSync(work);
  git(work, 'init', '--quiet', '--initial-branch=main');
  git(work, 'remote', 'add', 'origin', origin);
  return {
    url: `file://${origin}`,
    /** Writes (or, with null, deletes) files, commits and pushes; returns the commit. */
    push(files: Record<string, string | null>, branch = 'main'): string {
      git(work, 'checkout', '--quiet', '-B', branch);
      for (const [file, content] of Object.entries(files)) {
        const target = path.join(work, file);
        if (content === null) fs.rmSync(target, { force: true });
        else if (content.startsWith('symlink:')) {
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.rmSync(target, { force: true });
          fs.symlinkSync(content.slice('symlink:'.length), target);
        } else {
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.writeFileSync(target, content);
        }
      }
      git(work, 'add', '--all');
      git(work, 'commit', '--quiet', '--allow-empty', '-m', 'change');
      git(work, 'push', '--quiet', '--force', 'origin', branch);
      git(work, 'checkout', '--quiet', 'main');
      return git(work, 'rev-parse', branch);
    },
  };
}

function githubPush(ref: string, after: string, secret = SECRET) {
  const body = JSON.stringify({ ref, after, deleted: false, repository: { full_name: 'org/pipelines' } });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
  };
}

describe('pipelines as code', () => {
  let root: string;
  let repo: ReturnType<typeof createRepository>;
  let gate: GateApiHarness;
  let sapor: RunningService<SaporConfig>;
  let api: ReturnType<typeof client>;

  const syncs = async () => (await api.asService('GET', '/api/v1/pipelines-as-code/syncs')).body.syncs as any[]; // eslint-disable-line @typescript-eslint/no-explicit-any -- inspected freely
  const syncDone = (count: number) =>
    eventually(
      async () => {
        const list = await syncs();
        return list.length >= count && list[0].status !== 'running' ? list[0] : undefined;
      },
      30_000,
      `sync ${count} to finish`,
    );
  const webPipeline = (name: string) =>
    gate.pipelineConfigs.find((config) => config.application === 'web' && config.name === name);
  const saves = () => gate.requests.filter((request) => request.method === 'POST' && request.path === '/pipelines');

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sapor-pac-'));
    repo = createRepository(root);
    gate = await startGateApi({ basicAuthUsers: { [SERVICE.username]: SERVICE.password } });
    const config = testServiceConfig(saporService, {
      databaseUrl: await createTestDatabase(),
      users: {
        [people.admin]: { roles: ['admin'], admin: true },
        [people.dev]: { roles: ['dev'], applications: { web: ['READ', 'WRITE'], api: ['READ', 'WRITE'] } },
        [people.webOnly]: { roles: ['dev'], applications: { web: ['READ', 'WRITE'] } },
      },
      extra: {
        gate: { url: gate.url, ...SERVICE, timeoutMs: 2_000, retries: 1, backoffMs: 1, breakerThreshold: 100 },
        pipelinesAsCode: {
          git: { url: repo.url, ref: 'main', checkoutDir: path.join(root, 'mirror') },
          webhookSecret: SECRET,
          syncIntervalMs: 0,
        },
      },
    });
    sapor = await startTestService(saporService, config);
    api = client(sapor.url);
    await savePolicy(api, 'prod-judgment', PROD_NEEDS_JUDGMENT);
  });
  afterAll(async () => {
    await sapor?.stop();
    await gate?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('a signed push syncs: changed and passing pipelines saved, a policy denial and a malformed file reported, not saved', async () => {
    gate.pipelineConfigs.push({
      id: 'web-deploy-id',
      application: 'web',
      name: 'Deploy',
      index: 0,
      updateTs: '1700000000000',
      stages: [{ type: 'wait', waitTime: 30 }],
    });
    const commit = repo.push({
      'modules/deploy.yml': DEPLOY_MODULE,
      'web/deploy.yml': pipelineFile('Deploy', 'staging'),
      'web/prod.yml': pipelineFile('Prod', 'prod-east'),
      'api/broken.yml': 'name: Broken\nstages:\n  - a\n - b\n',
    });
    const { body, headers } = githubPush('refs/heads/main', commit);
    const response = await api.raw('POST', '/api/v1/pipelines-as-code/webhook', body, headers);
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ queued: true, commit });

    const sync = await syncDone(1);
    expect(sync).toMatchObject({
      commit,
      status: 'partial',
      trigger: 'webhook:github',
      counts: { saved: 1, denied: 1, invalid: 1 },
    });
    const items = Object.fromEntries(sync.items.map((item: { name: string }) => [item.name, item]));
    expect(items.Deploy).toMatchObject({
      application: 'web',
      file: 'web/deploy.yml',
      action: 'update',
      outcome: 'saved',
    });
    expect(items.Deploy.diff).toEqual(
      expect.arrayContaining([expect.objectContaining({ op: 'replace', path: '/stages/0/type' })]),
    );
    expect(items.Prod).toMatchObject({
      outcome: 'denied',
      policy: { status: 'deny', messages: ['pipeline Prod deploys to prod-east without a manual judgment'] },
    });
    expect(sync.errors).toEqual([
      expect.objectContaining({ file: 'api/broken.yml', line: 4, message: expect.stringMatching(/not valid YAML/) }),
    ]);

    // Saved over the existing config (its id kept, stale-checked against what was diffed), nothing else.
    expect(webPipeline('Deploy')).toMatchObject({
      id: 'web-deploy-id',
      index: 0,
      stages: [{ type: 'deployManifest', name: 'Deploy to staging', account: 'staging', namespaceOverride: 'web' }],
    });
    expect(webPipeline('Prod')).toBeUndefined();
    expect(saves()).toHaveLength(1);
    expect(saves()[0]!.query).toEqual({ staleCheck: 'true' });

    const audit = await api.asService('GET', '/api/v1/audit?type=pipeline');
    expect(
      audit.body.records
        .map((record: { outcome: string; subject: { pipeline: string } }) => [record.subject.pipeline, record.outcome])
        .sort(),
    ).toEqual([
      ['Deploy', 'saved'],
      ['Prod', 'denied'],
    ]);
  });

  it('lists syncs newest first, a page at a time', async () => {
    const [newest] = (await api.asService('GET', '/api/v1/pipelines-as-code/syncs?limit=1')).body.syncs;
    const next = await api.asService('GET', `/api/v1/pipelines-as-code/syncs?limit=1&before=${newest.id}`);
    expect(next.body.syncs).toEqual([]);
    expect((await api.asService('GET', `/api/v1/pipelines-as-code/syncs/${newest.id}`)).body.id).toBe(newest.id);
    const dev = await api.asUser(people.dev, 'GET', '/api/v1/pipelines-as-code/syncs');
    expect(dev).toMatchObject({ status: 403, body: { type: 'urn:isd:problem:not_pipelines_admin' } });
    expect((await api.asService('GET', '/api/v1/pipelines-as-code/syncs?limit=0')).status).toBe(400);
  });

  it('a sync with nothing changed saves nothing', async () => {
    const before = saves().length;
    expect((await api.asUser(people.admin, 'POST', '/api/v1/pipelines-as-code/syncs')).status).toBe(202);
    const sync = await syncDone(2);
    expect(sync.items.find((item: { name: string }) => item.name === 'Deploy')).toMatchObject({
      action: 'unchanged',
      outcome: 'unchanged',
      diff: [],
      policy: null, // nothing to save, so not evaluated (no decision log entry per pipeline per sync)
    });
    expect(saves()).toHaveLength(before);
    const [, first] = (await api.asService('GET', '/api/v1/pipelines-as-code/syncs?limit=1')).body.syncs.concat(
      (await api.asService('GET', `/api/v1/pipelines-as-code/syncs?limit=1&before=${sync.id}`)).body.syncs,
    );
    expect(first.trigger).toBe('webhook:github');
    // Prod is denied again, from the same commit: one audit record, not one per sync.
    const audit = await api.asService('GET', '/api/v1/audit?type=pipeline');
    expect(audit.body.records.filter((record: { outcome: string }) => record.outcome === 'denied')).toHaveLength(1);
  });

  it('refuses webhooks without the right signature or token, and ignores other refs and events', async () => {
    const { body, headers } = githubPush('refs/heads/main', 'abc');
    const wrong = githubPush('refs/heads/main', 'abc', 'another-secret-of-some-length');
    const missing = await api.raw('POST', '/api/v1/pipelines-as-code/webhook', body, {
      ...headers,
      'x-hub-signature-256': '',
    });
    expect(missing).toMatchObject({ status: 401, body: { type: 'urn:isd:problem:webhook_signature_missing' } });
    const bad = await api.raw('POST', '/api/v1/pipelines-as-code/webhook', body, wrong.headers);
    expect(bad).toMatchObject({ status: 401, body: { type: 'urn:isd:problem:webhook_signature_invalid' } });
    const tampered = await api.raw('POST', '/api/v1/pipelines-as-code/webhook', body.replace('abc', 'abd'), headers);
    expect(tampered.status).toBe(401);
    const gitlab = await api.raw('POST', '/api/v1/pipelines-as-code/webhook', '{"ref":"refs/heads/main"}', {
      'content-type': 'application/json',
      'x-gitlab-event': 'Push Hook',
      'x-gitlab-token': 'not-the-secret',
    });
    expect(gitlab).toMatchObject({ status: 401, body: { type: 'urn:isd:problem:webhook_signature_invalid' } });
    const unknown = await api.raw('POST', '/api/v1/pipelines-as-code/webhook', body, {
      'content-type': 'application/json',
    });
    expect(unknown).toMatchObject({ status: 400, body: { type: 'urn:isd:problem:webhook_unknown' } });

    const other = githubPush('refs/heads/feature', 'abc');
    expect(await api.raw('POST', '/api/v1/pipelines-as-code/webhook', other.body, other.headers)).toMatchObject({
      status: 200,
      body: { queued: false, reason: expect.stringMatching(/refs\/heads\/feature, not main/) },
    });
    const ping = { ...headers, 'x-github-event': 'ping' };
    expect(await api.raw('POST', '/api/v1/pipelines-as-code/webhook', body, ping)).toMatchObject({
      status: 200,
      body: { queued: false },
    });
    expect(await syncs()).toHaveLength(2);
  });

  it('dry runs an uploaded tree and another ref: rendered pipelines, diffs and policy results, nothing saved', async () => {
    const before = saves().length;
    const uploaded = await api.asService('POST', '/api/v1/pipelines-as-code/dry-run', {
      files: {
        'modules/deploy.yml': DEPLOY_MODULE,
        'web/deploy.yml': pipelineFile('Deploy', 'staging-2'),
        'web/prod.yml': pipelineFile('Prod', 'prod-east', ['  - {type: manualJudgment, name: Approve}']),
        'web/bad.json': '{"name": "Bad", "stages": [{"$module": "deploy", "$with": {"acount": "x"}}]}',
      },
    });
    expect(uploaded.status).toBe(200);
    const items = Object.fromEntries(uploaded.body.items.map((item: { name: string }) => [item.name, item]));
    expect(items.Deploy).toMatchObject({ action: 'update', outcome: 'would-save', pipeline: { id: 'web-deploy-id' } });
    expect(items.Deploy.diff).toEqual(
      expect.arrayContaining([{ op: 'replace', path: '/stages/0/account', value: 'staging-2' }]),
    );
    expect(items.Prod).toMatchObject({ action: 'create', outcome: 'would-save', policy: { status: 'allow' } });
    expect(uploaded.body.errors).toEqual([
      expect.objectContaining({
        file: 'web/bad.json',
        path: '$.stages[0].$with.acount',
        message: expect.stringMatching(/no parameter acount/),
      }),
    ]);

    const branch = repo.push({ 'web/deploy.yml': pipelineFile('Deploy', 'prod-west') }, 'feature');
    const byRef = await api.asService('POST', '/api/v1/pipelines-as-code/dry-run', { ref: branch });
    expect(byRef.status).toBe(200);
    expect(byRef.body.commit).toBe(branch);
    expect(byRef.body.items.find((item: { name: string }) => item.name === 'Deploy')).toMatchObject({
      outcome: 'denied',
      policy: { messages: ['pipeline Deploy deploys to prod-west without a manual judgment'] },
    });
    expect(saves()).toHaveLength(before);

    const evil = repo.push(
      { 'web/evil.yml': 'symlink:/etc/passwd', 'modules/evil.json': 'symlink:../web/deploy.yml' },
      'evil',
    );
    const linked = await api.asService('POST', '/api/v1/pipelines-as-code/dry-run', { ref: evil });
    expect(linked.body.errors).toEqual(
      expect.arrayContaining([
        { file: 'web/evil.yml', message: expect.stringMatching(/symbolic link/) },
        { file: 'modules/evil.json', message: expect.stringMatching(/symbolic link/) },
      ]),
    );

    const notReadable = await api.asUser(people.webOnly, 'POST', '/api/v1/pipelines-as-code/dry-run', {
      files: { 'api/x.yml': 'name: X' },
    });
    expect(notReadable).toMatchObject({ status: 403, body: { type: 'urn:isd:problem:application_not_readable' } });
    const badRef = await api.asService('POST', '/api/v1/pipelines-as-code/dry-run', {
      ref: '--upload-pack=touch /tmp/x',
    });
    expect(badRef).toMatchObject({ status: 400, body: { field: 'body.ref' } });
    // A ref or commit the repository does not have is the caller's mistake: 400, not a 503 a client retries.
    for (const ref of ['no-such-branch', '0123456789abcdef0123456789abcdef01234567']) {
      const unknown = await api.asUser(people.dev, 'POST', '/api/v1/pipelines-as-code/dry-run', { ref });
      expect(unknown).toMatchObject({
        status: 400,
        body: { type: 'urn:isd:problem:ref_not_found', field: 'body.ref', detail: expect.stringContaining(ref) },
      });
    }
    // git fetches one ref at a time for everyone: a user's dry runs of refs do not queue up behind each other.
    const together = await Promise.all(
      Array.from({ length: 8 }, () =>
        api.asUser(people.dev, 'POST', '/api/v1/pipelines-as-code/dry-run', { ref: branch }),
      ),
    );
    const statuses = together.map((answer) => answer.status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
    expect(together.find((answer) => answer.status === 429)?.body.detail).toMatch(/one at a time/);
    const traversal = await api.asService('POST', '/api/v1/pipelines-as-code/dry-run', {
      files: { '../etc/x.yml': 'name: x' },
    });
    expect(traversal.status).toBe(400);
  });

  it('with Gate down the sync fails naming Gate and saves nothing; the next sync after Gate is back saves', async () => {
    repo.push({ 'web/deploy.yml': pipelineFile('Deploy', 'staging-3') });
    const before = saves().length;
    gate.down = true;
    try {
      await api.asService('POST', '/api/v1/pipelines-as-code/syncs');
      const failed = await syncDone(3);
      expect(failed).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(/Gate is unreachable for pipeline configs of web/),
      });
    } finally {
      gate.down = false;
    }
    expect(saves()).toHaveLength(before);
    await api.asService('POST', '/api/v1/pipelines-as-code/syncs');
    expect(await syncDone(4)).toMatchObject({ counts: { saved: 1 } });
    expect(webPipeline('Deploy')!.stages).toEqual([expect.objectContaining({ account: 'staging-3' })]);
  });

  describe('with replicas syncing the same repository', () => {
    const policy: PipelinesAsCodeOptions['policy'] = {
      // The running sapor's own save-time check, over HTTP.
      async pipelineCheck(pipeline: unknown, current: unknown) {
        const response = await fetch(`${sapor.url}/api/v1/policies/pipeline-check`, {
          method: 'POST',
          headers: { ...serviceHeaders(), 'content-type': 'application/json' },
          body: JSON.stringify({ new: pipeline, ...(current ? { current } : {}) }),
        });
        return (await response.json()) as PipelineCheckResult;
      },
    };
    const replica = (
      name: string,
      hooks: Pick<PipelinesAsCodeOptions, 'afterFetch' | 'afterPlan'> = {},
      syncIntervalMs = 0,
      applications: string[] = [],
      overrides: { ref?: string; limits?: Record<string, number> } = {},
    ) => {
      const config = pipelinesAsCodeConfigSchema.parse({
        git: { url: repo.url, ref: overrides.ref ?? 'main', checkoutDir: path.join(root, `mirror-${name}`) },
        syncIntervalMs,
        applications,
        limits: overrides.limits,
      });
      return new PipelinesAsCode({
        database: sapor.database,
        gate: new GateClient({
          url: gate.url,
          auth: { kind: 'basic', ...SERVICE },
          timeoutMs: 2_000,
          maxResponseBytes: 1e7,
        }),
        policy,
        audit: new AuditStore(sapor.database),
        repository: new DefinitionRepository(config.git, config.limits),
        config,
        logger: sapor.logger,
        ...hooks,
      });
    };

    it('a push racing a sync on one replica, announced to another, is synced next: no lost update', async () => {
      const first = repo.push({ 'web/deploy.yml': pipelineFile('Deploy', 'staging-4') });
      let second = '';
      const other = replica('b');
      let raced = false;
      const racing = replica('a', {
        afterFetch: async (tree) => {
          if (raced) return;
          raced = true;
          expect(tree.commit).toBe(first);
          second = repo.push({ 'web/deploy.yml': pipelineFile('Deploy', 'staging-5') });
          // The webhook lands on the other replica while this one holds the lease: it must not sync itself.
          await other.trigger('webhook:github');
        },
      });
      const before = (await syncs()).length;
      await racing.trigger('timer');
      const list = await syncs();
      expect(list).toHaveLength(before + 2);
      expect(list[1]).toMatchObject({
        commit: first,
        items: expect.arrayContaining([expect.objectContaining({ name: 'Deploy', outcome: 'saved' })]),
      });
      expect(list[0]).toMatchObject({
        commit: second,
        trigger: 'webhook:github',
        items: expect.arrayContaining([expect.objectContaining({ name: 'Deploy', outcome: 'saved' })]),
      });
      expect(webPipeline('Deploy')!.stages).toEqual([expect.objectContaining({ account: 'staging-5' })]);
      await Promise.all([racing.stop(), other.stop()]);
    });

    it('a pipeline edited in Spinnaker after the diff is reported as a conflict, not overwritten', async () => {
      repo.push({ 'web/deploy.yml': pipelineFile('Deploy', 'staging-6') });
      const racing = replica('c', {
        afterPlan: async () => {
          // Someone saves the pipeline in Deck between sapor's diff and its save.
          const edited = webPipeline('Deploy')!;
          edited.stages = [{ type: 'wait', waitTime: 1 }];
          edited.updateTs = String(Number(edited.updateTs) + 1);
        },
      });
      await racing.trigger('timer');
      const [sync] = await syncs();
      expect(sync.status).toBe('partial');
      expect(sync.items.find((item: { name: string }) => item.name === 'Deploy')).toMatchObject({
        outcome: 'conflict',
        error: expect.stringMatching(/changed in Spinnaker after the diff.*stale/),
      });
      expect(webPipeline('Deploy')!.stages).toEqual([{ type: 'wait', waitTime: 1 }]);
      await racing.stop();
    });
    it('leaves applications outside pipelinesAsCode.applications alone, without asking Gate about them', async () => {
      const limited = replica('f', {}, 0, ['WEB']);
      const requests = gate.requests.length;
      const plan = await limited.dryRun({
        commit: null,
        files: new Map([
          ['web/a.yml', 'name: A'],
          ['billing/b.yml', 'name: B'],
        ]),
        errors: [],
      });
      expect(plan.items.map((item) => [item.application, item.outcome])).toEqual([
        ['billing', 'not-allowed'],
        ['web', 'would-save'],
      ]);
      expect(gate.requests.slice(requests).map((request) => request.path)).toEqual([
        '/applications/web/pipelineConfigs',
      ]);
    });

    it('syncs at start and on its timer', async () => {
      const known = new Set((await syncs()).map((sync: { id: string }) => sync.id));
      const timed = replica('e', {}, 1_500);
      timed.start();
      try {
        await eventually(
          async () => {
            const fresh = (
              (await api.asService('GET', '/api/v1/pipelines-as-code/syncs?limit=100')).body.syncs as Array<{
                id: string;
                trigger: string;
                status: string;
              }>
            ).filter((sync) => !known.has(sync.id) && sync.status !== 'running');
            const triggers = new Set(fresh.map((sync) => sync.trigger));
            return triggers.has('start') && triggers.has('timer') ? true : undefined;
          },
          30_000,
          'a start and a timer sync',
        );
      } finally {
        await timed.stop();
      }
    });

    it('Gate failing between the diff and the saves: the failed save is reported, the rest not attempted', async () => {
      repo.push({
        'web/deploy.yml': pipelineFile('Deploy', 'staging-7'),
        'web/extra.yml': pipelineFile('Extra', 'staging'),
      });
      const before = JSON.stringify(gate.pipelineConfigs);
      const failing = replica('d', {
        afterPlan: async () => {
          gate.down = true;
        },
      });
      try {
        await failing.trigger('timer');
      } finally {
        gate.down = false;
      }
      const [sync] = await syncs();
      const items = Object.fromEntries(sync.items.map((item: { name: string }) => [item.name, item]));
      expect(sync.status).toBe('partial');
      expect(items.Deploy).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/Gate is unreachable/) });
      expect(items.Extra).toMatchObject({
        action: 'create',
        outcome: 'skipped',
        error: expect.stringMatching(/^not attempted/),
      });
      expect(JSON.stringify(gate.pipelineConfigs)).toBe(before);
      await failing.stop();
    });

    it('a ref larger than pipelinesAsCode.limits.maxRepositoryBytes fails the sync naming the key; nothing is saved or left on disk', async () => {
      // Random text compresses to about three quarters: the pack is well over the 1 MiB allowed.
      repo.push(
        {
          'web/deploy.yml': pipelineFile('Deploy', 'staging-8'),
          'assets/blob.txt': randomBytes(2 * 1024 * 1024).toString('base64'),
        },
        'oversized',
      );
      const before = saves().length;
      const oversized = replica('oversized', {}, 0, [], {
        ref: 'oversized',
        limits: { maxRepositoryBytes: 1024 * 1024 },
      });
      await oversized.trigger('timer');
      const [sync] = await syncs();
      expect(sync).toMatchObject({
        ref: 'oversized',
        status: 'failed',
        commit: null,
        items: [],
        error: expect.stringMatching(
          /the repository is larger than pipelinesAsCode\.limits\.maxRepositoryBytes \(1048576 bytes\)/,
        ),
      });
      expect(saves()).toHaveLength(before);
      expect(fs.readdirSync(path.join(root, 'mirror-oversized'))).toEqual([]);
      await oversized.stop();
    });
  });

  describe('promotion', () => {
    beforeAll(() => {
      gate.pipelineConfigs.push({
        id: 'web-release-id',
        application: 'web',
        name: 'Release',
        updateTs: '1700000000001',
        stages: [
          { type: 'manualJudgment', name: 'Approve' },
          { type: 'deployManifest', account: 'staging', namespaceOverride: 'web-staging', name: 'Deploy staging' },
        ],
      });
    });

    it('copies a pipeline with substitutions, checks, saves and audits it with the actor', async () => {
      const response = await api.asUser(people.dev, 'POST', '/api/v1/pipelines/promote', {
        from: { application: 'web', pipeline: 'Release' },
        to: { application: 'api' },
        substitutions: { staging: 'prod-east', 'web-staging': 'api-prod', nowhere: 'x' },
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ status: 'promoted', action: 'create', unusedSubstitutions: ['nowhere'] });
      const saved = gate.pipelineConfigs.find((config) => config.application === 'api' && config.name === 'Release')!;
      expect(saved.id).not.toBe('web-release-id');
      expect(saved.stages).toEqual([
        { type: 'manualJudgment', name: 'Approve' },
        { type: 'deployManifest', account: 'prod-east', namespaceOverride: 'api-prod', name: 'Deploy prod-east' },
      ]);
      const audit = await api.asService('GET', '/api/v1/audit?type=promotion');
      expect(audit.body.records[0]).toMatchObject({
        outcome: 'promoted',
        actor: people.dev,
        application: 'api',
        subject: { from: { application: 'web', pipeline: 'Release' }, to: { application: 'api', pipeline: 'Release' } },
      });
    });

    it('with dryRun answers what would be saved, and saves and audits nothing', async () => {
      const before = saves().length;
      const audited = (await api.asService('GET', '/api/v1/audit?type=promotion')).body.records.length;
      const response = await api.asUser(people.dev, 'POST', '/api/v1/pipelines/promote', {
        from: { application: 'web', pipeline: 'Release' },
        to: { application: 'api' },
        substitutions: { staging: 'prod-west' },
        dryRun: true,
      });
      expect(response.body).toMatchObject({
        status: 'would-promote',
        action: 'update',
        diff: expect.arrayContaining([{ op: 'replace', path: '/stages/1/account', value: 'prod-west' }]),
      });
      expect(saves()).toHaveLength(before);
      expect((await api.asService('GET', '/api/v1/audit?type=promotion')).body.records).toHaveLength(audited);
    });

    it('refuses a promotion the policies deny, with the reasons, audited; saves nothing', async () => {
      const before = saves().length;
      const response = await api.asUser(people.dev, 'POST', '/api/v1/pipelines/promote', {
        from: { application: 'web', pipeline: 'Release' },
        to: { application: 'api', pipeline: 'Hotfix' },
        substitutions: { manualJudgment: 'wait', staging: 'prod-west' },
      });
      expect(response.status).toBe(422);
      expect(response.body).toMatchObject({
        type: 'urn:isd:problem:promotion_denied',
        detail: expect.stringMatching(/Hotfix deploys to prod-west without a manual judgment/),
        denies: [expect.objectContaining({ policyName: 'prod-judgment' })],
      });
      expect(saves()).toHaveLength(before);
      const audit = await api.asService('GET', '/api/v1/audit?type=promotion');
      expect(audit.body.records[0]).toMatchObject({
        outcome: 'denied',
        actor: people.dev,
        subject: { to: { pipeline: 'Hotfix' } },
      });
    });

    it('refuses users without WRITE on the target, unknown sources, bad bodies, and names Gate when it is down', async () => {
      const body = { from: { application: 'web', pipeline: 'Release' }, to: { application: 'api', pipeline: 'Other' } };
      expect(await api.asUser(people.webOnly, 'POST', '/api/v1/pipelines/promote', body)).toMatchObject({
        status: 403,
        body: { type: 'urn:isd:problem:application_not_writable' },
      });
      expect(
        await api.asUser(people.dev, 'POST', '/api/v1/pipelines/promote', {
          ...body,
          from: { application: 'web', pipeline: 'Nope' },
        }),
      ).toMatchObject({ status: 404, body: { type: 'urn:isd:problem:promotion_source_not_found' } });
      expect(
        await api.asUser(people.dev, 'POST', '/api/v1/pipelines/promote', {
          ...body,
          to: { application: 'web', pipeline: 'release' },
        }),
      ).toMatchObject({
        status: 400,
        body: { type: 'urn:isd:problem:promotion_same_pipeline' },
      });
      expect(
        await api.asUser(people.dev, 'POST', '/api/v1/pipelines/promote', { ...body, substitutions: { '': 'x' } }),
      ).toMatchObject({
        status: 400,
        body: { field: expect.stringMatching(/^body\.substitutions/) },
      });
      gate.down = true;
      try {
        const down = await api.asUser(people.dev, 'POST', '/api/v1/pipelines/promote', body);
        expect(down).toMatchObject({ status: 503, body: { detail: expect.stringMatching(/Gate is unreachable/) } });
      } finally {
        gate.down = false;
      }
    });

    it('is in /openapi.json with the pipelines-as-code routes', async () => {
      const spec = (await api.asService('GET', '/openapi.json')).body;
      for (const route of [
        '/api/v1/pipelines/promote',
        '/api/v1/pipelines-as-code/webhook',
        '/api/v1/pipelines-as-code/dry-run',
        '/api/v1/pipelines-as-code/syncs',
        '/api/v1/pipelines-as-code/syncs/{id}',
      ])
        expect(spec.paths[route]).toBeDefined();
    });
  });
});

describe('stored syncs are kept within syncRetentionDays and maxStoredSyncs', () => {
  let root: string;
  let gate: GateApiHarness;
  let sapor: RunningService<SaporConfig>;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sapor-pac-retention-'));
    const repo = createRepository(root);
    repo.push({ 'modules/deploy.yml': DEPLOY_MODULE, 'web/deploy.yml': pipelineFile('Deploy', 'staging') });
    gate = await startGateApi({ basicAuthUsers: { [SERVICE.username]: SERVICE.password } });
    const config = testServiceConfig(saporService, {
      databaseUrl: await createTestDatabase(),
      extra: {
        gate: { url: gate.url, ...SERVICE, timeoutMs: 2_000, retries: 1, backoffMs: 1, breakerThreshold: 100 },
        pipelinesAsCode: {
          git: { url: repo.url, ref: 'main', checkoutDir: path.join(root, 'mirror') },
          syncIntervalMs: 0,
          syncRetentionDays: 30,
          maxStoredSyncs: 3,
        },
      },
    });
    sapor = await startTestService(saporService, config);
    api = client(sapor.url);
  });
  afterAll(async () => {
    await sapor?.stop();
    await gate?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const storedSyncs = async () =>
    (await sapor.database.query<{ trigger: string }>('SELECT trigger FROM pac_syncs ORDER BY seq')).rows.map(
      (row) => row.trigger,
    );
  const newestSeq = async () =>
    Number((await sapor.database.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM pac_syncs')).rows[0]?.seq);

  /** Asks for a sync and waits until it is stored as finished. */
  async function syncOnce(): Promise<void> {
    const before = await newestSeq();
    expect((await api.asService('POST', '/api/v1/pipelines-as-code/syncs')).status).toBe(202);
    await eventually(async () => {
      const { rows } = await sapor.database.query<{ seq: string; status: string }>(
        'SELECT seq, status FROM pac_syncs ORDER BY seq DESC LIMIT 1',
      );
      return rows[0] && Number(rows[0].seq) > before && rows[0].status !== 'running' ? true : undefined;
    });
  }

  /** Waits until the stored syncs' triggers match (the prune runs just after a sync is stored). */
  async function storedSyncsMatch(check: (triggers: string[]) => boolean): Promise<void> {
    await eventually(async () => (check(await storedSyncs()) ? true : undefined), 10_000, 'the stored syncs');
  }

  it('a sync deletes those that finished before the retention, and all beyond the newest maxStoredSyncs', async () => {
    // Two syncs from long ago, as a year of timer syncs would have left them.
    for (const trigger of ['timer-old-1', 'timer-old-2'])
      await sapor.database.query(
        `INSERT INTO pac_syncs (id, trigger, ref, status, started_at, finished_at)
           VALUES (gen_random_uuid(), $1, 'main', 'succeeded', now() - interval '40 days', now() - interval '40 days')`,
        [trigger],
      );
    await syncOnce();
    await storedSyncsMatch((triggers) => triggers.length === 1 && triggers[0]?.startsWith('manual:') === true);
    for (let count = 0; count < 4; count += 1) await syncOnce();
    await storedSyncsMatch((triggers) => triggers.length === 3);
    expect((await api.asService('GET', '/api/v1/pipelines-as-code/syncs')).body.syncs).toHaveLength(3);
  });
});
