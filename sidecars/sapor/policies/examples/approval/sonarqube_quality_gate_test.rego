package isd.approval.sonarqube_quality_gate

sonar(key, gate) := {"status": "pass", "projectKey": key, "qualityGate": gate, "conditions": []}

test_all_ok_approves {
	allow with input as {"evidence": {"sonarqube": [sonar("web", "OK"), sonar("api", "OK")]}}
}

test_one_error_does_not_approve {
	not allow with input as {"evidence": {"sonarqube": [sonar("web", "OK"), sonar("api", "ERROR")]}}
	deny["SonarQube quality gate of api is ERROR"] with input as {"evidence": {"sonarqube": [sonar("web", "OK"), sonar("api", "ERROR")]}}
}

test_no_evidence_does_not_approve {
	not allow with input as {"evidence": {}}
	count(deny) == 1 with input as {"evidence": {}}
}
