package isd.static.manual_judgment_before_deploy

judge := {"refId": "1", "type": "manualJudgment", "name": "Approve", "requisiteStageRefIds": []}

test_deploy_after_judgment_is_allowed {
	count(deny) == 0 with input as {"new": {"stages": [judge, {"refId": "2", "type": "deployManifest", "name": "Deploy", "account": "production", "requisiteStageRefIds": ["1"]}]}}
}

test_deploy_without_judgment_is_denied {
	deny["stage 'Deploy' deploys to the critical account 'production' without a manualJudgment stage right before it"] with input as {"new": {"stages": [{"refId": "2", "type": "deployManifest", "name": "Deploy", "account": "production", "requisiteStageRefIds": []}]}}
}

test_non_critical_account_needs_no_judgment {
	count(deny) == 0 with input as {"new": {"stages": [{"refId": "2", "type": "deployManifest", "name": "Deploy", "account": "staging", "requisiteStageRefIds": []}]}}
}

test_legacy_deploy_stage_reads_cluster_account {
	count(deny) == 1 with input as {"new": {"stages": [{"refId": "2", "type": "deploy", "name": "Deploy", "clusters": [{"account": "prod-eu"}], "requisiteStageRefIds": []}]}}
}
