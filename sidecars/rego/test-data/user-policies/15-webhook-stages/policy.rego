package opa.pipelines.webhooks

import future.keywords

allowed_hosts := {"ci.example.com", "hooks.slack.com", "*.internal.example.com"}

host_of(url) := host if {
	parsed := urlquery_host(url)
	host := parsed
}

# Host part of an http(s) URL, without port or user info.
urlquery_host(url) := lower(h) if {
	m := regex.find_all_string_submatch_n(`^https?://(?:[^@/]*@)?([^:/?#]+)`, url, 1)
	h := m[0][1]
}

host_allowed(host) if {
	some pattern in allowed_hosts
	glob.match(pattern, ["."], host)
}

deny contains msg if {
	some stage in input.pipeline.stages
	stage.type == "webhook"
	host := host_of(stage.url)
	not host_allowed(host)
	msg := sprintf("webhook %q calls %s", [stage.name, host])
}

deny contains msg if {
	some stage in input.pipeline.stages
	stage.type == "webhook"
	not host_of(stage.url)
	msg := sprintf("webhook %q: %v is not an http(s) URL", [stage.name, stage.url])
}

deny contains msg if {
	some stage in input.pipeline.stages
	stage.type == "webhook"
	some name, value in stage.customHeaders
	lower(name) == "authorization"
	not contains(value, "${")
	msg := sprintf("webhook %q has a literal Authorization header", [stage.name])
}
