package spinnaker.triggers

import rego.v1

allowed_branches := {"main", "master"}

trusted_registries := ["gcr.io/acme/*", "*.dkr.ecr.*.amazonaws.com/*"]

enabled_triggers contains t if {
	some t in input.pipeline.triggers
	object.get(t, "enabled", true) == true
}

deny contains msg if {
	some t in enabled_triggers
	t.type == "git"
	not t.branch in allowed_branches
	msg := sprintf("git trigger on branch %v: only %v may trigger", [t.branch, concat(", ", sort(allowed_branches))])
}

deny contains msg if {
	some t in enabled_triggers
	t.type == "docker"
	image := sprintf("%s/%s", [t.registry, t.repository])
	every pattern in trusted_registries {
		not glob.match(pattern, ["/"], image)
	}
	msg := sprintf("docker trigger on untrusted image %s", [image])
}

deny contains "cron triggers may not run more often than hourly" if {
	some t in enabled_triggers
	t.type == "cron"
	fields := split(t.cronExpression, " ")
	minute := fields[1]
	not regex.match(`^[0-9]+$`, minute)
}

warn contains "pipeline has no enabled trigger" if count(enabled_triggers) == 0
