# 2. Static: sampleapp deploying to production must pull its images from docker.opsmx.com/.
# Armory save-time input shape: input.pipeline.
package isd.static.image_source

import future.keywords.in

trusted_prefix := "docker.opsmx.com/"

deny[msg] {
	input.pipeline.application == "sampleapp"
	stage := input.pipeline.stages[_]
	stage.type == "deployManifest"
	stage.account == "production"
	container := stage.manifests[_].spec.template.spec[kind][_]
	kind in {"containers", "initContainers"}
	not startswith(container.image, trusted_prefix)
	msg := sprintf("stage '%s': image '%s' of container '%s' is not from %s", [stage.name, container.image, container.name, trusted_prefix])
}
