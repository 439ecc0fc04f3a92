#!/usr/bin/env node
// Measures evaluation time of a compiled, cached policy on a realistic pipeline input.
'use strict';
const path = require('node:path');
const { compile } = require(path.join(__dirname, '..', 'src', 'index.ts'));

const source = `package opsmx.static.manual_judgment
import future.keywords.in
critical_accounts := {"prod-k8s", "prod-aws"}
deny[msg] {
  some stage in input.new.stages
  stage.type == "deployManifest"
  stage.account in critical_accounts
  not has_judgment(stage)
  msg := sprintf("stage %v deploys to %v without a manual judgment", [stage.name, stage.account])
}
has_judgment(stage) {
  some ref in stage.requisiteStageRefIds
  some s in input.new.stages
  s.refId == ref
  s.type == "manualJudgment"
}
`;
const stages = [];
for (let i = 0; i < 12; i++)
  stages.push({
    refId: String(i),
    name: `stage ${i}`,
    type: i % 3 === 0 ? 'manualJudgment' : i % 3 === 1 ? 'deployManifest' : 'wait',
    account: i % 2 ? 'prod-k8s' : 'staging',
    requisiteStageRefIds: i === 7 ? ['5'] : i > 0 ? [String(i - 1)] : [],
  });
const input = { new: { application: 'sampleapp', name: 'prod deploy', stages } };
const policy = compile([{ name: 'mj.rego', source, regoVersion: 'v0' }]);
for (let i = 0; i < 500; i++) policy.evaluate('data.opsmx.static.manual_judgment.deny', { input });
const times = [];
for (let i = 0; i < 5000; i++) {
  const start = process.hrtime.bigint();
  policy.evaluate('data.opsmx.static.manual_judgment.deny', { input });
  times.push(Number(process.hrtime.bigint() - start) / 1e6);
}
times.sort((a, b) => a - b);
const simple = compile([
  {
    name: 's.rego',
    source:
      'package s\ndefault allow := false\nallow if { input.user.role == "admin"; input.action in {"read", "write"} }',
  },
]);
const st = [];
for (let i = 0; i < 5000; i++) {
  const start = process.hrtime.bigint();
  simple.evaluate('data.s.allow', { input: { user: { role: 'admin' }, action: 'read' } });
  st.push(Number(process.hrtime.bigint() - start) / 1e6);
}
st.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    deny: policy.evaluate('data.opsmx.static.manual_judgment.deny', { input }).length,
    realisticMedianMs: +times[2500].toFixed(4),
    realisticP99Ms: +times[4950].toFixed(4),
    simpleMedianMs: +st[2500].toFixed(4),
    simpleP99Ms: +st[4950].toFixed(4),
  }),
);
