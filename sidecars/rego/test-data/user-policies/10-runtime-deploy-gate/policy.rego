# A runtime policy gate (Orca calls it before a deploy stage): who may deploy what, where.
package isd.gates.deploy

import rego.v1

default allow := false

default reason := "not allowed"

admins := {"alice@example.com"}

allow if input.user in admins

allow if {
	input.stage.context.account != "prod"
}

allow if {
	input.stage.context.account == "prod"
	some role in input.roles
	role in {"release-managers", "sre"}
	not weekend
}

weekend if time.weekday(time.parse_rfc3339_ns(input.execution.startTime)) in {"Saturday", "Sunday"}

reason := "admin override" if {
	allow
	input.user in admins
} else := "allowed by role" if {
	allow
} else := "prod deploys on weekends are blocked" if {
	weekend
} else := sprintf("%s lacks a release role", [input.user])

result := {"allow": allow, "reason": reason}
