# 10. SSD (cf. ssd-policies s2): the branch a git-triggered execution was built from is protected with
# at least two required reviewers, read from GitHub's API with http.send. http.send is off unless the
# host is in policy.httpAllowedHosts; when it cannot be read, the policy denies (fail closed).
package isd.runtime.branch_protection

minimum_reviewers := 2

github_api := "https://api.github.com"

protection := response {
	input.trigger.type == "git"
	url := sprintf("%s/repos/%s/%s/branches/%s/protection", [github_api, input.trigger.project, input.trigger.slug, input.trigger.branch])
	response := http.send({"method": "GET", "url": url, "headers": {"Accept": "application/vnd.github+json"}, "raise_error": false, "timeout": "5s"})
}

reviewers := protection.body.required_pull_request_reviews.required_approving_review_count

deny[msg] {
	input.trigger.type == "git"
	not protection.status_code == 200
	msg := sprintf("branch protection of %s/%s@%s could not be read from GitHub", [input.trigger.project, input.trigger.slug, input.trigger.branch])
}

deny[msg] {
	protection.status_code == 200
	not reviewers >= minimum_reviewers
	msg := sprintf("branch %s of %s/%s requires fewer than %d approving reviews", [input.trigger.branch, input.trigger.project, input.trigger.slug, minimum_reviewers])
}
