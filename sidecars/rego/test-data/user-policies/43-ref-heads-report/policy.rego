package isd.reports.refheads

import rego.v1

# Multi-level ref heads build a nested report: report.apps[app].envs[env] and counters.
report.apps[app].envs[env] contains stage.name if {
	some p in input.pipelines
	app := p.application
	some stage in p.stages
	env := object.get(stage, "environment", "none")
}

owners[app] := p.owner if {
	some p in input.pipelines
	app := p.application
	p.owner
}

report.total := count(input.pipelines)

report.generated_by := "isd"

flags[name] := value if {
	some name, value in object.get(input, "flags", {})
	is_boolean(value)
}

# print is for debugging only; it never changes results.
debug if {
	print("pipelines:", count(input.pipelines))
	true
}

template := $"{count(input.pipelines)} pipelines, first {input.pipelines[0].name}"
