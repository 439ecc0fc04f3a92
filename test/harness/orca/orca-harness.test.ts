import { gateStages, renderSpinnakerConfig, resolveValues } from '@isd/orca-stages';
import { renderTestOrcaLocal, runPipeline, startFakeGateService, startPipeline } from './index';
import type { FakeGateService, FakeGateServiceOptions, HarnessExecution, PipelineStageInput } from './index';

const token = 'test-service-token';
// 1 Orca second = 20 real ms: the 10 s create backoff takes 200 ms, the first poll minute 1.2 s. Faster
// factors turn an event-loop stall on a loaded machine into minutes of Orca time.
const timeFactor = 0.02;
const services: FakeGateService[] = [];

async function fake(options: FakeGateServiceOptions): Promise<FakeGateService> {
  const service = await startFakeGateService({ serviceToken: token, ...options });
  services.push(service);
  return service;
}

afterEach(async () => {
  await Promise.all(services.splice(0).map((service) => service.close()));
});

interface Sidecars {
  visibility: FakeGateService;
  autopilot: FakeGateService;
  sapor: FakeGateService;
}

async function sidecars(
  scripts: {
    visibility?: Partial<FakeGateServiceOptions>;
    autopilot?: Partial<FakeGateServiceOptions>;
    sapor?: Partial<FakeGateServiceOptions>;
  } = {},
): Promise<Sidecars> {
  return {
    visibility: await fake({
      collectionPath: gateStages.approval.createPath,
      statuses: ['activated', 'approved'],
      ...scripts.visibility,
    }),
    autopilot: await fake({
      collectionPath: gateStages.verification.createPath,
      statuses: ['running', 'pass'],
      ...scripts.autopilot,
    }),
    sapor: await fake({ collectionPath: gateStages.policy.createPath, statuses: ['allow'], ...scripts.sapor }),
  };
}

function orcaLocalFor(fakes: Sidecars): string {
  return renderTestOrcaLocal({
    visibility: fakes.visibility.baseUrl,
    autopilot: fakes.autopilot.baseUrl,
    sapor: fakes.sapor.baseUrl,
  });
}

function gateStage(
  kind: 'approval' | 'verification' | 'policy',
  refId: string,
  parameterValues: Record<string, unknown>,
): PipelineStageInput {
  const stage = gateStages[kind];
  return {
    refId,
    name: stage.label,
    type: stage.key,
    context: { alias: 'preconfiguredWebhook', ...stage.stageDefaults, parameterValues },
  };
}

const approvalInputs = {
  approverGroups: [{ name: 'qa', required: 1 }],
  timeoutMs: 60_000,
  allowSelfApproval: false,
  instructions: 'Check "the" dashboards',
};
const verificationInputs = {
  template: { name: 'golden' },
  baseline: { app: 'v1' },
  canary: { app: 'v2' },
  lifetimeMs: 60_000,
  intervalMs: 10_000,
  thresholds: { pass: 80, marginal: 60 },
};
const policyInputs = { policy: 'isd/deploy/allowed', params: { env: 'prod' } };

function pipelineOf(stages: PipelineStageInput[]) {
  return {
    application: 'shop',
    name: 'deploy-prod',
    pipelineConfigId: 'pipeline-1',
    user: 'alice@example.com',
    stages,
  };
}

/** Fails with what went wrong in each stage (errors, last requests) when the execution ended otherwise. */
function expectStatus(execution: HarnessExecution, expected: string): void {
  if (execution.status === expected) return;
  const stages = execution.stages.map((stage) => {
    const webhook = stage.context.webhook as { error?: string; monitor?: { error?: string } } | undefined;
    return `${stage.name}: ${stage.status} ${webhook?.error ?? ''} ${webhook?.monitor?.error ?? ''} ${JSON.stringify(stage.context.exception ?? '')}`;
  });
  const requests = execution.requests.map(
    (request) => `${request.phase} ${request.statusCode ?? request.error} @${Math.round(request.atMs)}`,
  );
  throw new Error(`expected ${expected}, got ${execution.status}\n${stages.join('\n')}\n${requests.join('\n')}`);
}

