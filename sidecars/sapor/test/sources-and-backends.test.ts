// Policies from a git repository (real git binary, a bare repository made here) and the external OPA
// backend (OPA API contract harness).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningService } from '@isd/kit';
import type { SaporConfig } from '../src';
import { startOpaApiHarness, type OpaApiHarness } from './harness/opa-api';
import { client, savePolicy, startSapor, users } from './helpers';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'test',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 'test',
      GIT_COMMITTER_EMAIL: 't@example.com',
    },
  })
    .toString()
    .trim();
}

describe('policies from a git repository', () => {
  let work: string;
  let bare: string;
  let sapor: RunningService<SaporConfig>;
  let api: ReturnType<typeof client>;

  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
    fs.writeFileSync(path.join(work, file), text);
  };
  const commitAndPush = (message: string) => {
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', message);
    git(work, 'push', '-q', 'origin', 'HEAD:main');
  };

  beforeAll(async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sapor-git-'));
    bare = path.join(root, 'policies.git');
    work = path.join(root, 'work');
    git(root, 'init', '-q', '--bare', '-b', 'main', bare);
    git(root, 'clone', '-q', bare, work);
    write('policies/deploy/window.rego', 'package isd.git.window\n\nallow if input.hour < 16\n');
    write(
      'policies/deploy/window_test.rego',
      'package isd.git.window\n\ntest_morning if allow with input as {"hour": 9}\n',
    );
    write('README.md', 'not a policy\n');
    commitAndPush('first');
    sapor = await startSapor({
      policy: {
        git: {
          url: bare,
          ref: 'main',
          subdirectory: 'policies',
          checkoutDir: path.join(root, 'checkout'),
          pollIntervalMs: 0,
        },
      },
    });
    api = client(sapor.url);
  });

  afterAll(async () => {
    await sapor.stop();
  });

  it('clones the repository at start and saves its policies with the commit', async () => {
    const policy = await api.asService('GET', '/api/v1/policies/deploy.window');
    expect(policy.status).toBe(200);
    expect(policy.body).toMatchObject({ origin: 'git', version: 1, packages: ['isd.git.window'] });
    expect(policy.body.originRef).toBe(`${git(work, 'rev-parse', 'HEAD')}:deploy/window.rego, deploy/window_test.rego`);
    expect(policy.body.modules.map((module: { name: string }) => module.name)).toEqual([
      'window.rego',
      'window_test.rego',
    ]);
  });

  it('pulls new commits on reload: changed policies get a version, failing ones are refused by name, deleted ones go', async () => {
    write('policies/deploy/window.rego', 'package isd.git.window\n\nallow if input.hour < 17\n');
    write('policies/broken.rego', 'package isd.git.broken\n\nallow := true\n\ntest_never if false\n');
    commitAndPush('second');
    let reload = await api.asUser(users.admin, 'POST', '/api/v1/policies/reload');
    expect(reload.status).toBe(200);
    expect(reload.body.git.saved).toEqual(['deploy.window']);
    expect(reload.body.git.failed).toEqual([
      { name: 'broken', error: expect.stringContaining('data.isd.git.broken.test_never') },
    ]);
    expect((await api.asService('POST', '/v1/data/isd/git/window/allow', { input: { hour: 16 } })).body.result).toBe(
      true,
    );

    fs.rmSync(path.join(work, 'policies/deploy'), { recursive: true });
    fs.rmSync(path.join(work, 'policies/broken.rego'));
    write('policies/other.rego', 'package isd.git.other\n\nx := 1\n');
    commitAndPush('third');
    reload = await api.asService('POST', '/api/v1/policies/reload');
    expect(reload.body.git).toMatchObject({ saved: ['other'], removed: ['deploy.window'], failed: [] });
    expect((await api.asService('GET', '/api/v1/policies/deploy.window')).status).toBe(404);
  });
});

