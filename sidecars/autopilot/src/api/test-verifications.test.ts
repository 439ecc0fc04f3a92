// The test verification gate's API on real Postgres: 400s that name the field (runs, sources, URLs
// outside every configured source, hostile XML, failed SpEL), the Orca contract (202 + Location,
// idempotent create, monitor, cancel, report) with inline XML and with an artifact server.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningService } from '@isd/kit';
import {
  createTestDatabase,
  eventually,
  gateHeaders,
  serviceHeaders,
  startTestService,
  testServiceConfig,
} from '@isd/test-support';
import type { AutopilotConfig } from '../config';
import { autopilotService } from '../service';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read loosely
type Json = Record<string, any>;

let service: RunningService<AutopilotConfig>;
let artifacts: http.Server;
let artifactsUrl: string;
const artifactRequests: Array<{ url: string; authorization: string | undefined }> = [];

const junit = (cases: Array<[string, 'pass' | 'fail' | 'skip', number]>) =>
  `<?xml version="1.0"?><testsuite name="web.CartTest">${cases
    .map(
      ([name, outcome, seconds]) =>
        `<testcase classname="web.CartTest" name="${name}" time="${seconds}">${
          outcome === 'fail' ? `<failure message="${name} failed"/>` : outcome === 'skip' ? '<skipped/>' : ''
        }</testcase>`,
    )
    .join('')}</testsuite>`;

const baselineXml = junit([
  ['adds', 'pass', 0.01],
  ['pays', 'pass', 0.2],
  ['refunds', 'pass', 0.05],
]);
const canaryXml = junit([
  ['adds', 'pass', 0.01],
  ['pays', 'fail', 0.2],
  ['refunds', 'pass', 0.05],
]);

async function call(path: string, method = 'GET', body?: unknown, headers = serviceHeaders()) {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, location: response.headers.get('location'), body: (await response.json()) as Json };
}

let stage = 0;
function create(fields: Json) {
  stage++;
  return call('/api/v1/test-verifications', 'POST', {
    application: 'web',
    executionId: 'exec-1',
    stageId: `stage-${stage}`,
    pipelineName: 'deploy',
    ...fields,
  });
}

async function finished(id: string) {
  return eventually(
    async () => {
      const answer = await call(`/api/v1/test-verifications/${id}`);
      return answer.body.status === 'running' ? undefined : answer.body;
    },
    30_000,
    `test verification ${id} finished`,
  );
}

