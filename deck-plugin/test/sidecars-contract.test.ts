/**
 * @jest-environment node
 */
// The plugin's client and save-time check against the real sapor and autopilot, through the Gate proxy
// harness: what the editors list and what blocks a save come from the services' real answers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IPipeline } from '@spinnaker/core';
import type { RunningService } from '@isd/kit';
import { autopilotService } from '@isd/autopilot';
import type { AutopilotConfig } from '@isd/autopilot';
import { renderSpinnakerConfig, resolveValues } from '@isd/orca-stages';
import { saporService } from '@isd/sapor';
import type { SaporConfig } from '@isd/sapor';

import { startGateProxy } from '../../test/harness/gate';
import type { GateProxy } from '../../test/harness/gate';
import {
  createTestDatabase,
  eventually,
  gateHeaders,
  serviceHeaders,
  startTestService,
  testServiceConfig,
  TEST_GATE_TOKEN,
} from '@isd/test-support';
import { createGateProxyClient } from '../src/api/sidecar-client';
import type { SidecarClient } from '../src/api/sidecar-client';
import type { TestVerificationResult } from '../src/api/sidecar-shapes';
import { testVerificationFail } from './fixtures';
import { PipelineChecker } from '../src/policy-check';

// Collected by the save-time check: sapor's `staticPackages` include `isd.static` and its sub-packages.
const gatesPolicy = `package isd.static.gates

deny[msg] {
  not has_approval
  msg := sprintf("pipeline %s deploys without an ISD approval gate", [input.pipeline.name])
}

has_approval {
  input.pipeline.stages[_].type == "isdApprovalGate"
}
`;

let sapor: RunningService<SaporConfig>;
let autopilot: RunningService<AutopilotConfig>;
let gate: GateProxy;
let client: SidecarClient;
let policyDirectory: string;

beforeAll(async () => {
  policyDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-deck-policies-'));
  fs.writeFileSync(path.join(policyDirectory, 'gates.rego'), gatesPolicy);
  sapor = await startTestService(
    saporService,
    testServiceConfig(saporService, {
      databaseUrl: await createTestDatabase('deck_plugin_sapor'),
      // alice may read and write every application (a role list in tests), as an author in Deck would.
      users: { alice: ['developers'] },
      extra: { policy: { directory: policyDirectory, defaultRegoVersion: 'v0' } },
    }),
  );
  autopilot = await startTestService(
    autopilotService,
    testServiceConfig(autopilotService, {
      databaseUrl: await createTestDatabase('deck_plugin_autopilot'),
      users: { alice: ['developers'] },
      // Never queried here: listing templates needs no metrics.
      extra: {
        providers: { prom: { type: 'prometheus', url: 'http://localhost:9', timeoutMs: 1_000 } },
        // Never queried either: listing log templates and marking clusters read no logs.
        logProviders: { logs: { type: 'opensearch', url: 'http://localhost:9', index: 'logs-*', timeoutMs: 1_000 } },
      },
    }),
  );
  const created = await fetch(`${autopilot.url}/api/v1/templates`, {
    method: 'POST',
    headers: gateHeaders('alice'),
    body: JSON.stringify({
      name: 'latency',
      // Owned by the application: alice may write there (a shared template is for admins).
      application: 'checkout',
      description: 'request latency',
      stepSeconds: 1,
      metrics: [
        {
          name: 'latency',
          query: 'demo_request_latency_seconds{${scope}}',
          direction: 'increase',
          groups: ['latency'],
        },
      ],
    }),
  });
  expect(created.status).toBe(201);
  const createdLogs = await fetch(`${autopilot.url}/api/v1/log-templates`, {
    method: 'POST',
    headers: gateHeaders('alice'),
    body: JSON.stringify({ name: 'checkout-logs', application: 'checkout', provider: 'logs', filterKey: 'pod' }),
  });
  expect(createdLogs.status).toBe(201);
  gate = await startGateProxy({
    gateLocal: renderSpinnakerConfig(resolveValues()).files['gate-local.yml'],
    gateToken: TEST_GATE_TOKEN,
    targets: { sapor: sapor.url, autopilot: autopilot.url },
  });
  const cookie = gate.login('alice');
  // The browser would send Gate's session cookie by itself; node's fetch needs it added.
  client = createGateProxyClient({
    gateUrl: gate.baseUrl,
    fetch: (url, init) => fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), cookie } }),
  });
}, 120_000);

afterAll(async () => {
  await gate?.close();
  await sapor?.stop();
  await autopilot?.stop();
  fs.rmSync(policyDirectory, { recursive: true, force: true });
});

function pipeline(stageTypes: string[]): IPipeline {
  return {
    id: 'p1',
    name: 'deploy-prod',
    application: 'checkout',
    stages: stageTypes.map((type, index) => ({ refId: String(index + 1), name: type, type, requisiteStageRefIds: [] })),
  } as unknown as IPipeline;
}

