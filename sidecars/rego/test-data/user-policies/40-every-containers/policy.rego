package kubernetes.admission.probes

import rego.v1

containers := input.request.object.spec.template.spec.containers

probed(c) if {
	c.readinessProbe
	c.livenessProbe
}

all_probed if {
	every c in containers {
		probed(c)
	}
}

ports_named if {
	every i, c in containers {
		every p in object.get(c, "ports", []) {
			regex.match(`^[a-z][a-z0-9-]{0,14}$`, p.name)
		}
		i >= 0
	}
}

deny contains "every container needs readiness and liveness probes" if not all_probed

deny contains "container ports must be named (lower case, at most 15 characters)" if not ports_named

deny contains sprintf("container %s probes port %v it does not expose", [c.name, port]) if {
	some c in containers
	port := c.readinessProbe.httpGet.port
	not port in {p.containerPort | some p in c.ports} | {p.name | some p in c.ports}
}