beforeAll(async () => {
  artifacts = http.createServer((req, res) => {
    artifactRequests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    const files: Record<string, string> = {
      '/repo/test-results/web/41/TEST-cart.xml': baselineXml,
      '/repo/test-results/web/42/TEST-cart.xml': canaryXml,
    };
    if (req.url === '/repo/test-results/web/43/TEST-cart.xml') {
      res.writeHead(302, { Location: 'http://127.0.0.2:1/stolen.xml' }).end();
      return;
    }
    const file = files[req.url ?? ''];
    if (file) res.writeHead(200, { 'content-type': 'application/xml' }).end(file);
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => artifacts.listen(0, '127.0.0.1', resolve));
  artifactsUrl = `http://127.0.0.1:${(artifacts.address() as AddressInfo).port}/repo/test-results`;
  service = await startTestService(
    autopilotService,
    testServiceConfig(autopilotService, {
      databaseUrl: await createTestDatabase('autopilot_tests_gate'),
      users: {
        alice: { roles: [], applications: { web: ['READ'], shop: ['READ'] } },
        mallory: { roles: [], applications: {} },
      },
      extra: {
        testSources: {
          ci: { type: 'jenkins', url: 'http://127.0.0.1:1/jenkins' },
          nexus: { type: 'http', url: artifactsUrl, bearerToken: 'nexus-token' },
        },
        testVerification: { maxRuns: 3 },
        analysis: { providerAttempts: 1 },
      },
    }),
  );
}, 120_000);

afterAll(async () => {
  await service?.stop();
  artifacts?.closeAllConnections();
  await new Promise((resolve) => artifacts?.close(resolve));
});

describe('POST /api/v1/test-verifications refuses, naming the field', () => {
  const refused = async (fields: Json) => {
    const answer = await create(fields);
    expect(answer.status).toBe(400);
    return answer.body.errors.map((e: Json) => `${e.path}: ${e.message}`).join('\n') as string;
  };
  const ok = [{ xml: baselineXml }];

  it('missing sides, empty runs, several kinds in one run, too many runs', async () => {
    expect(await refused({ baseline: ok })).toMatch(/^body.canary: /m);
    expect(await refused({ baseline: ok, canary: [] })).toMatch(/^body.canary: name at least one canary run/m);
    expect(await refused({ baseline: ok, canary: [{}] })).toMatch(
      /^body.canary.0: name a Jenkins build \(\{source, job, build\}\), an artifact url, or inline xml/m,
    );
    expect(await refused({ baseline: ok, canary: [{ job: 'web', build: 1, xml: canaryXml }] })).toMatch(
      /^body.canary.0: name only one of job, url and xml \(got job, xml\)/m,
    );
    expect(await refused({ baseline: [...ok, ...ok, ...ok, ...ok], canary: ok })).toMatch(
      /^body.baseline: at most 3 runs \(testVerification.maxRuns\)/m,
    );
    expect(await refused({ baseline: ok, canary: ok, thresholds: { pass: 50, marginal: 70 } })).toMatch(
      /^body.thresholds.marginal: marginal must not exceed pass/m,
    );
    expect(await refused({ baseline: ok, canary: [{ xml: canaryXml, colour: 'red' }] })).toMatch(/body.canary.0/);
  });

  it('Jenkins runs: the build, the source, job and artifact paths that would leave the build', async () => {
    expect(await refused({ baseline: ok, canary: [{ job: 'web' }] })).toMatch(
      /^body.canary.0.build: required with job/m,
    );
    expect(await refused({ baseline: ok, canary: [{ job: 'web', build: 'nextBuild' }] })).toMatch(
      /^body.canary.0.build: /m,
    );
    expect(await refused({ baseline: ok, canary: [{ source: 'nexus', job: 'web', build: 3 }] })).toMatch(
      /^body.canary.0.source: no Jenkins test source nexus \(configured: ci\)/m,
    );
    expect(await refused({ baseline: ok, canary: [{ job: 'web/../admin', build: 3 }] })).toMatch(
      /^body.canary.0.job: /m,
    );
    expect(
      await refused({ baseline: ok, canary: [{ job: 'web', build: 3, artifact: '../../../config.xml' }] }),
    ).toMatch(/^body.canary.0.artifact: a relative path without empty, `.` or `..` segments/m);
  });

  it('a URL that is not under a configured test source (another host, another path, user info)', async () => {
    const elsewhere = await refused({ baseline: ok, canary: [{ url: 'http://169.254.169.254/latest/meta-data' }] });
    expect(elsewhere).toMatch(
      /^body.canary.0.url: is not under the URL of any configured test source \(testSources: ci, nexus\)/m,
    );
    const port = new URL(artifactsUrl).port;
    expect(await refused({ baseline: ok, canary: [{ url: `http://127.0.0.1:${port}/repo/secrets/x.xml` }] })).toMatch(
      /^body.canary.0.url: is not under/m,
    );
    expect(await refused({ baseline: ok, canary: [{ url: `${artifactsUrl}/../../admin` }] })).toMatch(
      /^body.canary.0.url: /m,
    );
    expect(
      await refused({ baseline: ok, canary: [{ url: artifactsUrl.replace('http://', 'http://user:pw@') + '/a.xml' }] }),
    ).toMatch(/^body.canary.0.url: /m);
    expect(
      await refused({ baseline: ok, canary: [{ source: 'ci', url: `${artifactsUrl}/web/42/TEST-cart.xml` }] }),
    ).toMatch(/^body.canary.0.url: is not under test source ci/m);
  });

  it('hostile or broken inline XML: entity bomb, deep nesting, not a report', async () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;">]><testsuite><testcase name="&lol1;"/></testsuite>`;
    expect(await refused({ baseline: ok, canary: [{ xml: bomb }] })).toMatch(
      /^body.canary.0.xml: a DOCTYPE \(DTD\) is not accepted in a test report/m,
    );
    const deep = `${'<testsuite>'.repeat(20_000)}${'</testsuite>'.repeat(20_000)}`;
    expect(await refused({ baseline: ok, canary: [{ xml: deep }] })).toMatch(
      /^body.canary.0.xml: elements are nested deeper/m,
    );
    expect(await refused({ baseline: [{ xml: '<html/>' }], canary: ok })).toMatch(/^body.baseline.0.xml: not a JUnit/m);
  });

  it('a SpEL expression Orca could not evaluate, but not `${` inside inline XML', async () => {
    expect(await refused({ baseline: ok, canary: [{ job: '${parameters.job}', build: 3 }] })).toBe(
      'body.canary.0.job: unevaluated SpEL expression',
    );
    const templated = junit([['renders ${name}', 'pass', 0.01]]);
    const answer = await create({ baseline: [{ xml: templated }], canary: [{ xml: templated }] });
    expect(answer.status).toBe(202);
  });

  it('refuses a caller that is not Orca', async () => {
    const answer = await call('/api/v1/test-verifications', 'POST', { baseline: ok, canary: ok }, gateHeaders('alice'));
    expect(answer.status).toBe(401);
  });
});

