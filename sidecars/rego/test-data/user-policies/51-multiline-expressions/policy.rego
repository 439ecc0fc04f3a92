package isd.gates.capacity

import rego.v1

# Long arithmetic broken across lines with the operator first, as some teams format it.
requested := sum([c.replicas | some c in input.deployments])
	+ object.get(input, "surge", 0)
	- object.get(input, "reserved", 0)

capacity := input.cluster.nodes * input.cluster.pods_per_node

headroom := capacity
	- requested

deny contains sprintf("requested %d pods, capacity %d", [requested, capacity]) if {
	requested
		> capacity
}

utilisation := round((requested * 100) / capacity)
