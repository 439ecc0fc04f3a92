package opa.pipelines.uses_lib

import data.lib.spinnaker as sp
import data.lib.spinnaker.is_deploy
import rego.v1

deny contains msg if {
	some stage in sp.stages
	is_deploy(stage)
	sp.is_prod(stage)
	not sp.has_rollback(stage)
	msg := sprintf("%s deploys to prod without a rollback on failure", [sp.label(stage)])
}

deny contains msg if {
	some stage in sp.stages
	sp.is_prod(stage)
	stage.type == "disableServerGroup"
	msg := sprintf("%s disables a prod server group directly", [sp.label(stage)])
}

prod_stage_names := [sp.label(s) | some s in sp.stages; sp.is_prod(s)]