describe('the gate contract', () => {
  it('judges inline XML: 202 + Location, idempotent, monitor body for Orca and Deck, report', async () => {
    const first = await create({ baseline: [{ xml: baselineXml, label: 'web #41' }], canary: [{ xml: canaryXml }] });
    expect(first.status).toBe(202);
    expect(first.location).toBe(`/api/v1/test-verifications/${first.body.id}`);
    expect(first.body).toMatchObject({ status: 'running', kind: 'test', application: 'web' });
    const again = await call('/api/v1/test-verifications', 'POST', {
      application: 'web',
      executionId: 'exec-1',
      stageId: `stage-${stage}`,
      baseline: [{ xml: baselineXml }],
      canary: [{ xml: canaryXml }],
    });
    expect(again.body.id).toBe(first.body.id);

    const done = await finished(first.body.id);
    expect(done).toMatchObject({
      status: 'fail',
      score: 50,
      counts: { newFailures: 1, flaky: 0 },
      baselineRuns: [{ kind: 'inline', label: 'web #41' }],
      newFailures: [{ id: 'web.CartTest.pays', message: 'pays failed', baseline: { status: 'passed' } }],
    });
    expect(done.reason).toMatch(/1 new failure; score 50 is fail/);
    const report = await call(`/api/v1/test-verifications/${first.body.id}/report`, 'GET', undefined, {
      ...gateHeaders('alice'),
      accept: 'application/json',
    });
    expect(report.status).toBe(200);
    expect(report.body.report).toMatchObject({ verdict: 'fail', penalties: [{ rule: 'new failure', points: 50 }] });
    // A browser gets the HTML page (?format=html or its Accept header), locked down by CSP.
    for (const [query, accept] of [
      ['', 'text/html,application/xhtml+xml,*/*;q=0.8'],
      ['?format=html', 'application/json'],
    ] as const) {
      const page = await fetch(`${service.url}/api/v1/test-verifications/${first.body.id}/report${query}`, {
        headers: { ...gateHeaders('alice'), accept },
      });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      const html = await page.text();
      expect(html).toContain('data-status="fail"');
      expect(html).toContain('<code>pays</code>');
      expect(html).toContain('pays failed');
    }
    const json = await fetch(`${service.url}/api/v1/test-verifications/${first.body.id}/report?format=json`, {
      headers: { ...gateHeaders('alice'), accept: 'text/html' },
    });
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await json.json()) as Json).report.counts.newFailures).toBe(1);
    const badFormat = await call(`/api/v1/test-verifications/${first.body.id}/report?format=pdf`);
    expect(badFormat.status).toBe(400);
    // Another application's user sees nothing.
    const hidden = await call(`/api/v1/test-verifications/${first.body.id}`, 'GET', undefined, gateHeaders('mallory'));
    expect(hidden.status).toBe(404);
  });

  it('reads artifact URLs with the source credentials; a missing file and a redirect elsewhere end in error', async () => {
    const good = await create({
      baseline: [{ url: `${artifactsUrl}/web/41/TEST-cart.xml` }],
      canary: [{ url: `${artifactsUrl}/web/41/TEST-cart.xml` }],
      thresholds: { pass: 90, marginal: 50 },
    });
    expect(await finished(good.body.id)).toMatchObject({ status: 'pass', score: 100 });
    expect(artifactRequests.find((r) => r.url === '/repo/test-results/web/41/TEST-cart.xml')?.authorization).toBe(
      'Bearer nexus-token',
    );

    const missing = await create({
      baseline: [{ url: `${artifactsUrl}/web/41/TEST-cart.xml` }],
      canary: [{ url: `${artifactsUrl}/web/99/TEST-cart.xml` }],
    });
    const missingDone = await finished(missing.body.id);
    expect(missingDone).toMatchObject({ status: 'error', score: null });
    expect(missingDone.error).toBe(`${artifactsUrl}/web/99/TEST-cart.xml: not found (404)`);

    const redirected = await create({
      baseline: [{ url: `${artifactsUrl}/web/41/TEST-cart.xml` }],
      canary: [{ url: `${artifactsUrl}/web/43/TEST-cart.xml` }],
    });
    const redirectedDone = await finished(redirected.body.id);
    expect(redirectedDone.status).toBe('error');
    expect(redirectedDone.error).toMatch(/outside the allowed base|not followed|not on the allowed base/);
  });

  it('an unreachable Jenkins ends in error naming the build; cancel leaves a finished one as it is', async () => {
    const answer = await create({
      baseline: [{ job: 'web', build: 41 }],
      canary: [{ job: 'web', build: 'lastBuild' }],
    });
    const done = await finished(answer.body.id);
    expect(done.status).toBe('error');
    expect(done.error).toMatch(/^web #(41|lastBuild): .*\(after 1 try\)$/);
    const cancel = await call(`/api/v1/test-verifications/${answer.body.id}/cancel`, 'POST', {});
    expect(cancel.body.status).toBe('error');
  });

  it('cancels a running verification', async () => {
    // Created and canceled before the job runs: the job then finds it finished and does nothing.
    const answer = await create({ baseline: [{ xml: baselineXml }], canary: [{ xml: canaryXml }] });
    const cancel = await call(`/api/v1/test-verifications/${answer.body.id}/cancel`, 'POST', {});
    expect(['canceled', 'fail']).toContain(cancel.body.status);
    const later = await finished(answer.body.id);
    expect(later.status).toBe(cancel.body.status);
  });
});

