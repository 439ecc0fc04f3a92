package kubernetes.admission.resources

import rego.v1

max_cpu_millis := 4000

max_memory_bytes := units.parse_bytes("8Gi")

cpu_millis(q) := to_number(trim_suffix(q, "m")) if endswith(q, "m")

cpu_millis(q) := to_number(q) * 1000 if {
	is_string(q)
	not endswith(q, "m")
}

cpu_millis(q) := q * 1000 if is_number(q)

memory_bytes(q) := units.parse_bytes(q) if is_string(q)

memory_bytes(q) := q if is_number(q)

containers := input.request.object.spec.template.spec.containers

deny contains sprintf("container %s has no %s limit", [c.name, r]) if {
	some c in containers
	some r in ["cpu", "memory"]
	not c.resources.limits[r]
}

deny contains sprintf("container %s: cpu limit %v is above %dm", [c.name, c.resources.limits.cpu, max_cpu_millis]) if {
	some c in containers
	cpu_millis(c.resources.limits.cpu) > max_cpu_millis
}

deny contains sprintf("container %s: memory limit %v is above 8Gi", [c.name, c.resources.limits.memory]) if {
	some c in containers
	memory_bytes(c.resources.limits.memory) > max_memory_bytes
}

deny contains sprintf("container %s requests more memory than its limit", [c.name]) if {
	some c in containers
	memory_bytes(c.resources.requests.memory) > memory_bytes(c.resources.limits.memory)
}

total_cpu_millis := sum([cpu_millis(c.resources.limits.cpu) | some c in containers])
