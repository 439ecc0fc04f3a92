package isd.reports.pipelines

import rego.v1

# A summary report many teams compute in a policy: counts, groupings and percentages.
stages := [s | some p in input.pipelines; some s in p.stages]

types := {s.type | some s in stages}

per_type := {t: count([s | some s in stages; s.type == t]) | some t in types}

per_app := {app: names |
	some p in input.pipelines
	app := p.application
	names := sort([q.name | some q in input.pipelines; q.application == app])
}

judged_share := round((100 * count([p | some p in input.pipelines; some s in p.stages; s.type == "manualJudgment"])) / count(input.pipelines))

longest := [p.name | some p in input.pipelines; count(p.stages) == max([count(q.stages) | some q in input.pipelines])]

avg_stages := sum([count(p.stages) | some p in input.pipelines]) / count(input.pipelines)

top_two := array.slice(sort([[0 - n, t] | some t, n in per_type]), 0, 2)

numbered := [sprintf("%d/%d %s", [i + 1, count(input.pipelines), p.name]) | some i, p in input.pipelines]
