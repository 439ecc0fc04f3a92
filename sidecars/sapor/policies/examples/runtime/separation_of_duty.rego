# 4. Runtime: the user who triggered the execution may not be one of its manual judges.
# Judges are the lastModifiedBy of succeeded manualJudgment stages in the execution sapor read from Gate.
package isd.runtime.separation_of_duty

import future.keywords.in

judges[user] {
	stage := input.stages[_]
	stage.type == "manualJudgment"
	stage.status == "SUCCEEDED"
	user := stage.context.lastModifiedBy
}

deny[msg] {
	input.trigger.user in judges
	msg := sprintf("separation of duties: %s triggered this execution and also approved one of its manual judgments", [input.trigger.user])
}
