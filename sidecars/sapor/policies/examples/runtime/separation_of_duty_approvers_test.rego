package isd.runtime.separation_of_duty_approvers

judgment(name, user) := {"name": name, "type": "manualJudgment", "status": "SUCCEEDED", "context": {"lastModifiedBy": user}}

test_distinct_approvers_are_allowed {
	count(deny) == 0 with input as {"stages": [judgment("QA", "bob"), judgment("Security", "carol")]}
}

test_one_user_approving_twice_is_denied {
	deny["separation of duties: bob approved 2 manual judgments (QA, Security)"] with input as {"stages": [judgment("QA", "bob"), judgment("Security", "bob")]}
}
