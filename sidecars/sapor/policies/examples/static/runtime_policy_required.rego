# 3. Static: prod* pipelines must contain an ISD policy gate pointing at the blackout-window policy,
# and a deploy stage.
package isd.static.runtime_policy_required

import future.keywords.in

blackout_policy := {"isd/runtime/blackout_window", "isd.runtime.blackout_window"}

is_prod {
	startswith(input.pipeline.name, "prod")
}

deny[msg] {
	is_prod
	not has_blackout_gate
	msg := sprintf("pipeline '%s' must contain an isdPolicyGate stage evaluating isd/runtime/blackout_window", [input.pipeline.name])
}

deny[msg] {
	is_prod
	not has_deploy
	msg := sprintf("pipeline '%s' is a prod pipeline without a deploy stage", [input.pipeline.name])
}

has_blackout_gate {
	stage := input.pipeline.stages[_]
	stage.type == "isdPolicyGate"
	stage.parameterValues.policy in blackout_policy
}

has_deploy {
	input.pipeline.stages[_].type in {"deploy", "deployManifest"}
}
