package isd.gates.risk

import rego.v1

default score := 0

# Risk score of a change; else chains pick the first matching band.
score := s if {
	s := sum([w | some factor, w in weights; factor in input.change.factors])
}

weights := {"db-migration": 40, "new-service": 20, "config-only": 5, "friday": 30, "hotfix": 25}

severity := "critical" if {
	score >= 80
} else := "high" if {
	score >= 50
} else := "medium" if {
	score >= 20
} else := "low"

required_approvals := 3 if severity == "critical"

else := 2 if severity == "high"

else := 1

decision := {"severity": severity, "approvals": required_approvals, "score": score}

deny contains sprintf("%s risk change needs %d approvals, has %d", [severity, required_approvals, n]) if {
	n := count({a | some a in input.change.approvals})
	n < required_approvals
}
