package isd.gates.execution

import rego.v1

# Runtime input: the running execution (Orca's JSON). Checks what already happened in this run.
stages := input.execution.stages

succeeded(type) := [s | some s in stages; s.type == type; s.status == "SUCCEEDED"]

tests_passed if count(succeeded("jenkins")) > 0

canary_score := max([s.context.canaryScore | some s in succeeded("kayentaCanary")])

judged_by contains s.lastModifiedBy if {
	some s in stages
	s.type == "manualJudgment"
	s.context.judgmentStatus == "continue"
}

deny contains "no successful test run before this deploy" if not tests_passed

deny contains sprintf("canary score %v is below 90", [canary_score]) if canary_score < 90

deny contains sprintf("the trigger user %s approved their own change", [u]) if {
	some u in judged_by
	u == input.execution.trigger.user
}

duration_minutes := (max([s.endTime | some s in stages; s.endTime]) - input.execution.startTime) / 60000
