package isd.reports.conflicting

import rego.v1

# A multi-value ref head and a single-value one meeting under the same key.
report.apps[app].stages contains s.name if {
	some p in input.pipelines
	app := p.application
	some s in p.stages
}

report.apps[app].owner := p.owner if {
	some p in input.pipelines
	app := p.application
}

report.apps := {}
