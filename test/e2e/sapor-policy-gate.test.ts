// The policy gate end to end: the real sapor on real Postgres with the example policies loaded from their
// folder, driven by the Orca harness from the rendered orca-local.yml; sapor reads the running execution
// from a Gate API stand-in that serves the harness's execution as Orca's JSON (`GET /pipelines/{id}`).
// Pins: the catalog's payload reaches sapor, `allow`/`deny` map to SUCCEEDED/TERMINAL, the decision lands
// in `stage.context.webhook.monitor.body`, and author parameters cannot impersonate trusted input.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gateStages } from '@isd/orca-stages';
import type { RunningService } from '@isd/kit';
import { saporService } from '@isd/sapor';
import type { SaporConfig } from '@isd/sapor';
import {
  createTestDatabase,
  gateHeaders,
  startTestService,
  testServiceConfig,
  TEST_SERVICE_TOKEN,
} from '@isd/test-support';
import { renderTestOrcaLocal, startPipeline, toOrcaExecutionJson } from '../harness/orca';
import type { HarnessExecution, PipelineInput, PipelineRun } from '../harness/orca';

jest.setTimeout(60_000);

const timeFactor = 0.02;
const runs = new Map<string, PipelineRun>();
let gateApi: http.Server;
let sapor: RunningService<SaporConfig>;
let orcaLocal: string;
let deploys = 0;

beforeAll(async () => {
  // Gate API stand-in: GET /pipelines/{id} → the harness execution as Orca's execution JSON, 404 otherwise.
  gateApi = http.createServer((request, response) => {
    const id = /^\/pipelines\/([^/?]+)/.exec(request.url ?? '')?.[1];
    const run = id ? runs.get(decodeURIComponent(id)) : undefined;
    response.writeHead(run ? 200 : 404, { 'content-type': 'application/json' });
    response.end(JSON.stringify(run ? toOrcaExecutionJson(run.execution) : { error: 'Not Found', status: 404 }));
  });
  await new Promise<void>((resolve) => gateApi.listen(0, '127.0.0.1', resolve));
  const gateUrl = `http://127.0.0.1:${(gateApi.address() as AddressInfo).port}`;
  const config = testServiceConfig(saporService, {
    databaseUrl: await createTestDatabase('e2e_sapor'),
    users: { 'admin@example.com': ['admin'] },
    extra: {
      policy: { directory: path.join(__dirname, '..', '..', 'sidecars', 'sapor', 'policies', 'examples') },
      gate: { url: gateUrl },
    },
  });
  sapor = await startTestService(saporService, config);
  const saved = await fetch(`${sapor.url}/api/v1/policies/score`, {
    method: 'PUT',
    headers: gateHeaders('admin@example.com'),
    body: JSON.stringify({
      source: 'package isd.test.score\n\ndefault allow := false\n\nallow if input.verification.score >= 80\n',
    }),
  });
  expect(saved.status).toBe(201);
  orcaLocal = renderTestOrcaLocal({
    visibility: 'http://localhost:9',
    autopilot: 'http://localhost:9',
    sapor: sapor.url.replace('127.0.0.1', 'localhost'),
  });
}, 60_000);

afterAll(async () => {
  await sapor?.stop();
  gateApi?.closeAllConnections();
  await new Promise<void>((resolve) => gateApi?.close(() => resolve()));
});

function pipeline(judge: string, parameterValues: Record<string, unknown>): PipelineInput {
  return {
    application: 'sampleapp',
    name: 'prod-deploy',
    pipelineConfigId: 'pipeline-policy',
    user: 'alice@example.com',
    trigger: { type: 'manual', user: 'alice@example.com' },
    stages: [
      {
        refId: '1',
        name: 'Approve production deploy',
        type: 'manualJudgment',
        context: { judgmentStatus: 'continue', lastModifiedBy: judge },
      },
      {
        refId: '2',
        name: 'Policy',
        type: gateStages.policy.key,
        context: { alias: 'preconfiguredWebhook', ...gateStages.policy.stageDefaults, parameterValues },
      },
      { refId: '3', name: 'Deploy', type: 'deploy' },
    ],
  };
}

async function run(input: PipelineInput): Promise<HarnessExecution> {
  const started = startPipeline(
    {
      orcaLocal,
      springEnvironment: { ISD_SERVICE_TOKEN: TEST_SERVICE_TOKEN },
      timeFactor,
      customStages: {
        manualJudgment: async () => ({ status: 'SUCCEEDED' }),
        deploy: async () => {
          deploys += 1;
          return { status: 'SUCCEEDED' };
        },
      },
    },
    input,
  );
  runs.set(started.execution.id, started);
  return started.done;
}

function monitorBody(execution: HarnessExecution): Record<string, unknown> {
  return ((execution.stages[1]?.context.webhook as { monitor?: { body?: Record<string, unknown> } })?.monitor?.body ??
    {}) as Record<string, unknown>;
}

describe('policy gate through Orca', () => {
  it('lets the pipeline continue when the separation-of-duty policy allows', async () => {
    const before = deploys;
    const execution = await run(pipeline('bob@example.com', { policy: 'isd/runtime/separation_of_duty', params: {} }));
    expect(execution.status).toBe('SUCCEEDED');
    expect(deploys).toBe(before + 1);
    expect(monitorBody(execution)).toMatchObject({
      status: 'allow',
      messages: [],
      policyName: 'runtime.separation_of_duty',
      policyVersion: 1,
      executionId: execution.id,
      stageId: execution.stages[1]?.id,
      triggeredBy: 'alice@example.com',
    });
  });

  it('stops the pipeline with the reason when the triggering user judged their own deploy', async () => {
    const before = deploys;
    const execution = await run(
      pipeline('alice@example.com', { policy: 'isd/runtime/separation_of_duty', params: {} }),
    );
    expect(execution.status).toBe('TERMINAL');
    expect(execution.stages.map((stage) => stage.status)).toEqual(['SUCCEEDED', 'TERMINAL', 'NOT_STARTED']);
    expect(deploys).toBe(before);
    expect(monitorBody(execution)).toMatchObject({
      status: 'deny',
      messages: [
        'separation of duties: alice@example.com triggered this execution and also approved one of its manual judgments',
      ],
    });
  });

  it('ignores a score the pipeline author passes as a parameter', async () => {
    const execution = await run(
      pipeline('bob@example.com', { policy: 'isd/test/score', params: { verification: { score: 100 } } }),
    );
    expect(execution.status).toBe('TERMINAL');
    expect(monitorBody(execution)).toMatchObject({ status: 'deny', messages: ['data.isd.test.score.allow is false'] });
  });
});
