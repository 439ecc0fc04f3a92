// The test verification gate end to end: the Orca harness runs the stage from the rendered orca-local.yml
// against the real autopilot, which reads the builds from the Jenkins contract harness. Pins: the
// catalog's payload reaches autopilot, `pass` lets the pipeline deploy, `fail` stops it TERMINAL with the
// findings in the monitor body Deck shows, a build Jenkins does not have ends TERMINAL with the reason,
// and SpEL inside a run cannot work (Orca evaluates the payload against the unevaluated parameters; the
// Deck editor refuses it for that reason).
import { gateStages } from '@isd/orca-stages';
import type { RunningService } from '@isd/kit';
import { autopilotService } from '@isd/autopilot';
import type { AutopilotConfig } from '@isd/autopilot';
import { createTestDatabase, startTestService, testServiceConfig, TEST_SERVICE_TOKEN } from '@isd/test-support';
import { renderTestOrcaLocal, runPipeline } from '../harness/orca';
import type { HarnessExecution } from '../harness/orca';
import { startJenkinsHarness } from '../harness/jenkins';
import type { HarnessCase, JenkinsHarness } from '../harness/jenkins';

jest.setTimeout(90_000);

let jenkins: JenkinsHarness;
let autopilot: RunningService<AutopilotConfig>;
let orcaLocal: string;
let deploys = 0;

const cases = (refunds: HarnessCase['outcome']): HarnessCase[] => [
  { className: 'shop.CartTest', name: 'adds', duration: 0.02, outcome: 'passed' },
  { className: 'shop.CartTest', name: 'refunds', duration: 0.05, outcome: refunds, message: 'expected REFUNDED' },
];

beforeAll(async () => {
  jenkins = await startJenkinsHarness({ users: { isd: 'token-1' } });
  jenkins.addBuild('shop', {
    number: 7,
    result: 'SUCCESS',
    suites: [{ name: 'shop.CartTest', cases: cases('passed') }],
  });
  jenkins.addBuild('shop', {
    number: 8,
    result: 'SUCCESS',
    suites: [{ name: 'shop.CartTest', cases: cases('passed') }],
  });
  jenkins.addBuild('shop', {
    number: 9,
    result: 'UNSTABLE',
    suites: [{ name: 'shop.CartTest', cases: cases('failed') }],
  });
  autopilot = await startTestService(
    autopilotService,
    testServiceConfig(autopilotService, {
      databaseUrl: await createTestDatabase('e2e_tests_gate'),
      extra: {
        testSources: { ci: { type: 'jenkins', url: jenkins.url, user: 'isd', apiToken: 'token-1' } },
        analysis: { providerAttempts: 1 },
      },
    }),
  );
  orcaLocal = renderTestOrcaLocal({
    visibility: 'http://localhost:9',
    autopilot: autopilot.url.replace('127.0.0.1', 'localhost'),
    sapor: 'http://localhost:9',
  });
}, 90_000);

afterAll(async () => {
  await autopilot?.stop();
  await jenkins?.close();
});

async function run(canaryBuild: string | number): Promise<HarnessExecution> {
  return runPipeline(
    {
      orcaLocal,
      springEnvironment: { ISD_SERVICE_TOKEN: TEST_SERVICE_TOKEN },
      timeFactor: 0.02,
      customStages: {
        deploy: async () => {
          deploys += 1;
          return { status: 'SUCCEEDED' };
        },
      },
    },
    {
      application: 'shop',
      name: 'deploy-prod',
      pipelineConfigId: 'pipeline-shop',
      user: 'alice',
      trigger: { type: 'manual', user: 'alice', parameters: { canaryBuild: '8' } },
      stages: [
        {
          refId: '1',
          name: 'Tests',
          type: gateStages.testVerification.key,
          context: {
            alias: 'preconfiguredWebhook',
            ...gateStages.testVerification.stageDefaults,
            parameterValues: {
              baseline: [{ job: 'shop', build: 7 }],
              canary: [{ job: 'shop', build: canaryBuild }],
              thresholds: { pass: 80, marginal: 60 },
            },
          },
        },
        { refId: '2', name: 'Deploy', type: 'deploy' },
      ],
    },
  );
}

function monitorBody(execution: HarnessExecution): Record<string, unknown> {
  return ((execution.stages[0]?.context.webhook as { monitor?: { body?: Record<string, unknown> } })?.monitor?.body ??
    {}) as Record<string, unknown>;
}

describe('test verification gate through Orca', () => {
  it('deploys when the canary build’s tests match the baseline’s', async () => {
    const before = deploys;
    const execution = await run(8);
    expect(execution.status).toBe('SUCCEEDED');
    expect(deploys).toBe(before + 1);
    expect(monitorBody(execution)).toMatchObject({
      status: 'pass',
      score: 100,
      canaryRuns: [{ kind: 'jenkins', label: 'shop #8' }],
    });
  });

  it('cannot take SpEL inside a run: the payload stays unevaluated and autopilot refuses it', async () => {
    const execution = await run('${parameters.canaryBuild}');
    expect(execution.status).toBe('TERMINAL');
    const webhook = execution.stages[0]?.context.webhook as { statusCodeValue?: number; body?: { type?: string } };
    expect(webhook).toMatchObject({ statusCodeValue: 400, body: { type: 'urn:isd:problem:malformed_json' } });
  });

  it('stops the pipeline on a new failure, with the failing test in the monitor body', async () => {
    const before = deploys;
    const execution = await run('lastUnstableBuild');
    expect(execution.status).toBe('TERMINAL');
    expect(deploys).toBe(before);
    expect(monitorBody(execution)).toMatchObject({
      status: 'fail',
      score: 50,
      newFailures: [{ id: 'shop.CartTest.refunds', message: 'expected REFUNDED' }],
    });
  });

  it('ends TERMINAL with the reason when Jenkins has no such build', async () => {
    const execution = await run(99);
    expect(execution.status).toBe('TERMINAL');
    expect(monitorBody(execution)).toMatchObject({
      status: 'error',
      error: 'shop #99: Jenkins has no such build, or the build published no test report (404)',
    });
  });
});
