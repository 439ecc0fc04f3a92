package isd.static.approvers

import rego.v1

# Approvers come from data (loaded from a bundle); tests mock it and the input with `with`.
default approvers := {"prod": ["release-managers"]}

approvers := data.isd.config.approvers

stage_groups(stage) := {g | some g in stage.selectedStageRoles}

deny contains sprintf("manual judgment %q must be limited to %v", [stage.name, approvers[env]]) if {
	some stage in input.pipeline.stages
	stage.type == "manualJudgment"
	env := object.get(stage, "environment", "prod")
	required := {g | some g in approvers[env]}
	count(stage_groups(stage) & required) == 0
}

test_prod_without_roles_denied if {
	count(deny) == 1 with input as {"pipeline": {"stages": [{"type": "manualJudgment", "name": "MJ"}]}}
}

test_prod_with_roles_allowed if {
	count(deny) == 0 with input as {"pipeline": {"stages": [{"type": "manualJudgment", "name": "MJ", "selectedStageRoles": ["release-managers"]}]}}
}

test_data_override if {
	count(deny) == 0 with input as {"pipeline": {"stages": [{"type": "manualJudgment", "name": "MJ", "environment": "qa", "selectedStageRoles": ["qa"]}]}}
		with data.isd.config.approvers as {"qa": ["qa"]}
}

# With count mocked to 1 the role check never matches, and the test's own count reads 1 too.
test_count_mocked if {
	count(deny) == 1 with count as fake_count with input as {"pipeline": {"stages": []}}
}

fake_count(_) := 1
