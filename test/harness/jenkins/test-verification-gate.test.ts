// The test verification gate against the Jenkins contract harness: real autopilot reads two baseline
// builds and two canary builds of a job in a folder (Jenkins' test report JSON, API token auth), finds
// the regression, the test that fails in one canary build only, the slower test, and reads an archived
// xUnit.net file; a wrong token and a build without a test report end in error naming the run.
import type { RunningService } from '@isd/kit';
import { autopilotService, type AutopilotConfig } from '@isd/autopilot';
import { createTestDatabase, eventually, serviceHeaders, startTestService, testServiceConfig } from '@isd/test-support';
import { parseTree, startJenkinsHarness, type HarnessCase, type JenkinsHarness } from './index';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read loosely
type Json = Record<string, any>;

let jenkins: JenkinsHarness;
let service: RunningService<AutopilotConfig>;
const JOB = 'shop/web-build';

const cases = (overrides: Partial<Record<string, Partial<HarnessCase>>> = {}): HarnessCase[] =>
  ['adds', 'pays', 'refunds', 'ships', 'taxes'].map((name) => ({
    className: 'com.acme.CartTest',
    name,
    duration: name === 'ships' ? 0.3 : 0.02,
    outcome: 'passed' as const,
    ...overrides[name],
  }));

const xunit = (result: 'Pass' | 'Fail') => `<?xml version="1.0" encoding="utf-8"?>
<assemblies><assembly name="Acme.Tests.dll" total="1"><collection name="Prices">
<test name="Acme.Tests.PriceTests.Rounds" type="Acme.Tests.PriceTests" method="Rounds" time="0.004" result="${result}">${
  result === 'Fail' ? '<failure><message>Assert.Equal() Failure</message></failure>' : ''
}</test></collection></assembly></assemblies>`;

