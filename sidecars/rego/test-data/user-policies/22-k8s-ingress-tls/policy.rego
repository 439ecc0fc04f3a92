package kubernetes.admission.ingress

import rego.v1

ingress := input.request.object if input.request.kind.kind == "Ingress"

hosts contains rule.host if some rule in ingress.spec.rules

tls_hosts contains host if {
	some tls in ingress.spec.tls
	some host in tls.hosts
}

covered(host) if host in tls_hosts

covered(host) if {
	some pattern in tls_hosts
	startswith(pattern, "*.")
	glob.match(pattern, ["."], host)
}

deny contains sprintf("host %s has no TLS", [host]) if {
	some host in hosts
	not covered(host)
}

deny contains sprintf("host %s is outside example.com", [host]) if {
	some host in hosts
	not strings.any_suffix_match(host, {".example.com", ".example.org"})
}

deny contains "ingress class must be set" if {
	ingress
	not ingress.spec.ingressClassName
	not ingress.metadata.annotations["kubernetes.io/ingress.class"]
}

deny contains sprintf("annotation %s is not allowed", [k]) if {
	some k, _ in ingress.metadata.annotations
	strings.any_prefix_match(k, ["nginx.ingress.kubernetes.io/server-snippet", "nginx.ingress.kubernetes.io/configuration-snippet"])
}
