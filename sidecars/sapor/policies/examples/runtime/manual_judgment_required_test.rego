package isd.runtime.manual_judgment_required

test_deploy_with_judgment_is_allowed {
	count(deny) == 0 with input as {"application": "app", "pipeline": {"name": "deploy"}, "stages": [{"type": "manualJudgment"}, {"type": "deployManifest"}]}
}

test_deploy_without_judgment_is_denied {
	some d
	deny[d] with input as {"application": "app", "pipeline": {"name": "deploy"}, "stages": [{"type": "deployManifest"}]}
	d.alertMsg == "pipeline 'deploy' deploys without any manual judgment"
	d.accountName == "app"
}

test_exception_is_allowed {
	count(deny) == 0 with input as {"application": "app", "pipeline": {"name": "hotfix-rollback"}, "stages": [{"type": "deployManifest"}]}
}
