package spinnaker.canary

import rego.v1

# Kayenta canary stages: sensible scoring and a lifetime written as a duration.
canaries contains s if {
	some s in input.pipeline.stages
	s.type == "kayentaCanary"
}

lifetime_ns(s) := time.parse_duration_ns(s.canaryConfig.lifetimeDuration)

deny contains sprintf("%s: pass score %v must exceed marginal score %v", [s.name, sc.pass, sc.marginal]) if {
	some s in canaries
	sc := {"pass": s.canaryConfig.scoreThresholds.pass, "marginal": s.canaryConfig.scoreThresholds.marginal}
	to_number(sc.pass) <= to_number(sc.marginal)
}

deny contains sprintf("%s: a canary shorter than 30m (%s) says little", [s.name, s.canaryConfig.lifetimeDuration]) if {
	some s in canaries
	lifetime_ns(s) < time.parse_duration_ns("30m")
}

deny contains sprintf("%s: lifetime %q is not a duration", [s.name, s.canaryConfig.lifetimeDuration]) if {
	some s in canaries
	not lifetime_ns(s)
}

analysis_count[s.name] := ceil(lifetime_ns(s) / time.parse_duration_ns(interval)) if {
	some s in canaries
	interval := object.get(s.canaryConfig, "canaryAnalysisInterval", "1h")
}
