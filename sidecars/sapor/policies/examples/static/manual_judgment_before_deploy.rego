# 1. Static: a deploy stage to a critical account must directly follow a manualJudgment stage.
# OpsMx static-policy input: the pipeline being saved is input.new (input.pipeline carries the same).
package isd.static.manual_judgment_before_deploy

import future.keywords.in

critical_accounts := {"production", "prod-us", "prod-eu"}

deploy_types := {"deploy", "deployManifest", "createServerGroup"}

deny[msg] {
	stage := input.new.stages[_]
	stage.type in deploy_types
	account := stage_account(stage)
	account in critical_accounts
	not judged_before(stage)
	msg := sprintf("stage '%s' deploys to the critical account '%s' without a manualJudgment stage right before it", [stage.name, account])
}

stage_account(stage) := stage.account

stage_account(stage) := account {
	not stage.account
	account := stage.clusters[_].account
}

judged_before(stage) {
	parent := input.new.stages[_]
	parent.refId in stage.requisiteStageRefIds
	parent.type == "manualJudgment"
}
