package spinnaker.versions

import rego.v1

# Minimum chart and app versions; pre-releases never go to prod.
minimums := {"web": "2.3.0", "api": "1.10.0"}

versions[name] := v if {
	some artifact in input.pipeline.expectedArtifacts
	name := artifact.matchArtifact.name
	v := trim_prefix(artifact.matchArtifact.version, "v")
}

deny contains sprintf("%s %s is not a semantic version", [name, v]) if {
	some name, v in versions
	not semver.is_valid(v)
}

deny contains sprintf("%s %s is older than %s", [name, v, min]) if {
	some name, v in versions
	min := minimums[name]
	semver.is_valid(v)
	semver.compare(v, min) < 0
}

deny contains sprintf("%s %s is a pre-release", [name, v]) if {
	input.pipeline.environment == "prod"
	some name, v in versions
	semver.is_valid(v)
	contains(v, "-")
}

newest := max({v | some v in versions; semver.is_valid(v)})

sorted := sort([v | some v in versions])
