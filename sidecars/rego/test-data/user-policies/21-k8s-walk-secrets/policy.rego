package kubernetes.admission.secrets

import rego.v1

# Anything that looks like an inline credential anywhere in the object.
suspicious_keys := {"password", "passwd", "secret", "token", "apikey", "api_key"}

findings contains {"path": concat(".", [format_path(p) | some p in path]), "key": key} if {
	walk(input.request.object, [path, value])
	count(path) > 0
	key := path[count(path) - 1]
	is_string(key)
	lower(key) in suspicious_keys
	is_string(value)
	value != ""
}

format_path(p) := p if is_string(p)

format_path(p) := sprintf("[%d]", [p]) if is_number(p)

env_findings contains sprintf("env %s of container %s holds a literal value", [e.name, c.name]) if {
	some c in input.request.object.spec.containers
	some e in c.env
	regex.match(`(?i)(password|token|secret)`, e.name)
	e.value
}

deny contains sprintf("inline credential at %s", [f.path]) if some f in findings

deny contains msg if some msg in env_findings
