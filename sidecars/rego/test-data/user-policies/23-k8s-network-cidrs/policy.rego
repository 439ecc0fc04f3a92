package kubernetes.admission.network

import rego.v1

internal_ranges := ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8"]

egress_cidrs contains cidr if {
	some rule in input.request.object.spec.egress
	some to in rule.to
	cidr := to.ipBlock.cidr
}

is_internal(cidr) if {
	some range in internal_ranges
	net.cidr_contains(range, cidr)
}

deny contains sprintf("egress to %s leaves the internal network", [cidr]) if {
	some cidr in egress_cidrs
	not is_internal(cidr)
}

deny contains sprintf("%s is not a valid CIDR", [cidr]) if {
	some cidr in egress_cidrs
	not net.cidr_is_valid(cidr)
}

overlaps contains [a, b] if {
	some a in egress_cidrs
	some b in egress_cidrs
	a < b
	net.cidr_intersects(a, b)
}

merged := net.cidr_merge(egress_cidrs)

service_ip_ok if net.cidr_contains("10.96.0.0/12", input.request.object.spec.clusterIP)