describe('external OPA backend (policy.engine: opa)', () => {
  let opa: OpaApiHarness;
  let sapor: RunningService<SaporConfig>;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    opa = await startOpaApiHarness(
      (path, input) => {
        const key = path.join('/');
        if (key === 'isd/remote/allow') return (input as { params?: { ok?: boolean } }).params?.ok === true;
        if (key === 'isd/remote/fail')
          throw new Error('eval_conflict_error: complete rules must not produce multiple outputs');
        if (key === 'opa/pipelines') return { deny: ['remote says no'] };
        return undefined;
      },
      { token: 'opa-token-0123456789' },
    );
    sapor = await startSapor({
      policy: { engine: 'opa', opa: { url: opa.url, token: 'opa-token-0123456789', timeoutMs: 2_000 } },
    });
    api = client(sapor.url);
  });

  afterAll(async () => {
    await sapor.stop();
    await opa.close();
  });

  const payload = (params: Record<string, unknown>, policy = 'isd/remote/allow') => ({
    application: 'app',
    pipelineName: 'deploy',
    pipelineId: 'p1',
    executionId: `e-${Math.random()}`,
    stageId: 's1',
    triggeredBy: 'alice',
    policy,
    params,
  });

  it('sends the same server-built input to OPA and reads its decision', async () => {
    const created = await api.asService('POST', '/api/v1/policy-gates', payload({ ok: true }));
    expect(created.body.status).toBe('allow');
    const sent = opa.requests.at(-1);
    expect(sent?.authorization).toBe('Bearer opa-token-0123456789');
    expect(sent?.path).toEqual(['isd', 'remote', 'allow']);
    expect(sent?.body).toMatchObject({
      input: { kind: 'runtime', application: 'app', params: { ok: true }, trigger: { user: 'alice' } },
    });
    expect((await api.asService('POST', '/api/v1/policy-gates', payload({ ok: false }))).body.status).toBe('deny');
  });

  it('denies undefined documents and fails closed on OPA errors with the error in the message', async () => {
    const undefinedDecision = await api.asService('POST', '/api/v1/policy-gates', payload({}, 'isd/remote/missing'));
    expect(undefinedDecision.body.status).toBe('deny');
    const failed = await api.asService('POST', '/api/v1/policy-gates', payload({}, 'isd/remote/fail'));
    expect(failed.body.status).toBe('deny');
    expect(failed.body.messages[0]).toContain('external OPA answered 500 internal_error: eval_conflict_error');
  });

  it('passes the Data API and the pipeline check through', async () => {
    expect(
      (await api.asService('POST', '/v1/data/isd/remote/allow', { input: { params: { ok: true } } })).body.result,
    ).toBe(true);
    expect((await api.asService('POST', '/v1/data/isd/remote/missing', { input: {} })).body).toEqual({});
    const check = await api.asService('POST', '/api/v1/policies/pipeline-check', { new: { name: 'p', stages: [] } });
    expect(check.body).toMatchObject({ status: 'deny', messages: ['remote says no'] });
  });

  it('answers 503 on the Data API when OPA is unreachable, and the gate denies', async () => {
    await opa.close();
    const data = await api.asService('POST', '/v1/data/isd/remote/allow', { input: {} });
    expect(data.status).toBe(503);
    expect(data.body.detail).toContain('unreachable');
    const gated = await api.asService('POST', '/api/v1/policy-gates', payload({ ok: true }));
    expect(gated.body.status).toBe('deny');
    expect(gated.body.messages[0]).toContain('unreachable');
  });
});

describe('http.send from policies', () => {
  // The target runs in a child process: http.send blocks the evaluating thread while it waits (the
  // engine is synchronous), so a server on this thread could never answer.
  let target: ChildProcess;
  let port: number;
  let hits = 0;
  let sapor: RunningService<SaporConfig>;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    const script = `const http = require('node:http');
      const server = http.createServer((request, response) => {
        process.stdout.write('hit\\n');
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"required_pull_request_reviews":{"required_approving_review_count":2}}');
      });
      server.listen(0, '127.0.0.1', () => process.stdout.write('port ' + server.address().port + '\\n'));`;
    target = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    port = await new Promise<number>((resolve) => {
      target.stdout?.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) {
          if (line.startsWith('port ')) resolve(Number(line.slice(5)));
          if (line === 'hit') hits += 1;
        }
      });
    });
    sapor = await startSapor({ policy: { httpAllowedHosts: [`127.0.0.1:${port}`], timeoutMs: 2_000 } });
    api = client(sapor.url);
    await savePolicy(
      api,
      'fetch',
      'package isd.test.fetch\n\nreviews := http.send({"method": "GET", "url": input.url, "raise_error": false}).body.required_pull_request_reviews.required_approving_review_count\n',
    );
  });

  afterAll(async () => {
    await sapor.stop();
    target.kill();
  });

  it('reaches an allowlisted host', async () => {
    const response = await api.asService('POST', '/v1/data/isd/test/fetch/reviews', {
      input: { url: `http://127.0.0.1:${port}/repos/acme/web/branches/main/protection` },
    });
    expect(response.body.result).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hits).toBe(1);
  });

  it('refuses other hosts, such as a cloud metadata address, without sending anything', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      `http://localhost:${port}/`,
      `http://127.0.0.1:${port + 1}/`,
    ]) {
      const response = await api.asService('POST', '/v1/data/isd/test/fetch/reviews', { input: { url } });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({});
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hits).toBe(1);
    const decisions = await sapor.database.query<{ error: string }>(
      "SELECT error FROM decision_log WHERE path = 'data.isd.test.fetch.reviews' AND error IS NOT NULL",
    );
    expect(
      decisions.rows.some(
        (row) => row.error.includes('169.254.169.254') && row.error.includes('not in the allowed hosts'),
      ),
    ).toBe(true);
  });
});
