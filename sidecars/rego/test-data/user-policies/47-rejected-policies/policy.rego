package isd.static.rejected

import rego.v1

# Mistakes users make that OPA refuses at save time: an unsafe variable in a helper's head.
owners[app] := owner if {
	some p in input.pipelines
	app := p.application
}

deny contains msg if {
	some app, owner in owners
	msg := sprintf("%s is owned by %s", [app, owner])
}
