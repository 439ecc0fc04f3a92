package isd.static.runtime_policy_required

gate := {"type": "isdPolicyGate", "parameterValues": {"policy": "isd/runtime/blackout_window"}}

deploy := {"type": "deployManifest"}

test_prod_pipeline_with_gate_and_deploy_is_allowed {
	count(deny) == 0 with input as {"pipeline": {"name": "prod-deploy", "stages": [gate, deploy]}}
}

test_prod_pipeline_without_gate_is_denied {
	deny["pipeline 'prod-deploy' must contain an isdPolicyGate stage evaluating isd/runtime/blackout_window"] with input as {"pipeline": {"name": "prod-deploy", "stages": [deploy]}}
}

test_prod_pipeline_without_deploy_is_denied {
	count(deny) == 1 with input as {"pipeline": {"name": "prod-smoke", "stages": [gate]}}
}

test_other_pipelines_are_not_checked {
	count(deny) == 0 with input as {"pipeline": {"name": "staging-deploy", "stages": []}}
}
