import { compile } from './policy';

// Policies in the style of OpsMx's and Armory's published examples (pre-1.0 syntax), on Spinnaker-shaped input.
const pipeline = {
  application: 'sampleapp',
  name: 'prod-deploy',
  stages: [
    { refId: '1', type: 'manualJudgment', name: 'Approve', requisiteStageRefIds: [] },
    {
      refId: '2',
      type: 'deployManifest',
      name: 'Deploy prod',
      account: 'production',
      requisiteStageRefIds: ['1'],
      manifests: [{ spec: { template: { spec: { containers: [{ image: 'docker.opsmx.com/app:1.2' }] } } } }],
    },
    {
      refId: '3',
      type: 'deployManifest',
      name: 'Deploy side',
      account: 'production',
      requisiteStageRefIds: [],
      manifests: [{ spec: { template: { spec: { containers: [{ image: 'docker.io/evil:latest' }] } } } }],
    },
  ],
};

describe('example policies in v0 syntax', () => {
  it('requires a manual judgment before deploys to critical accounts', () => {
    const policy = compile([
      {
        name: 'mj.rego',
        regoVersion: 'v0',
        source: `package opsmx.manual_judgment
import future.keywords.in
critical := {"production"}
deny[msg] {
  stage := input.new.stages[_]
  stage.type == "deployManifest"
  critical[stage.account]
  not judged(stage)
  msg := sprintf("%s deploys to %s without a manual judgment", [stage.name, stage.account])
}
judged(stage) {
  some ref in stage.requisiteStageRefIds
  some s in input.new.stages
  s.refId == ref
  s.type == "manualJudgment"
}`,
      },
    ]);
    expect(policy.evaluate('data.opsmx.manual_judgment.deny', { input: { new: pipeline } })).toEqual([
      'Deploy side deploys to production without a manual judgment',
    ]);
  });

  it('allows images only from the approved registry', () => {
    const policy = compile([
      {
        name: 'images.rego',
        regoVersion: 'v0',
        source: `package opa.pipelines
deny[msg] {
  input.pipeline.application == "sampleapp"
  stage := input.pipeline.stages[_]
  image := stage.manifests[_].spec.template.spec.containers[_].image
  not startswith(image, "docker.opsmx.com/")
  msg := sprintf("image %v is not from docker.opsmx.com", [image])
}`,
      },
    ]);
    expect(policy.evaluate('data.opa.pipelines.deny', { input: { pipeline } })).toEqual([
      'image docker.io/evil:latest is not from docker.opsmx.com',
    ]);
  });

  it('blocks deploys in a weekday blackout window in a time zone', () => {
    const policy = compile([
      {
        name: 'blackout.rego',
        regoVersion: 'v0',
        source: `package opsmx.blackout
import future.keywords.in
default allow = true
allow = false {
  [hour, _, _] := time.clock([input.now_ns, "America/New_York"])
  day := time.weekday([input.now_ns, "America/New_York"])
  not day in {"Saturday", "Sunday"}
  hour >= 9
  hour < 16
}`,
      },
    ]);
    // 2024-03-05 (Tuesday) 15:00 UTC is 10:00 in New York: blocked; 22:00 UTC is 17:00: allowed.
    expect(policy.evaluate('data.opsmx.blackout.allow', { input: { now_ns: 1709650800000000000 } })).toBe(false);
    expect(policy.evaluate('data.opsmx.blackout.allow', { input: { now_ns: 1709676000000000000 } })).toBe(true);
  });

  it('enforces separation of duties between trigger user and judges', () => {
    const policy = compile([
      {
        name: 'sod.rego',
        regoVersion: 'v0',
        source: `package opsmx.sod
judges[u] { s := input.execution.stages[_]; s.type == "manualJudgment"; s.status == "SUCCEEDED"; u := s.context.lastModifiedBy }
deny["trigger user approved their own deployment"] { judges[input.execution.trigger.user] }
count_by_user[u] = n { judges[u]; n := count([s | s := input.execution.stages[_]; s.context.lastModifiedBy == u]) }`,
      },
    ]);
    const execution = {
      trigger: { user: 'ann' },
      stages: [
        { type: 'manualJudgment', status: 'SUCCEEDED', context: { lastModifiedBy: 'ann' } },
        { type: 'manualJudgment', status: 'SUCCEEDED', context: { lastModifiedBy: 'bob' } },
      ],
    };
    expect(policy.evaluate('data.opsmx.sod.deny', { input: { execution } })).toEqual([
      'trigger user approved their own deployment',
    ]);
    expect(policy.evaluate('data.opsmx.sod.count_by_user', { input: { execution } })).toEqual({ ann: 1, bob: 1 });
  });
});
