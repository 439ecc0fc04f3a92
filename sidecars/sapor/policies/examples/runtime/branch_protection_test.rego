package isd.runtime.branch_protection

git_trigger := {"type": "git", "project": "acme", "slug": "web", "branch": "main"}

protected(_) := {"status_code": 200, "body": {"required_pull_request_reviews": {"required_approving_review_count": 2}}}

weak(_) := {"status_code": 200, "body": {"required_pull_request_reviews": {"required_approving_review_count": 1}}}

unprotected(_) := {"status_code": 404, "body": {"message": "Branch not protected"}}

test_two_reviewers_are_allowed {
	count(deny) == 0 with input.trigger as git_trigger with http.send as protected
}

test_one_reviewer_is_denied {
	deny["branch main of acme/web requires fewer than 2 approving reviews"] with input.trigger as git_trigger with http.send as weak
}

test_unprotected_branch_is_denied {
	count(deny) == 1 with input.trigger as git_trigger with http.send as unprotected
}

test_non_git_triggers_are_not_checked {
	count(deny) == 0 with input.trigger as {"type": "manual"} with http.send as unprotected
}
