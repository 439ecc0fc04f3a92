package isd.runtime.separation_of_duty

judgment(user) := {"type": "manualJudgment", "status": "SUCCEEDED", "context": {"lastModifiedBy": user}}

test_other_judge_is_allowed {
	count(deny) == 0 with input as {"trigger": {"user": "alice"}, "stages": [judgment("bob")]}
}

test_self_judgment_is_denied {
	count(deny) == 1 with input as {"trigger": {"user": "alice"}, "stages": [judgment("bob"), judgment("alice")]}
}

test_unfinished_judgment_does_not_count {
	count(deny) == 0 with input as {"trigger": {"user": "alice"}, "stages": [{"type": "manualJudgment", "status": "RUNNING", "context": {"lastModifiedBy": "alice"}}]}
}
