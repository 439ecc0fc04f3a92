# Every deploy into a production account must come after a manual judgment stage, directly or through
# earlier stages.
package opa.pipelines.manual_judgment

import rego.v1

prod_accounts := {"prod", "prod-eu", "prod-us"}

stages := input.pipeline.stages

stage_by_ref[ref] := stage if {
	some stage in stages
	ref := stage.refId
}

# Stages this stage waits on, transitively.
upstream(ref) := graph.reachable(parents, {ref}) - {ref}

parents[ref] := {p | some p in object.get(stage, "requisiteStageRefIds", [])} if {
	some ref, stage in stage_by_ref
}

is_prod_deploy(stage) if {
	stage.type in {"deploy", "deployManifest"}
	object.get(stage, "account", stage.credentials) in prod_accounts
}

deny contains msg if {
	some stage in stages
	is_prod_deploy(stage)
	judgments := {r | some r in upstream(stage.refId); stage_by_ref[r].type == "manualJudgment"}
	count(judgments) == 0
	msg := sprintf("stage %q deploys to %s without a manual judgment before it", [stage.name, object.get(stage, "account", stage.credentials)])
}

allow if count(deny) == 0