function requestsOf(execution: HarnessExecution, phase: 'create' | 'monitor' | 'cancel', stageIndex: number) {
  const stageId = execution.stages[stageIndex]?.id;
  return execution.requests.filter((request) => request.phase === phase && request.stageId === stageId);
}

describe('Orca harness: a pipeline of ISD gates', () => {
  it('runs policy → verification → approval → deploy to SUCCEEDED with the monitor body in each context', async () => {
    const fakes = await sidecars();
    let deployed = false;
    const execution = await runPipeline(
      {
        orcaLocal: orcaLocalFor(fakes),
        springEnvironment: { ISD_SERVICE_TOKEN: token },
        timeFactor,
        customStages: {
          deploy: async () => {
            deployed = true;
            return { status: 'SUCCEEDED' };
          },
        },
      },
      pipelineOf([
        gateStage('policy', '1', policyInputs),
        gateStage('verification', '2', verificationInputs),
        gateStage('approval', '3', approvalInputs),
        { refId: '4', name: 'Deploy', type: 'deploy' },
      ]),
    );
    expectStatus(execution, 'SUCCEEDED');
    expect(execution.stages.map((stage) => stage.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(deployed).toBe(true);
    const approval = execution.stages[2]!;
    const monitor = (approval.context.webhook as { monitor: { body: { status: string }; statusCodeValue: number } })
      .monitor;
    expect(monitor.body.status).toBe('approved');
    expect(monitor.statusCodeValue).toBe(200);
    expect(approval.context.statusEndpoint).toMatch(/\/api\/v1\/approvals\/1$/);
    // The create body is the SpEL template evaluated against this execution and stage.
    const created = [...fakes.visibility.gates.values()][0]!.payload;
    expect(created).toEqual({
      application: 'shop',
      pipelineName: 'deploy-prod',
      pipelineId: 'pipeline-1',
      executionId: execution.id,
      stageId: approval.id,
      triggeredBy: 'alice@example.com',
      ...approvalInputs,
      evidence: null,
      autoDecision: null,
    });
    expect([...fakes.sapor.gates.values()][0]!.payload).toMatchObject({
      policy: 'isd/deploy/allowed',
      params: { env: 'prod' },
    });
  });

  it('sends the service token and never an X-SPINNAKER-USER header', async () => {
    const fakes = await sidecars();
    const policy = gateStage('policy', '1', policyInputs);
    const execution = await runPipeline(
      { orcaLocal: orcaLocalFor(fakes), springEnvironment: { ISD_SERVICE_TOKEN: token }, timeFactor },
      pipelineOf([{ ...policy, context: { ...policy.context, customHeaders: { 'X-SPINNAKER-USER': 'mallory' } } }]),
    );
    expect(execution.status).toBe('SUCCEEDED');
    for (const request of fakes.sapor.requests) {
      expect(request.headers['x-isd-service-token']).toBe(token);
      expect(request.headers['x-spinnaker-user']).toBeUndefined();
    }
  });

  it('keeps the token out of the stage context by default (sensitiveHeaders), and shows it with customHeaders', async () => {
    const fakes = await sidecars();
    const urls = {
      visibility: fakes.visibility.baseUrl,
      autopilot: fakes.autopilot.baseUrl,
      sapor: fakes.sapor.baseUrl,
    };
    const run = (orcaLocal: string) =>
      runPipeline(
        { orcaLocal, springEnvironment: { ISD_SERVICE_TOKEN: token }, timeFactor },
        pipelineOf([gateStage('policy', '1', policyInputs)]),
      );
    const exposed = await run(renderTestOrcaLocal(urls, { serviceToken: { placement: 'customHeaders' } }));
    expect(JSON.stringify(exposed.stages[0]!.context)).toContain(token);
    const hidden = await run(renderTestOrcaLocal(urls));
    expect(hidden.status).toBe('SUCCEEDED');
    expect(JSON.stringify(hidden.stages[0]!.context)).not.toContain(token);
    expect(hidden.requests.every((request) => request.headers['X-ISD-Service-Token'] === token)).toBe(true);
  });

  it('fails the stage with 401 when Orca has no token (Spring leaves the placeholder unresolved)', async () => {
    const fakes = await sidecars();
    const execution = await runPipeline(
      { orcaLocal: orcaLocalFor(fakes), timeFactor },
      pipelineOf([gateStage('policy', '1', policyInputs)]),
    );
    expect(execution.status).toBe('TERMINAL');
    expect((execution.stages[0]!.context.webhook as { statusCodeValue: number }).statusCodeValue).toBe(401);
  });
});

describe('Orca harness: create', () => {
  it('re-POSTs the same payload after a 503 and a 429, ten Orca seconds apart', async () => {
    const fakes = await sidecars({ sapor: { createFailures: [503, 429] } });
    const execution = await runPipeline(
      { orcaLocal: orcaLocalFor(fakes), springEnvironment: { ISD_SERVICE_TOKEN: token }, timeFactor },
      pipelineOf([gateStage('policy', '1', policyInputs)]),
    );
    expect(execution.status).toBe('SUCCEEDED');
    const creates = requestsOf(execution, 'create', 0);
    expect(creates.map((request) => request.statusCode)).toEqual([503, 429, 202]);
    expect(new Set(creates.map((request) => request.body)).size).toBe(1);
    expect(creates[1]!.atMs - creates[0]!.atMs).toBeGreaterThanOrEqual(10_000);
    expect(fakes.sapor.gates.size).toBe(1);
  });

  it('fails the stage on another 4xx without polling', async () => {
    const fakes = await sidecars({ sapor: { createFailures: [422] } });
    const execution = await runPipeline(
      { orcaLocal: orcaLocalFor(fakes), springEnvironment: { ISD_SERVICE_TOKEN: token }, timeFactor },
      pipelineOf([gateStage('policy', '1', policyInputs), gateStage('approval', '2', approvalInputs)]),
    );
    expect(execution.status).toBe('TERMINAL');
    expect(execution.stages.map((stage) => stage.status)).toEqual(['TERMINAL', 'NOT_STARTED']);
    expect(requestsOf(execution, 'monitor', 0)).toHaveLength(0);
    expect((execution.stages[0]!.context.webhook as { error: string }).error).toContain('with status code 422.');
  });

  it('sends the whole payload unevaluated when one expression throws, which the sidecar rejects', async () => {
    // #toJson refuses a value holding `${`; ExpressionTransform then leaves the entire template as it was.
    const fakes = await sidecars();
    const execution = await runPipeline(
      { orcaLocal: orcaLocalFor(fakes), springEnvironment: { ISD_SERVICE_TOKEN: token }, timeFactor },
      pipelineOf([gateStage('approval', '1', { ...approvalInputs, instructions: 'see ${trigger.secret}' })]),
    );
    expect(execution.status).toBe('TERMINAL');
    const create = requestsOf(execution, 'create', 0)[0]!;
    expect(create.body).toBe(gateStages.approval.payloadTemplate);
    expect(execution.stages[0]!.failedExpressions.map((failure) => failure.message).join()).toContain(
      'cannot contain an expression',
    );
    expect((execution.stages[0]!.context.webhook as { body: { error: string } }).body.error).toContain(
      'holds an unevaluated expression',
    );
  });

  it('does not evaluate an expression inside a parameter value in time for the payload', async () => {
    // ContextParameterProcessor evaluates every context entry against the original context, so the
    // payload's #toJson sees the unevaluated `${execution.application}` and refuses it.
    const fakes = await sidecars();
    const execution = await runPipeline(
      { orcaLocal: orcaLocalFor(fakes), springEnvironment: { ISD_SERVICE_TOKEN: token }, timeFactor },
      pipelineOf([gateStage('approval', '1', { ...approvalInputs, instructions: 'release ${execution.application}' })]),
    );
    expect(execution.status).toBe('TERMINAL');
    expect(requestsOf(execution, 'create', 0)[0]!.body).toBe(gateStages.approval.payloadTemplate);
    // The parameter value itself was evaluated and stored, which is what Deck would show afterwards.
    expect((execution.stages[0]!.context.parameterValues as { instructions: string }).instructions).toBe(
      'release shop',
    );
  });

  it('fails the stage when the URL restrictions refuse the host', async () => {
    const fakes = await sidecars();
    const values = resolveValues({
      overrides: {
        sidecars: {
          visibility: fakes.visibility.baseUrl,
          autopilot: fakes.autopilot.baseUrl,
          sapor: fakes.sapor.baseUrl,
        },
      },
    });
    const execution = await runPipeline(
      {
        orcaLocal: renderSpinnakerConfig(values).files['orca-local.yml'],
        springEnvironment: { ISD_SERVICE_TOKEN: token },
        timeFactor,
      },
      pipelineOf([gateStage('policy', '1', policyInputs)]),
    );
    expect(execution.status).toBe('TERMINAL');
    expect((execution.stages[0]!.context.webhook as { error: string }).error).toContain('Host not allowed: localhost');
    expect(fakes.sapor.requests).toHaveLength(0);
  });

  it('resolves a relative Location against the create URL', async () => {
    const fakes = await sidecars({ sapor: { relativeLocation: true } });
    const execution = await runPipeline(
      { orcaLocal: orcaLocalFor(fakes), springEnvironment: { ISD_SERVICE_TOKEN: token }, timeFactor },
      pipelineOf([gateStage('policy', '1', policyInputs)]),
    );
    expect(execution.stages[0]!.context.statusEndpoint).toBe(`${fakes.sapor.baseUrl}/api/v1/policy-gates/1`);
  });
});

describe('Orca harness: monitor', () => {
  it('matches status words upper-cased and keeps running on unknown words', async () => {
    const fakes = await sidecars({ visibility: { statuses: ['activated', 'waiting-for-evidence', 'Approved'] } });
    const execution = await runPipeline(
      { orcaLocal: orcaLocalFor(fakes), springEnvironment: { ISD_SERVICE_TOKEN: token }, timeFactor },
      pipelineOf([gateStage('approval', '1', approvalInputs)]),
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(requestsOf(execution, 'monitor', 0)).toHaveLength(3);
  });

  it('maps terminal and canceled words to TERMINAL and CANCELED', async () => {
    const rejected = await sidecars({ visibility: { statuses: ['rejected'] }, autopilot: { statuses: ['canceled'] } });
    const options = { orcaLocal: orcaLocalFor(rejected), springEnvironment: { ISD_SERVICE_TOKEN: token }, timeFactor };
    expect((await runPipeline(options, pipelineOf([gateStage('approval', '1', approvalInputs)]))).status).toBe(
      'TERMINAL',
    );
    expect(
      (await runPipeline(options, pipelineOf([gateStage('verification', '1', verificationInputs)]))).stages[0]!.status,
    ).toBe('CANCELED');
  });

  it('fails on marginal by default and passes it when rendered with marginalOutcome success', async () => {
    const fakes = await sidecars({ autopilot: { statuses: ['running', 'marginal'] } });
    const urls = {
      visibility: fakes.visibility.baseUrl,
      autopilot: fakes.autopilot.baseUrl,
      sapor: fakes.sapor.baseUrl,
    };
    const run = (orcaLocal: string) =>
      runPipeline(
        { orcaLocal, springEnvironment: { ISD_SERVICE_TOKEN: token }, timeFactor },
        pipelineOf([gateStage('verification', '1', verificationInputs)]),
      );
    expect((await run(renderTestOrcaLocal(urls))).status).toBe('TERMINAL');
    expect((await run(renderTestOrcaLocal(urls, { verification: { marginalOutcome: 'success' } }))).status).toBe(
      'SUCCEEDED',
    );
  });

  it('retries 5xx polls, records pastStatusCodes, and fails on a 404', async () => {
    const fakes = await sidecars({
      visibility: { monitorFailures: [500, 503], statuses: ['approved'] },
      autopilot: { monitorFailures: [404] },
    });
    const options = { orcaLocal: orcaLocalFor(fakes), springEnvironment: { ISD_SERVICE_TOKEN: token }, timeFactor };
    const approved = await runPipeline(options, pipelineOf([gateStage('approval', '1', approvalInputs)]));
    expect(approved.status).toBe('SUCCEEDED');
    expect(requestsOf(approved, 'monitor', 0).map((request) => request.statusCode)).toEqual([500, 503, 200]);
    expect(
      (approved.stages[0]!.context.webhook as { monitor: { pastStatusCodes: number[] } }).monitor.pastStatusCodes,
    ).toEqual([500, 503]);
    const missing = await runPipeline(options, pipelineOf([gateStage('verification', '1', verificationInputs)]));
    expect(missing.status).toBe('TERMINAL');
    expect((missing.stages[0]!.context.webhook as { monitor: { error: string } }).monitor.error).toContain('404');
  });

  it('fails the stage when the body has no status', async () => {
    const fakes = await sidecars();
    const execution = await runPipeline(
      { orcaLocal: orcaLocalFor(fakes), springEnvironment: { ISD_SERVICE_TOKEN: token }, timeFactor },
      pipelineOf([
        { ...gateStage('policy', '1', policyInputs), context: { ...gateStage('policy', '1', policyInputs).context } },
      ]),
    );
    expect(execution.status).toBe('SUCCEEDED');
    // The same run with a JSONPath the body does not have fails, as MonitorWebhookTask does.
    const orcaLocal = orcaLocalFor(fakes).replace('statusJsonPath: $.status', 'statusJsonPath: $.decision');
    const failed = await runPipeline(
      { orcaLocal, springEnvironment: { ISD_SERVICE_TOKEN: token }, timeFactor },
      pipelineOf([gateStage('policy', '1', policyInputs)]),
    );
    expect(failed.status).toBe('TERMINAL');
    expect((failed.stages[0]!.context.webhook as { monitor: { error: string } }).monitor.error).toContain(
      "JSON property '$.decision' not found",
    );
  });

  it('polls every second for the first minute, then every 15 seconds', async () => {
    const fakes = await sidecars({ visibility: { statuses: ['activated'] } });
    const run = startPipeline(
      { orcaLocal: orcaLocalFor(fakes), springEnvironment: { ISD_SERVICE_TOKEN: token }, timeFactor },
      pipelineOf([gateStage('approval', '1', approvalInputs)]),
    );
    const deadline = Date.now() + 15_000;
    while (
      Date.now() < deadline &&
      requestsOf(run.execution, 'monitor', 0).filter((request) => request.atMs > 100_000).length < 2
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    fakes.visibility.setStatus('approved');
    await run.done;
    const times = requestsOf(run.execution, 'monitor', 0).map((request) => request.atMs);
    const gaps = times.slice(1).map((time, index) => time - (times[index] as number));
    const firstMinute = times.filter((time) => time - (times[0] as number) < 60_000).length;
    expect(firstMinute).toBeGreaterThan(5);
    expect(firstMinute).toBeLessThanOrEqual(61);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(999);
    const late = times.filter((time) => time - (times[0] as number) > 61_000 + 15_000);
    expect(late.length).toBeGreaterThan(0);
    const lateGaps = gaps.slice(gaps.length - late.length);
    for (const gap of lateGaps) expect(gap).toBeGreaterThanOrEqual(14_999);
  });

  it('times the stage out at stageTimeoutMs and calls the cancel endpoint', async () => {
    const fakes = await sidecars({ visibility: { statuses: ['activated'] } });
    const stage = gateStage('approval', '1', approvalInputs);
    const execution = await runPipeline(
      { orcaLocal: orcaLocalFor(fakes), springEnvironment: { ISD_SERVICE_TOKEN: token }, timeFactor },
      pipelineOf([{ ...stage, context: { ...stage.context, stageTimeoutMs: 20_000 } }]),
    );
    expect(execution.status).toBe('TERMINAL');
    expect((execution.stages[0]!.context.exception as { exceptionType: string }).exceptionType).toBe(
      'TimeoutException',
    );
    expect(requestsOf(execution, 'cancel', 0).map((request) => request.source)).toEqual(['onFailureStages']);
    expect([...fakes.visibility.gates.values()][0]!.canceled).toBe(1);
  });
});

describe('Orca harness: cancel', () => {
  it('calls the cancel endpoint twice when the execution is cancelled, and stops the pipeline', async () => {
    const fakes = await sidecars({ visibility: { statuses: ['activated'] } });
    const run = startPipeline(
      { orcaLocal: orcaLocalFor(fakes), springEnvironment: { ISD_SERVICE_TOKEN: token }, timeFactor },
      pipelineOf([gateStage('approval', '1', approvalInputs), gateStage('policy', '2', policyInputs)]),
    );
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && requestsOf(run.execution, 'monitor', 0).length < 2)
      await new Promise((resolve) => setTimeout(resolve, 5));
    run.cancel('bob');
    const execution = await run.done;
    expect(execution.status).toBe('CANCELED');
    expect(execution.stages.map((stage) => stage.status)).toEqual(['CANCELED', 'NOT_STARTED']);
    const cancels = requestsOf(execution, 'cancel', 0);
    expect(cancels.map((request) => request.source)).toEqual(['task.onCancel', 'onFailureStages']);
    expect(cancels[0]!.url).toBe(`${execution.stages[0]!.context.statusEndpoint as string}/cancel`);
    expect(cancels[0]!.headers['X-ISD-Service-Token']).toBe(token);
    expect([...fakes.visibility.gates.values()][0]!.canceled).toBe(2);
  });

  it('sends no cancel while the create is still being retried: the stored cancelEndpoint is not a URL yet', async () => {
    const fakes = await sidecars({ visibility: { createFailures: Array<number>(50).fill(503) } });
    const run = startPipeline(
      { orcaLocal: orcaLocalFor(fakes), springEnvironment: { ISD_SERVICE_TOKEN: token }, timeFactor },
      pipelineOf([gateStage('approval', '1', approvalInputs)]),
    );
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && requestsOf(run.execution, 'create', 0).length < 2)
      await new Promise((resolve) => setTimeout(resolve, 2));
    run.cancel();
    const execution = await run.done;
    expect(execution.status).toBe('CANCELED');
    expect(execution.stages[0]!.context.cancelEndpoint).toBe('${statusEndpoint}/cancel');
    expect(requestsOf(execution, 'cancel', 0)).toHaveLength(0);
  });

  it('sends no cancel for the policy gate, whose YAML locks cancelEndpoint to empty', async () => {
    const fakes = await sidecars({ sapor: { statuses: ['deny'] } });
    const stage = gateStage('policy', '1', policyInputs);
    const execution = await runPipeline(
      { orcaLocal: orcaLocalFor(fakes), springEnvironment: { ISD_SERVICE_TOKEN: token }, timeFactor },
      pipelineOf([{ ...stage, context: { ...stage.context, cancelEndpoint: 'http://evil.example.com/steal' } }]),
    );
    expect(execution.status).toBe('TERMINAL');
    expect(requestsOf(execution, 'cancel', 0)).toHaveLength(0);
  });
});

describe('Orca harness: a sidecar restarting while Orca polls', () => {
  async function pollingApproval(statuses: string[]) {
    const fakes = await sidecars({ visibility: { statuses } });
    const run = startPipeline(
      { orcaLocal: orcaLocalFor(fakes), springEnvironment: { ISD_SERVICE_TOKEN: token }, timeFactor: 0.2 },
      pipelineOf([gateStage('approval', '1', approvalInputs)]),
    );
    const deadline = Date.now() + 5_000;
    // Right after a poll was answered, so the next one is a full second (200 ms real) away.
    while (
      Date.now() < deadline &&
      !requestsOf(run.execution, 'monitor', 0).some((request) => request.statusCode === 200)
    ) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return { fakes, run };
  }

  it('does not notice a restart that happens between two polls', async () => {
    const { fakes, run } = await pollingApproval(['activated']);
    const port = Number(new URL(fakes.visibility.baseUrl).port);
    const gates = fakes.visibility.gates;
    await fakes.visibility.close();
    // Back within the 1 s (200 ms real) poll interval, with the same stored gates.
    const restarted = await fake({
      collectionPath: gateStages.approval.createPath,
      statuses: ['approved'],
      port,
      gates,
    });
    const execution = await run.done;
    expect(execution.status).toBe('SUCCEEDED');
    expect(restarted.requests.length).toBeGreaterThan(0);
  });

  it('fails the stage when a poll finds the sidecar down (connection refused), as MonitorWebhookTask does', async () => {
    const { fakes, run } = await pollingApproval(['activated']);
    await fakes.visibility.close();
    const execution = await run.done;
    expect(execution.status).toBe('TERMINAL');
    expect((execution.stages[0]!.context.webhook as { monitor: { error: string } }).monitor.error).toContain(
      'an exception occurred in webhook monitor',
    );
  });
});
