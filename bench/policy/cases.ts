// Realistic inputs for the ten example policies of sidecars/sapor: its pipeline-config and execution
// fixtures, as sapor builds them into policy input, plus the variant each policy denies.
import fs from 'node:fs';
import path from 'node:path';
import { buildRuntimeInput, buildStaticInput } from '@isd/sapor';

/** One evaluation to time: a document of the examples, its input and a fixed clock. */
export interface PolicyCase {
  name: string;
  document: string;
  input: unknown;
  nowNs: bigint;
}

/** The repository, from bench/policy/ (run through tsx) or bench/dist/policy/ (compiled). */
export const repoRoot = path.resolve(
  __dirname,
  ...(path.basename(path.dirname(__dirname)) === 'dist' ? ['..', '..', '..'] : ['..', '..']),
);
/** Folder of the example policies. */
export const examplesRoot = path.join(repoRoot, 'sidecars', 'sapor', 'policies', 'examples');
const fixturesRoot = path.join(repoRoot, 'sidecars', 'sapor', 'test', 'fixtures');

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- fixtures are edited freely

function fixture(name: string): Json {
  return JSON.parse(fs.readFileSync(path.join(fixturesRoot, name), 'utf8')) as Json;
}

/** The example modules (v0 syntax, as the folder's .manifest says). */
export function exampleModules(): Array<{ name: string; source: string; regoVersion: 'v0' }> {
  const out: Array<{ name: string; source: string; regoVersion: 'v0' }> = [];
  for (const folder of ['static', 'runtime', 'approval']) {
    for (const file of fs.readdirSync(path.join(examplesRoot, folder)).sort()) {
      if (!file.endsWith('_test.rego'))
        out.push({
          name: `${folder}/${file}`,
          source: fs.readFileSync(path.join(examplesRoot, folder, file), 'utf8'),
          regoVersion: 'v0',
        });
    }
  }
  return out;
}

function runtime(change?: (execution: Json) => void): unknown {
  const execution = fixture('execution-prod-deploy.json');
  change?.(execution);
  const fields = {
    application: execution.application,
    pipelineName: execution.name,
    pipelineId: execution.pipelineConfigId,
    executionId: execution.id,
    stageId: '01JDQ6ZP3N9J8K7L6M5N4P3Q2R',
    triggeredBy: execution.trigger.user,
  };
  return buildRuntimeInput(fields, execution, {});
}

function saveTime(change?: (pipeline: Json) => void): unknown {
  const pipeline = fixture('pipeline-prod-deploy.json');
  const current = fixture('pipeline-prod-deploy.json');
  change?.(pipeline);
  return buildStaticInput(pipeline, current);
}

function sonar(gates: string[]): unknown {
  return {
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
        projectKey: `sampleapp-${index}`,
        qualityGate: gate,
        conditions: [],
      })),
    },
  };
}

const monday = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;

/** Twenty cases: each of the ten examples on the compliant fixture and on the variant it denies. */
export function policyCases(): PolicyCase[] {
  const night = monday('2026-11-24T03:00:00Z');
  const noon = monday('2026-11-23T17:00:00Z');
  const cases: Array<[string, string, unknown, bigint?]> = [
    ['manual judgment before deploy', 'data.isd.static.manual_judgment_before_deploy.deny', saveTime()],
    [
      'manual judgment before deploy (denied)',
      'data.isd.static.manual_judgment_before_deploy.deny',
      saveTime((p) => void (p.stages[2].requisiteStageRefIds = ['2'])),
    ],
    ['image source', 'data.isd.static.image_source.deny', saveTime()],
    [
      'image source (denied)',
      'data.isd.static.image_source.deny',
      saveTime((p) => void (p.stages[2].manifests[0].spec.template.spec.containers[0].image = 'nginx:1.27')),
    ],
    ['runtime policy required', 'data.isd.static.runtime_policy_required.deny', saveTime()],
    [
      'runtime policy required (denied)',
      'data.isd.static.runtime_policy_required.deny',
      saveTime((p) => void p.stages.splice(1, 1)),
    ],
    ['separation of duty', 'data.isd.runtime.separation_of_duty.deny', runtime()],
    [
      'separation of duty (denied)',
      'data.isd.runtime.separation_of_duty.deny',
      runtime((e) => void (e.stages[0].context.lastModifiedBy = 'alice@example.com')),
    ],
    ['distinct approvers', 'data.isd.runtime.separation_of_duty_approvers.deny', runtime()],
    [
      'distinct approvers (denied)',
      'data.isd.runtime.separation_of_duty_approvers.deny',
      runtime((e) => void e.stages.splice(1, 0, { ...e.stages[0], id: 'mj2', refId: '4' })),
    ],
    ['blackout window', 'data.isd.runtime.blackout_window.deny', runtime(), night],
    ['blackout window (denied)', 'data.isd.runtime.blackout_window.deny', runtime(), noon],
    ['sonarqube auto-approve', 'data.isd.approval.sonarqube_quality_gate.allow', sonar(['OK', 'OK', 'OK'])],
    ['sonarqube auto-approve (denied)', 'data.isd.approval.sonarqube_quality_gate.deny', sonar(['OK', 'ERROR', 'OK'])],
    ['manual judgment required', 'data.isd.runtime.manual_judgment_required.deny', runtime()],
    [
      'manual judgment required (denied)',
      'data.isd.runtime.manual_judgment_required.deny',
      runtime((e) => void (e.stages = e.stages.filter((s: Json) => s.type !== 'manualJudgment'))),
    ],
    ['approved sources', 'data.isd.runtime.approved_sources.deny', runtime()],
    [
      'approved sources (denied)',
      'data.isd.runtime.approved_sources.deny',
      runtime((e) => void (e.trigger.user = 'mallory@example.com')),
    ],
    ['branch protection', 'data.isd.runtime.branch_protection.deny', runtime()],
    [
      'branch protection (denied, http.send off)',
      'data.isd.runtime.branch_protection.deny',
      runtime(
        (e) =>
          void (e.trigger = {
            type: 'git',
            project: 'acme',
            slug: 'sampleapp',
            branch: 'main',
            user: 'alice@example.com',
          }),
      ),
    ],
  ];
  return cases.map(([name, document, input, nowNs]) => ({ name, document, input, nowNs: nowNs ?? night }));
}
