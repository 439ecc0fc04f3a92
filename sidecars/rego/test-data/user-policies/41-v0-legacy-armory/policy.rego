package spinnaker.persistence.pipelines.before

# An old-style (pre-1.0) Armory policy: deny as a partial set without keywords, negation helpers,
# `any`, set literals and array indexing.
deny["pipelines must have at least one stage"] {
	count(input.pipeline.stages) == 0
}

deny[msg] {
	stage := input.pipeline.stages[i]
	stage.type == "deployManifest"
	not stage.moniker.app
	msg := sprintf("stage #%d has no moniker app", [i])
}

deny[msg] {
	input.pipeline.stages[i].type == "deployManifest"
	input.pipeline.stages[i].source == "text"
	manifest := input.pipeline.stages[i].manifests[_]
	manifest.kind == "Namespace"
	msg = "pipelines may not create namespaces"
}

deny[msg] {
	trigger := input.pipeline.triggers[_]
	trigger.enabled
	trigger.type == "jenkins"
	not re_match("^ci-", trigger.master)
	msg := concat("", ["jenkins master ", trigger.master, " is not a CI master"])
}

stage_types = {t | t := input.pipeline.stages[_].type}

has_wait = true {
	stage_types["wait"]
}
