package spinnaker.bake

import rego.v1

# Helm bake stages: chart from the internal repo, values overrides may not switch off security settings.
bake_stages contains s if {
	some s in input.pipeline.stages
	s.type == "bakeManifest"
	s.templateRenderer in {"HELM2", "HELM3"}
}

deny contains msg if {
	some s in bake_stages
	some artifact in s.inputArtifacts
	ref := artifact.artifact.reference
	not startswith(ref, "https://charts.example.com/")
	msg := sprintf("bake %q uses a chart from %s", [s.name, ref])
}

forbidden_overrides := {"securityContext.privileged": "true", "networkPolicy.enabled": "false", "rbac.create": "false"}

deny contains msg if {
	some s in bake_stages
	some key, value in s.overrides
	forbidden_overrides[key] == lower(sprintf("%v", [value]))
	msg := sprintf("bake %q sets %s=%v", [s.name, key, value])
}

deny contains sprintf("bake %q: namespace %q is not allowed", [s.name, s.namespace]) if {
	some s in bake_stages
	s.namespace in {"kube-system", "default"}
}

namespaces := {s.namespace | some s in bake_stages}
