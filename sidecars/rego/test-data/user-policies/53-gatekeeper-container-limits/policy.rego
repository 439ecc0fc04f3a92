package k8scontainerlimits

import rego.v1

# A Gatekeeper-style template with helper functions returning values, some deliberately ambiguous.
missing(obj, field) if not obj[field]

missing(obj, field) if obj[field] == ""

canonify_cpu(orig) := orig if is_number(orig)

canonify_cpu(orig) := new if {
	not is_number(orig)
	endswith(orig, "m")
	new := to_number(replace(orig, "m", ""))
}

canonify_cpu(orig) := new if {
	not is_number(orig)
	not endswith(orig, "m")
	regex.match(`^[0-9]+(\.[0-9]+)?$`, orig)
	new := to_number(orig) * 1000
}

general_violation contains {"msg": msg, "field": field} if {
	some field in ["containers", "initContainers"]
	some container in input.review.object.spec[field]
	cpu_orig := container.resources.limits.cpu
	cpu := canonify_cpu(cpu_orig)
	max_cpu := canonify_cpu(input.parameters.cpu)
	cpu > max_cpu
	msg := sprintf("container <%v> cpu limit <%v> is higher than the maximum allowed of <%v>", [container.name, cpu_orig, input.parameters.cpu])
}

general_violation contains {"msg": msg, "field": field} if {
	some field in ["containers", "initContainers"]
	some container in input.review.object.spec[field]
	missing(container.resources.limits, "cpu")
	msg := sprintf("container <%v> has no cpu limit", [container.name])
}

violation contains {"msg": v.msg} if some v in general_violation
