package kubernetes.admission.quota

import rego.v1

# Namespace quota: the sum of requests across containers against the namespace's quota.
cpu(q) := units.parse(q) if is_string(q)

cpu(q) := q if is_number(q)

mem(q) := units.parse_bytes(q) if is_string(q)

mem(q) := q if is_number(q)

containers := input.request.object.spec.containers

requested := {
	"cpu": sum([cpu(c.resources.requests.cpu) | some c in containers]),
	"memory": sum([mem(c.resources.requests.memory) | some c in containers]),
}

quota := {"cpu": units.parse(input.quota.cpu), "memory": units.parse_bytes(input.quota.memory)}

deny contains sprintf("%s requests %v, quota is %v", [r, requested[r], quota[r]]) if {
	some r in ["cpu", "memory"]
	requested[r] > quota[r]
}

usage_percent[r] := round(requested[r] * 100 / quota[r]) if some r in ["cpu", "memory"]

human := {
	"memory_mib": requested.memory / (1024 * 1024),
	"cpu_floor": floor(requested.cpu),
	"cpu_ceil": ceil(requested.cpu),
	"mod": numbers.range(1, 3),
	"rem": 17 % 5,
	"neg": abs(-2.5),
}
