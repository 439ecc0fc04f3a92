package isd.inventory

import rego.v1

# Per-application inventory built with partial objects and ref heads.
apps[app].pipelines contains p.name if {
	some p in input.pipelines
	app := p.application
}

apps[app].accounts contains stage.account if {
	some p in input.pipelines
	app := p.application
	some stage in p.stages
	stage.account
}

stage_counts[p.id] := count(p.stages) if some p in input.pipelines

by_type[t] := n if {
	some t in {s.type | some p in input.pipelines; some s in p.stages}
	n := count([1 | some p in input.pipelines; some s in p.stages; s.type == t])
}

shared_accounts contains account if {
	some a, info in apps
	some b, other in apps
	a < b
	some account in info.accounts & other.accounts
}

deny contains sprintf("account %s is shared between applications", [a]) if some a in shared_accounts
