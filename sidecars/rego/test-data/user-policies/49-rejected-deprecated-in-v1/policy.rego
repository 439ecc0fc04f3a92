package opa.pipelines.ported

import rego.v1

# An old policy ported to v1 syntax that still calls the deprecated re_match and any.
deny contains msg if {
	some trigger in input.pipeline.triggers
	not re_match("^ci-", trigger.master)
	msg := sprintf("jenkins master %v is not a CI master", [trigger.master])
}

deny contains "a stage is disabled" if any([s.disabled | some s in input.pipeline.stages])
