# METADATA
# title: Deploy stage rules
# description: Rules for deploy stages, with the violated rule's metadata in each message.
# custom:
#   severity: high
package isd.static.annotated

import rego.v1

# METADATA
# title: Replicas
# description: Production deploys run at least two replicas.
# custom:
#   code: DEP-001
deny contains result if {
	some stage in input.pipeline.stages
	stage.type == "deployManifest"
	some m in stage.manifests
	m.kind == "Deployment"
	object.get(m, ["spec", "replicas"], 1) < 2
	annotation := rego.metadata.rule()
	result := sprintf("[%s] %s (%s)", [annotation.custom.code, annotation.description, m.metadata.name])
}

# METADATA
# title: Strategy
# custom:
#   code: DEP-002
deny contains result if {
	some stage in input.pipeline.stages
	stage.type == "deployManifest"
	stage.trafficManagement.enabled == false
	chain := rego.metadata.chain()
	result := sprintf("[%s] %s: traffic management off in %q (package severity %s)", [chain[0].annotations.custom.code, chain[0].annotations.title, stage.name, chain[1].annotations.custom.severity])
}
