package isd.static.defaults

import rego.v1

# Effective stage settings: stage values over application defaults over global defaults.
global_defaults := {"failPipeline": true, "continuePipeline": false, "stageTimeoutMs": 3600000, "notifications": {"enabled": false}}

app_defaults := object.get(input, ["application", "defaults"], {})

effective[stage.refId] := object.union_n([global_defaults, app_defaults, object.remove(stage, {"refId", "name", "type"})]) if {
	some stage in input.pipeline.stages
}

deny contains sprintf("stage %v continues on failure but also fails the pipeline", [ref]) if {
	some ref, cfg in effective
	cfg.continuePipeline
	cfg.failPipeline
}

timeouts := object.filter({ref: cfg.stageTimeoutMs | some ref, cfg in effective}, {"1", "2"})

keys_used := {k | some cfg in effective; some k in object.keys(cfg)}

subset if object.subset(effective["1"], {"failPipeline": true})

flags := json.filter(effective, ["1/failPipeline", "2/notifications/enabled"])

redacted := json.remove(input.application, ["defaults/stageTimeoutMs", "owner"])
