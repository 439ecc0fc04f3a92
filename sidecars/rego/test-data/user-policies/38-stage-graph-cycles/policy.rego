package opa.pipelines.graph

import rego.v1

edges[s.refId] := {p | some p in object.get(s, "requisiteStageRefIds", [])} if some s in input.pipeline.stages

# A stage that can reach itself through its parents closes a cycle.
cyclic contains ref if {
	some ref, parents in edges
	some p in parents
	ref in graph.reachable(edges, {p})
}

deny contains sprintf("stages %s form a cycle", [concat(", ", sort(cyclic))]) if count(cyclic) > 0

paths := graph.reachable_paths(edges, {s.refId | some s in input.pipeline.stages; count(object.get(s, "requisiteStageRefIds", [])) == 0})

depth := max([count(p) | some p in paths])

deny contains sprintf("pipeline is %d stages deep, at most 10 allowed", [depth]) if depth > 10
