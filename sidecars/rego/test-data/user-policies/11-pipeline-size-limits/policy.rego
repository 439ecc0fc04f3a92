package opa.pipelines.limits

import rego.v1

max_stages := 30

max_parallel := 5

stage_count := count(input.pipeline.stages)

# Stages with no parents start together.
roots := [s.refId | some s in input.pipeline.stages; count(object.get(s, "requisiteStageRefIds", [])) == 0]

deny contains sprintf("pipeline has %d stages, the limit is %d", [stage_count, max_stages]) if stage_count > max_stages

deny contains sprintf("%d stages start in parallel, the limit is %d", [count(roots), max_parallel]) if count(roots) > max_parallel

deny contains sprintf("stage refId %v is used %d times", [ref, n]) if {
	some ref in {s.refId | some s in input.pipeline.stages}
	n := count([1 | some s in input.pipeline.stages; s.refId == ref])
	n > 1
}

deny contains sprintf("stage %v depends on missing stage %v", [s.refId, parent]) if {
	some s in input.pipeline.stages
	some parent in s.requisiteStageRefIds
	refs := {x.refId | some x in input.pipeline.stages}
	not parent in refs
}

timeout_minutes := sum([object.get(s, "stageTimeoutMs", 0) | some s in input.pipeline.stages]) / 60000

deny contains sprintf("stage timeouts add up to %.1f hours", [timeout_minutes / 60]) if timeout_minutes > 24 * 60
