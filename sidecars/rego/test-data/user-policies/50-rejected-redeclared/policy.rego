package isd.static.redeclared

import rego.v1

# `some` then `:=` on the same name: meant as a new binding, refused as a redeclaration.
deny contains msg if {
	some stage in input.pipeline.stages
	stage := object.union(stage, {"checked": true})
	msg := sprintf("stage %v", [stage.name])
}
