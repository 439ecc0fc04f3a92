package opa.pipelines.mixed

# A v0-loaded module opting into v1 syntax with import rego.v1.
import rego.v1

deny contains msg if {
	some stage in input.pipeline.stages
	stage.type == "runJobManifest"
	some c in stage.manifest.spec.template.spec.containers
	not c.resources
	msg := sprintf("job %s container %s has no resources", [stage.name, c.name])
}

deny contains "jobs must set a TTL" if {
	some stage in input.pipeline.stages
	stage.type == "runJobManifest"
	not stage.manifest.spec.ttlSecondsAfterFinished
}

jobs := {s.name: s.manifest.spec.backoffLimit | some s in input.pipeline.stages; s.type == "runJobManifest"}
