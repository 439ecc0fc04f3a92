// The ten example policies on realistic inputs: the pipeline config and execution fixtures, changed the
// way a real pipeline would break each rule. Shared by the example tests and the policy benchmark.
import fs from 'node:fs';
import path from 'node:path';
import { buildRuntimeInput, buildStaticInput } from '../src/domain/input';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are edited freely
type Json = any;

/** One evaluation: the document, its input, the clock, and what the example should answer. */
export interface ExampleCase {
  name: string;
  document: string;
  input: unknown;
  nowNs?: bigint;
  expected: unknown;
}

/** The examples folder. */
export const examplesRoot = path.join(__dirname, '..', 'policies', 'examples');

/** Every `.rego` file of the examples, as modules for `compile` (v0 syntax, per the folder's .manifest). */
export function exampleModules(): Array<{ name: string; source: string; regoVersion: 'v0' }> {
  const out: Array<{ name: string; source: string; regoVersion: 'v0' }> = [];
  for (const folder of ['static', 'runtime', 'approval']) {
    for (const file of fs.readdirSync(path.join(examplesRoot, folder)).sort()) {
      out.push({
        name: `${folder}/${file}`,
        source: fs.readFileSync(path.join(examplesRoot, folder, file), 'utf8'),
        regoVersion: 'v0',
      });
    }
  }
  return out;
}

function fixture(name: string): Json {
  return JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8'));
}

const gateStageId = '01JDQ6ZP3N9J8K7L6M5N4P3Q2R';

/** The runtime input sapor builds for the fixture execution (optionally changed first). */
export function runtimeInput(change?: (execution: Json) => void): unknown {
  const execution = fixture('execution-prod-deploy.json');
  change?.(execution);
  return buildRuntimeInput(
    {
      application: execution.application,
      pipelineName: execution.name,
      pipelineId: execution.pipelineConfigId,
      executionId: execution.id,
      stageId: gateStageId,
      triggeredBy: execution.trigger.user,
    },
    execution,
    {},
  );
}

/** The save-time input for the fixture pipeline (optionally changed first). */
export function staticInput(change?: (pipeline: Json) => void): unknown {
  const pipeline = fixture('pipeline-prod-deploy.json');
  const current = fixture('pipeline-prod-deploy.json');
  change?.(pipeline);
  return buildStaticInput(pipeline, current);
}

const mondayNoonNewYork = BigInt(Date.parse('2026-11-23T17:00:00Z')) * 1_000_000n;
const mondayNightNewYork = BigInt(Date.parse('2026-11-24T03:00:00Z')) * 1_000_000n;

const sonarInput = (gates: string[]) => ({
  approval: {
    id: 'a1',
    application: 'sampleapp',
    pipelineName: 'prod-deploy',
    executionId: 'e1',
    stageId: 's1',
    triggeredBy: 'alice@example.com',
  },
  evidence: {
    sonarqube: gates.map((gate, index) => ({
      status: gate === 'OK' ? 'pass' : 'fail',
      summary: `quality gate ${gate}`,
      error: null,
      projectKey: `sampleapp-${index}`,
      qualityGate: gate,
      conditions: [],
      url: 'https://sonar.example.com/dashboard?id=sampleapp',
    })),
  },
});

const ssd = (alertMsg: string, suggestion: string) => ({
  alertMsg,
  suggestion,
  error: '',
  exception: '',
  alertStatus: 'active',
  accountName: 'sampleapp',
});

