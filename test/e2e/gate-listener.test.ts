// The production trust path for Deck's calls: real Gate cannot add a credential header to proxied
// requests, so each sidecar trusts X-SPINNAKER-USER only on its Gate-only listener (server.gatePort),
// which the chart's NetworkPolicy opens to Gate's pods alone. Here the Gate proxy harness sends exactly
// what Gate sends (no X-ISD-Gate-Token) to that listener, using the rendered default gate-local.yml.
import type { RunningService } from '@isd/kit';
import { renderSpinnakerConfig, resolveValues } from '@isd/orca-stages';
import { visibilityService, type VisibilityConfig } from '@isd/visibility';
import { startGateProxy, type GateProxy } from '../harness/gate';
import { createTestDatabase, serviceHeaders, startTestService, testServiceConfig } from '@isd/test-support';

let visibility: RunningService<VisibilityConfig>;
let gate: GateProxy;

beforeAll(async () => {
  const config = testServiceConfig(visibilityService, {
    databaseUrl: await createTestDatabase('gate_listener'),
    users: { bob: ['release-managers'] },
  });
  visibility = await startTestService(visibilityService, { ...config, server: { ...config.server, gatePort: 0 } });
  gate = await startGateProxy({
    gateLocal: renderSpinnakerConfig(resolveValues()).files['gate-local.yml'],
    targets: { visibility: visibility.gateUrl as string },
  });
});

afterAll(async () => {
  await gate?.close();
  await visibility?.stop();
});

async function createGate(): Promise<string> {
  const response = await fetch(`${visibility.url}/api/v1/approvals`, {
    method: 'POST',
    headers: serviceHeaders(),
    body: JSON.stringify({
      application: 'shop',
      pipelineName: 'deploy',
      pipelineId: 'pipeline-1',
      executionId: `exec-${Date.now()}`,
      stageId: 'stage-1',
      triggeredBy: 'alice',
      approverGroups: [{ name: 'release-managers', required: 1 }],
      allowSelfApproval: false,
      timeoutMs: 3_600_000,
      instructions: 'Look first.',
      evidence: [],
      autoDecision: null,
    }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

it('lets a user Gate forwarded decide on the Gate-only listener, with no credential header', async () => {
  const id = await createGate();
  const cookie = gate.login('bob');
  const view = await fetch(`${gate.baseUrl}/proxies/visibility/api/v1/approvals/${id}`, { headers: { cookie } });
  expect(view.status).toBe(200);
  expect(await view.json()).toMatchObject({ status: 'activated', canDecide: true });
  const decision = await fetch(`${gate.baseUrl}/proxies/visibility/api/v1/approvals/${id}/decisions`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'approve', comment: 'ship it' }),
  });
  expect(decision.status).toBe(200);
  expect(gate.forwarded.at(-1)?.headers['x-isd-gate-token']).toBeUndefined();
  const after = await fetch(`${visibility.url}/api/v1/approvals/${id}`, { headers: serviceHeaders() });
  expect(await after.json()).toMatchObject({ status: 'approved' });
});

it('ignores X-SPINNAKER-USER on the main port when the Gate credential is missing', async () => {
  const id = await createGate();
  const forged = await fetch(`${visibility.url}/api/v1/approvals/${id}/decisions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-spinnaker-user': 'bob' },
    body: JSON.stringify({ action: 'approve', comment: 'forged' }),
  });
  expect(forged.status).toBe(401);
});
