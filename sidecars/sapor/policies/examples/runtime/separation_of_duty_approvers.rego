# 5. Runtime: no single user may approve two manual judgments of the same execution.
package isd.runtime.separation_of_duty_approvers

judged_by(user) := [stage.name |
	stage := input.stages[_]
	stage.type == "manualJudgment"
	stage.status == "SUCCEEDED"
	stage.context.lastModifiedBy == user
]

deny[msg] {
	user := input.stages[_].context.lastModifiedBy
	stages := judged_by(user)
	count(stages) > 1
	msg := sprintf("separation of duties: %s approved %d manual judgments (%s)", [user, count(stages), concat(", ", stages)])
}
