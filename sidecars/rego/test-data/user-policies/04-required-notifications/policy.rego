package isd.static.notifications

import rego.v1

default has_failure_notification := false

has_failure_notification if {
	some n in input.pipeline.notifications
	n.type in {"slack", "email", "microsoftteams"}
	"pipeline.failed" in n.when
}

prod_pipeline if regex.match(`(?i)prod`, input.pipeline.name)

deny contains "production pipelines must notify on failure (slack, email or teams)" if {
	prod_pipeline
	not has_failure_notification
}

deny contains msg if {
	some i, n in input.pipeline.notifications
	n.type == "slack"
	not startswith(n.address, "#")
	msg := sprintf("notification %d: slack address %v must be a channel", [i, n.address])
}

deny contains msg if {
	some i, n in input.pipeline.notifications
	n.type == "email"
	not regex.match(`^[^@\s]+@example\.(com|org)$`, n.address)
	msg := concat(" ", ["notification", format_int(i, 10), "emails", n.address, "outside example.com"])
}