/** Two cases per example: the compliant fixture and the fixture broken the way the rule catches. */
export function exampleCases(): ExampleCase[] {
  return [
    {
      name: '1 manual judgment before deploy: compliant',
      document: 'data.isd.static.manual_judgment_before_deploy.deny',
      input: staticInput(),
      expected: [],
    },
    {
      name: '1 manual judgment before deploy: deploy without judgment',
      document: 'data.isd.static.manual_judgment_before_deploy.deny',
      input: staticInput((p) => {
        p.stages[2].requisiteStageRefIds = ['2'];
      }),
      expected: [
        "stage 'Deploy to production' deploys to the critical account 'production' without a manualJudgment stage right before it",
      ],
    },
    {
      name: '2 image source: compliant',
      document: 'data.isd.static.image_source.deny',
      input: staticInput(),
      expected: [],
    },
    {
      name: '2 image source: init container from Docker Hub',
      document: 'data.isd.static.image_source.deny',
      input: staticInput((p) => {
        p.stages[2].manifests[0].spec.template.spec.initContainers[0].image = 'busybox:1.36';
      }),
      expected: [
        "stage 'Deploy to production': image 'busybox:1.36' of container 'migrate' is not from docker.opsmx.com/",
      ],
    },
    {
      name: '3 runtime policy required: compliant',
      document: 'data.isd.static.runtime_policy_required.deny',
      input: staticInput(),
      expected: [],
    },
    {
      name: '3 runtime policy required: gate points elsewhere',
      document: 'data.isd.static.runtime_policy_required.deny',
      input: staticInput((p) => {
        p.stages[1].parameterValues.policy = 'isd/runtime/anything';
      }),
      expected: ["pipeline 'prod-deploy' must contain an isdPolicyGate stage evaluating isd/runtime/blackout_window"],
    },
    {
      name: '4 separation of duty: other judge',
      document: 'data.isd.runtime.separation_of_duty.deny',
      input: runtimeInput(),
      expected: [],
    },
    {
      name: '4 separation of duty: trigger user judged',
      document: 'data.isd.runtime.separation_of_duty.deny',
      input: runtimeInput((e) => {
        e.stages[0].context.lastModifiedBy = 'alice@example.com';
      }),
      expected: [
        'separation of duties: alice@example.com triggered this execution and also approved one of its manual judgments',
      ],
    },
    {
      name: '5 distinct approvers: one judgment',
      document: 'data.isd.runtime.separation_of_duty_approvers.deny',
      input: runtimeInput(),
      expected: [],
    },
    {
      name: '5 distinct approvers: bob judged twice',
      document: 'data.isd.runtime.separation_of_duty_approvers.deny',
      input: runtimeInput((e) => {
        e.stages.splice(1, 0, { ...e.stages[0], id: 'mj2', refId: '4', name: 'Security sign-off' });
      }),
      expected: [
        'separation of duties: bob@example.com approved 2 manual judgments (Approve production deploy, Security sign-off)',
      ],
    },
    {
      name: '6 blackout window: Monday night',
      document: 'data.isd.runtime.blackout_window.deny',
      input: runtimeInput(),
      nowNs: mondayNightNewYork,
      expected: [],
    },
    {
      name: '6 blackout window: Monday noon in New York',
      document: 'data.isd.runtime.blackout_window.deny',
      input: runtimeInput(),
      nowNs: mondayNoonNewYork,
      expected: [
        'blackout window: no deployments on weekdays between 09:00 and 16:00 America/New_York (it is Monday 12:0)',
      ],
    },
    {
      name: '7 SonarQube auto-approve: all OK',
      document: 'data.isd.approval.sonarqube_quality_gate.allow',
      input: sonarInput(['OK', 'OK']),
      expected: true,
    },
    {
      name: '7 SonarQube auto-approve: one ERROR',
      document: 'data.isd.approval.sonarqube_quality_gate.allow',
      input: sonarInput(['OK', 'ERROR']),
      expected: false,
    },
    {
      name: '7 SonarQube auto-approve: the reason',
      document: 'data.isd.approval.sonarqube_quality_gate.deny',
      input: sonarInput(['OK', 'ERROR']),
      expected: ['SonarQube quality gate of sampleapp-1 is ERROR'],
    },
    {
      name: '8 manual judgment required: present',
      document: 'data.isd.runtime.manual_judgment_required.deny',
      input: runtimeInput(),
      expected: [],
    },
    {
      name: '8 manual judgment required: none',
      document: 'data.isd.runtime.manual_judgment_required.deny',
      input: runtimeInput((e) => {
        e.stages = e.stages.filter((s: { type: string }) => s.type !== 'manualJudgment');
      }),
      expected: [
        ssd(
          "pipeline 'prod-deploy' deploys without any manual judgment",
          'add a Manual Judgment (or ISD approval gate) stage before the deploy stage, or ask for an exception',
        ),
      ],
    },
    {
      name: '9 approved sources: compliant',
      document: 'data.isd.runtime.approved_sources.deny',
      input: runtimeInput(),
      expected: [],
    },
    {
      name: '9 approved sources: unknown user and registry',
      document: 'data.isd.runtime.approved_sources.deny',
      input: runtimeInput((e) => {
        e.trigger.user = 'mallory@example.com';
        e.stages[2].context.manifests[0].spec.template.spec.containers[0].image = 'quay.io/evil/miner:latest';
      }),
      expected: [
        ssd(
          'image quay.io/evil/miner:latest comes from quay.io, which is not an approved registry',
          'push the image to an approved registry',
        ),
        ssd(
          'user mallory@example.com is not allowed to trigger deployments manually',
          'ask a release manager to run the pipeline',
        ),
      ],
    },
    {
      name: '10 branch protection: manual trigger is not checked',
      document: 'data.isd.runtime.branch_protection.deny',
      input: runtimeInput(),
      expected: [],
    },
    {
      name: '10 branch protection: git trigger, GitHub not reachable (http.send off) fails closed',
      document: 'data.isd.runtime.branch_protection.deny',
      input: runtimeInput((e) => {
        e.trigger = {
          type: 'git',
          source: 'github',
          project: 'acme',
          slug: 'sampleapp',
          branch: 'main',
          hash: '9f2c1e4',
          user: 'alice@example.com',
        };
      }),
      expected: ['branch protection of acme/sampleapp@main could not be read from GitHub'],
    },
  ];
}