describe('GET /api/v1/test-verifications', () => {
  const list = (query: string, user = 'alice') =>
    call(`/api/v1/test-verifications?${query}`, 'GET', undefined, gateHeaders(user));

  it('pages through every test verification of the application once, newest first, filtered, without findings', async () => {
    const created: string[] = [];
    for (const pipelineName of ['deploy', 'deploy', 'nightly']) {
      const answer = await create({
        application: 'shop',
        pipelineName,
        baseline: [{ xml: baselineXml }],
        canary: [{ xml: pipelineName === 'nightly' ? baselineXml : canaryXml }],
      });
      created.push(answer.body.id);
      await finished(answer.body.id);
    }
    const seen: Json[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`application=SHOP&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.testVerifications);
      cursor = page.body.next;
    } while (cursor);
    expect(seen.map((v) => v.id)).toEqual([...created].reverse());
    expect(seen[0]).toMatchObject({
      kind: 'test',
      application: 'shop',
      status: 'pass',
      score: 100,
      pipelineName: 'nightly',
      reportUrl: `/api/v1/test-verifications/${created[2]}/report`,
    });
    expect(seen[0]).not.toHaveProperty('report');
    expect(seen[0]).not.toHaveProperty('newFailures');

    const deploys = await list('application=shop&pipeline=deploy');
    expect(deploys.body.testVerifications.map((v: Json) => v.id)).toEqual([created[1], created[0]]);
    const failed = await list('application=shop&status=fail&limit=1');
    expect(failed.body.testVerifications).toHaveLength(1);
    expect(failed.body.testVerifications[0].status).toBe('fail');
    expect(failed.body.next).not.toBeNull();
    const future = await list(
      `application=shop&from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
    );
    expect(future.body).toEqual({ testVerifications: [], next: null });
  });

  it.each([
    ['application=shop&cursor=nonsense', 'query.cursor'],
    ['application=shop&status=great', 'query.status'],
    ['application=shop&limit=0', 'query.limit'],
    ['pipeline=deploy', 'query.application'],
    ['application=shop&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'query.from'],
  ])('refuses %s naming %s', async (query, field) => {
    const answer = await list(query);
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain(field);
  });

  it('answers a user without READ on the application as if it had none to show', async () => {
    expect((await list('application=shop', 'mallory')).status).toBe(404);
    expect((await list('application=web', 'mallory')).status).toBe(404);
  });
});
