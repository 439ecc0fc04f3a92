# 9. SSD (cf. ssd-policies s41 / s264): images deployed by the execution come from approved registries,
# and the execution was triggered by an approved user or an automated trigger.
package isd.runtime.approved_sources

import future.keywords.in

# The application is reported with each alert; an input without one still gets its denies.
application := object.get(input, "application", "")

approved_registries := {"docker.opsmx.com", "ghcr.io", "123456789012.dkr.ecr.us-east-1.amazonaws.com"}

approved_users := {"alice@example.com", "release-bot@example.com"}

automated_triggers := {"docker", "jenkins", "git", "cron", "pipeline"}

images[image] {
	stage := input.stages[_]
	stage.type == "deployManifest"
	image := stage.context.manifests[_].spec.template.spec.containers[_].image
}

registry(image) := registry {
	parts := split(image, "/")
	count(parts) > 1
	contains(parts[0], ".")
	registry := parts[0]
}

registry(image) := "docker.io" {
	parts := split(image, "/")
	not contains(parts[0], ".")
}

registry(image) := "docker.io" {
	count(split(image, "/")) == 1
}

deny[{"alertMsg": msg, "suggestion": "push the image to an approved registry", "error": "", "exception": "", "alertStatus": "active", "accountName": application}] {
	image := images[_]
	reg := registry(image)
	not reg in approved_registries
	msg := sprintf("image %s comes from %s, which is not an approved registry", [image, reg])
}

deny[{"alertMsg": msg, "suggestion": "ask a release manager to run the pipeline", "error": "", "exception": "", "alertStatus": "active", "accountName": application}] {
	input.trigger.type == "manual"
	not input.trigger.user in approved_users
	msg := sprintf("user %s is not allowed to trigger deployments manually", [input.trigger.user])
}