async function call(path: string, method = 'GET', body?: unknown) {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: serviceHeaders(),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

let stage = 0;
/** Two Jenkins sources are configured, so each Jenkins run names its source (`ci` unless given). */
async function judge(baseline: Json[], canary: Json[]) {
  const withSource = (runs: Json[]) => runs.map((run) => ({ source: 'ci', ...run }));
  [baseline, canary] = [withSource(baseline), withSource(canary)];
  const created = await call('/api/v1/test-verifications', 'POST', {
    application: 'web',
    executionId: 'exec-jenkins',
    stageId: `s${++stage}`,
    baseline,
    canary,
  });
  expect(created.status).toBe(202);
  return eventually(
    async () => {
      const answer = await call(`/api/v1/test-verifications/${created.body.id}`);
      return answer.body.status === 'running' ? undefined : answer.body;
    },
    30_000,
    'test verification finished',
  );
}

beforeAll(async () => {
  jenkins = await startJenkinsHarness({ users: { isd: 'api-token-1' } });
  jenkins.addBuild(JOB, { number: 40, result: 'SUCCESS', suites: [{ name: 'com.acme.CartTest', cases: cases() }] });
  jenkins.addBuild(JOB, {
    number: 41,
    result: 'SUCCESS',
    suites: [{ name: 'com.acme.CartTest', cases: cases({ adds: { duration: 0.025 } }) }],
    artifacts: { 'dotnet/TestResults.xml': xunit('Pass') },
  });
  // The canary commit: `refunds` breaks, `pays` fails in one of two runs, `ships` takes 1.2 s instead of 0.3 s.
  jenkins.addBuild(JOB, {
    number: 42,
    result: 'UNSTABLE',
    suites: [
      {
        name: 'com.acme.CartTest',
        cases: cases({
          refunds: { outcome: 'failed', message: 'expected REFUNDED but was OPEN' },
          pays: { outcome: 'failed', message: 'timeout talking to payments' },
          ships: { duration: 1.2 },
        }),
      },
    ],
    artifacts: { 'dotnet/TestResults.xml': xunit('Fail') },
  });
  jenkins.addBuild(JOB, {
    number: 43,
    result: 'UNSTABLE',
    suites: [
      {
        name: 'com.acme.CartTest',
        cases: cases({
          refunds: { outcome: 'failed', message: 'expected REFUNDED but was OPEN' },
          ships: { duration: 1.3 },
        }),
      },
    ],
  });
  jenkins.addBuild(JOB, { number: 44, result: 'FAILURE' });
  service = await startTestService(
    autopilotService,
    testServiceConfig(autopilotService, {
      databaseUrl: await createTestDatabase('autopilot_jenkins_tests'),
      extra: {
        testSources: {
          ci: { type: 'jenkins', url: jenkins.url, user: 'isd', apiToken: 'api-token-1' },
          'ci-bad-token': { type: 'jenkins', url: jenkins.url, user: 'isd', apiToken: 'wrong' },
        },
        analysis: { providerAttempts: 1 },
      },
    }),
  );
}, 120_000);

afterAll(async () => {
  await service?.stop();
  await jenkins?.close();
});

describe('Jenkins contract harness', () => {
  it('answers the tree parameter, statuses relative to the previous build, permalinks, 401 and 404', async () => {
    const auth = { Authorization: `Basic ${Buffer.from('isd:api-token-1').toString('base64')}` };
    const get = (path: string, headers: Record<string, string> = auth) => fetch(`${jenkins.url}${path}`, { headers });
    // lastBuild is 44, which published no test report.
    expect((await get('/job/shop/job/web-build/lastBuild/testReport/api/json')).status).toBe(404);
    const r42 = (await (
      await get('/job/shop/job/web-build/42/testReport/api/json?tree=failCount,suites[cases[name,status]]')
    ).json()) as Json;
    expect(r42).toEqual({
      _class: 'hudson.tasks.junit.TestResult',
      failCount: 2,
      suites: [
        {
          cases: [
            { _class: 'hudson.tasks.junit.CaseResult', name: 'adds', status: 'PASSED' },
            { _class: 'hudson.tasks.junit.CaseResult', name: 'pays', status: 'REGRESSION' },
            { _class: 'hudson.tasks.junit.CaseResult', name: 'refunds', status: 'REGRESSION' },
            { _class: 'hudson.tasks.junit.CaseResult', name: 'ships', status: 'PASSED' },
            { _class: 'hudson.tasks.junit.CaseResult', name: 'taxes', status: 'PASSED' },
          ],
        },
      ],
    });
    const r43 = (await (await get('/job/shop/job/web-build/lastUnstableBuild/testReport/api/json')).json()) as Json;
    expect(r43.suites[0].cases.find((c: Json) => c.name === 'pays').status).toBe('FIXED');
    expect((await get('/job/shop/job/web-build/42/testReport/api/json', {})).status).toBe(401);
    expect((await get('/job/shop/job/nope/1/testReport/api/json')).status).toBe(404);
    expect((await get('/job/shop/job/web-build/42/testReport/api/json?tree=suites[')).status).toBe(400);
    expect(parseTree('a,b[c,d[e]]')).toEqual(
      new Map<string, unknown>([
        ['a', null],
        [
          'b',
          new Map<string, unknown>([
            ['c', null],
            ['d', new Map([['e', null]])],
          ]),
        ],
      ]),
    );
  });
});

describe('test verification gate reading Jenkins', () => {
  it('finds the new failure, the flaky test and the slower test over two runs a side', async () => {
    jenkins.requests.length = 0;
    const done = await judge(
      [
        { job: JOB, build: 40 },
        { job: JOB, build: 41 },
      ],
      [
        { job: JOB, build: 42 },
        { source: 'ci', job: JOB, build: '43' },
      ],
    );
    expect(done).toMatchObject({
      status: 'fail',
      counts: { newFailures: 1, flaky: 1, newlyFlaky: 1, slower: 1, missing: 0 },
      newFailures: [
        {
          id: 'com.acme.CartTest.refunds',
          message: 'expected REFUNDED but was OPEN',
          baseline: { status: 'passed', passed: 2 },
          canary: { status: 'failed', failed: 2 },
        },
      ],
      flaky: [{ id: 'com.acme.CartTest.pays', newlyFlaky: true, canary: { passed: 1, failed: 1 } }],
      slower: [{ id: 'com.acme.CartTest.ships', baselineMs: 300, canaryMs: 1250 }],
      baselineRuns: [
        { kind: 'jenkins', label: 'shop/web-build #40' },
        { kind: 'jenkins', label: 'shop/web-build #41' },
      ],
    });
    expect(done.score).toBe(100 - 50 - 20 - 5);
    // Jenkins' JSON was asked for with a tree (no stdout or stack traces) in the folder's path, with the token.
    const asked = jenkins.requests.filter((r) => r.path.startsWith('/job/shop/job/web-build/42/testReport/api/json'));
    expect(asked.length).toBeGreaterThan(0);
    expect(decodeURIComponent(asked[0]!.path)).toContain(
      'tree=suites[name,duration,cases[className,name,duration,status',
    );
    expect(asked[0]!.authorization).toBe(`Basic ${Buffer.from('isd:api-token-1').toString('base64')}`);
  });

  it('reads archived xUnit.net files of the builds', async () => {
    const done = await judge(
      [{ job: JOB, build: 41, artifact: 'dotnet/TestResults.xml' }],
      [{ job: JOB, build: 42, artifact: 'dotnet/TestResults.xml', label: 'canary .NET' }],
    );
    expect(done).toMatchObject({
      status: 'fail',
      canaryRuns: [{ label: 'canary .NET' }],
      newFailures: [{ id: 'Acme.Tests.PriceTests.Rounds', message: 'Assert.Equal() Failure' }],
    });
  });

  it('passes the same build compared with itself', async () => {
    const done = await judge([{ job: JOB, build: 41 }], [{ job: JOB, build: 'lastSuccessfulBuild' }]);
    // lastSuccessfulBuild counts UNSTABLE builds too (Jenkins' definition): 43.
    expect(done.status).toBe('fail');
    const same = await judge([{ job: JOB, build: 40 }], [{ job: JOB, build: 41 }]);
    expect(same).toMatchObject({ status: 'pass', score: 100, counts: { newFailures: 0, slower: 0 } });
  });

  it('a build without a test report and refused credentials end in error naming the run', async () => {
    const noReport = await judge([{ job: JOB, build: 41 }], [{ job: JOB, build: 44 }]);
    expect(noReport).toMatchObject({ status: 'error', score: null });
    expect(noReport.error).toBe(
      'shop/web-build #44: Jenkins has no such build, or the build published no test report (404)',
    );
    const badToken = await judge([{ job: JOB, build: 41 }], [{ source: 'ci-bad-token', job: JOB, build: 42 }]);
    expect(badToken.error).toBe('shop/web-build #42: refused the credentials of the test source (401)');
    const noArtifact = await judge(
      [{ job: JOB, build: 41 }],
      [{ job: JOB, build: 43, artifact: 'dotnet/TestResults.xml' }],
    );
    expect(noArtifact.error).toBe(
      'shop/web-build #43 dotnet/TestResults.xml: Jenkins has no such build or artifact (404)',
    );
  });
});