describe('the plugin’s client against real sapor and autopilot through the Gate proxy', () => {
  it('lists sapor’s policies with their packages (the policy editor’s suggestions)', async () => {
    const listed = await client.listPolicies();
    expect(listed).toEqual(expect.arrayContaining([expect.objectContaining({ packages: ['isd.static.gates'] })]));
  });

  it('lists autopilot’s templates with their versions (the verification editor’s choices)', async () => {
    const listed = await client.listVerificationTemplates();
    expect(listed).toEqual([
      expect.objectContaining({ name: 'latency', version: expect.any(Number), description: 'request latency' }),
    ]);
  });

  it('lists autopilot’s log templates (the log template picker’s choices)', async () => {
    const listed = await client.listLogTemplates();
    expect(listed).toEqual([expect.objectContaining({ name: 'checkout-logs', version: 1, provider: 'logs' })]);
  });

  it('marks a log cluster as the logged-in user, and shows autopilot’s 400 for a template of another key', async () => {
    const key = 'abcdef0123456789abcdef01';
    const stored = await client.markLogCluster('checkout', key, 'ignorable');
    expect(stored).toMatchObject({ application: 'checkout', clusterKey: key, mark: 'ignorable', markedBy: 'alice' });
    const forwarded = gate.forwarded.filter((request) => request.url.includes('/log-marks/'));
    expect(forwarded.map((request) => request.headers['X-SPINNAKER-USER'])).toEqual(['alice']);
    await expect(client.markLogCluster('checkout', key, 'critical', 'ERROR <*> failed')).rejects.toThrow(
      /^autopilot 400: body\.template: its key is [0-9a-f]{24}, not abcdef0123456789abcdef01$/,
    );
  });

  it('blocks saving a pipeline sapor denies, with sapor’s message, and allows a compliant one', async () => {
    const [deny] = new PipelineChecker(() => client).validators();
    const run = (p: IPipeline) => deny?.validate(p, {} as never, deny, {} as never);
    await expect(run(pipeline(['isdPolicyGate', 'deploy']))).resolves.toBe(
      'Policy check denies saving this pipeline: pipeline deploy-prod deploys without an ISD approval gate',
    );
    await expect(run(pipeline(['isdApprovalGate', 'deploy']))).resolves.toBe('');
    const forwarded = gate.forwarded.filter((request) => request.url.endsWith('/pipeline-check'));
    expect(forwarded.map((request) => request.headers['X-SPINNAKER-USER'])).toEqual(['alice', 'alice']);
  });
  it('reads a test verification as the execution view expects it (the fixture’s shape)', async () => {
    const junit = (pays: string, shipsSeconds: number) =>
      `<testsuite name="com.acme.CartTest"><testcase classname="com.acme.CartTest" name="adds" time="0.02"/>${pays}<testcase classname="com.acme.CartTest" name="ships" time="${shipsSeconds}"/></testsuite>`;
    const created = await fetch(`${autopilot.url}/api/v1/test-verifications`, {
      method: 'POST',
      headers: serviceHeaders(),
      body: JSON.stringify({
        application: 'checkout',
        executionId: 'exec-contract',
        stageId: 'tests',
        baseline: [{ xml: junit('<testcase classname="com.acme.CartTest" name="pays" time="0.1"/>', 0.3) }],
        canary: [
          {
            xml: junit(
              '<testcase classname="com.acme.CartTest" name="pays" time="0.1"><failure message="boom"/></testcase>',
              1.2,
            ),
          },
          { xml: junit('<testcase classname="com.acme.CartTest" name="pays" time="0.1"/>', 1.3) },
        ],
      }),
    });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    const read = await eventually(async () => {
      const body = await client.getTestVerification(id);
      return body.status === 'running' ? undefined : body;
    });
    // Every key the view reads is there, of the fixture's kind (the fixture is what the jsdom tests render).
    const shapeOf = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.slice(0, 1).map(shapeOf)
        : value && typeof value === 'object'
          ? Object.fromEntries(
              Object.keys(value)
                .sort()
                .map((key) => [key, shapeOf((value as Record<string, unknown>)[key])]),
            )
          : value === null
            ? 'null'
            : typeof value;
    const keysOf = (value: TestVerificationResult) => Object.keys(value).sort();
    expect(keysOf(read)).toEqual(expect.arrayContaining(keysOf(testVerificationFail).filter((key) => key !== 'error')));
    expect(shapeOf(read.flaky)).toEqual(shapeOf(testVerificationFail.flaky));
    expect(shapeOf(read.slower)).toEqual(shapeOf(testVerificationFail.slower));
    expect(shapeOf(read.canary)).toEqual(shapeOf(testVerificationFail.canary));
    expect(read).toMatchObject({ status: 'marginal', score: 75, counts: { newlyFlaky: 1, slower: 1 } });
  });
});
