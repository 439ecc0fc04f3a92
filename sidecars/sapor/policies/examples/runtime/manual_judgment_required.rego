# 8. SSD (cf. ssd-policies s262): a deployment execution must contain at least one manual judgment,
# unless its pipeline is on the named exception list. Denies are SSD-style objects.
package isd.runtime.manual_judgment_required

import future.keywords.in

# The application is reported with each alert; an input without one still gets its denies.
application := object.get(input, "application", "")

exception_list := {"hotfix-rollback", "sandbox-deploy"}

deploy_types := {"deploy", "deployManifest", "createServerGroup"}

deploys {
	input.stages[_].type in deploy_types
}

judgments := [stage | stage := input.stages[_]; stage.type == "manualJudgment"]

deny[{"alertMsg": msg, "suggestion": suggestion, "error": "", "exception": "", "alertStatus": "active", "accountName": application}] {
	deploys
	not input.pipeline.name in exception_list
	count(judgments) == 0
	msg := sprintf("pipeline '%s' deploys without any manual judgment", [input.pipeline.name])
	suggestion := "add a Manual Judgment (or ISD approval gate) stage before the deploy stage, or ask for an exception"
}
