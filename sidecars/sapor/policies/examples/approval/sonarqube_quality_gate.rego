# 7. Approval auto-decision: approve automatically when every SonarQube quality gate in the evidence
# gathered by the approval gate (visibility) is OK.
package isd.approval.sonarqube_quality_gate

import future.keywords.every
import future.keywords.in

default allow = false

allow {
	count(input.evidence.sonarqube) > 0
	every item in input.evidence.sonarqube {
		item.qualityGate == "OK"
	}
}

deny[msg] {
	item := input.evidence.sonarqube[_]
	item.qualityGate != "OK"
	msg := sprintf("SonarQube quality gate of %s is %s", [item.projectKey, item.qualityGate])
}

deny["no SonarQube evidence was gathered"] {
	not input.evidence.sonarqube
}
