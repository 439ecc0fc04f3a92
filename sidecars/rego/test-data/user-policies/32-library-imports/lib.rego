package lib.spinnaker

import rego.v1

stages := object.get(input, ["pipeline", "stages"], [])

is_deploy(stage) if stage.type in {"deploy", "deployManifest", "createServerGroup"}

is_prod(stage) if regex.match(`(^|-)prod(-|$)`, object.get(stage, "account", ""))

has_rollback(stage) if stage.rollback.onFailure == true

has_rollback(stage) if {
	some s in stages
	s.type == "rollbackCluster"
	stage.refId in s.requisiteStageRefIds
}

label(stage) := sprintf("stage %s (%s)", [object.get(stage, "name", "?"), stage.type])
