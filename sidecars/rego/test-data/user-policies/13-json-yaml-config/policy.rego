package isd.static.config

import rego.v1

# A runJobManifest stage carries its config as a JSON or YAML string; read it and check it.
configs contains {"stage": s.name, "config": parsed} if {
	some s in input.pipeline.stages
	s.type == "runJobManifest"
	text := s.parameters.config
	parsed := parse(text, s.parameters.format)
}

parse(text, "json") := json.unmarshal(text)

parse(text, "yaml") := yaml.unmarshal(text)

deny contains sprintf("%s: config is not valid %v", [s.name, s.parameters.format]) if {
	some s in input.pipeline.stages
	s.type == "runJobManifest"
	s.parameters.format == "json"
	not json.is_valid(s.parameters.config)
}

deny contains sprintf("%s: config is not valid %v", [s.name, s.parameters.format]) if {
	some s in input.pipeline.stages
	s.type == "runJobManifest"
	s.parameters.format == "yaml"
	not yaml.is_valid(s.parameters.config)
}

deny contains sprintf("%s: retries %v exceed 5", [c.stage, c.config.retries]) if {
	some c in configs
	c.config.retries > 5
}

normalised[c.stage] := json.marshal(c.config) if some c in configs

as_yaml[c.stage] := yaml.marshal(c.config) if some c in configs
