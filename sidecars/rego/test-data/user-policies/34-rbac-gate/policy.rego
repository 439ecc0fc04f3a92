package isd.gates.rbac

import rego.v1

# Role bindings as data in the policy; who may run which stage types in which application.
bindings := {
	"alice": ["admin"],
	"bob": ["deployer:shop", "viewer:*"],
	"carol": ["deployer:*"],
}

permissions := {
	"admin": {"*"},
	"deployer": {"deploy", "deployManifest", "scaleManifest", "manualJudgment"},
	"viewer": set(),
}

grants contains [role, app] if {
	some entry in bindings[input.user]
	parts := split(entry, ":")
	role := parts[0]
	app := scope(parts)
}

scope(parts) := parts[1] if count(parts) > 1

else := "*"

allowed_types contains t if {
	some [role, app] in grants
	app in {"*", input.application}
	some t in permissions[role]
}

default allow := false

allow if "*" in allowed_types

allow if {
	every stage in input.stages {
		stage.type in allowed_types
	}
}

denied_stages := [s.name | some s in input.stages; not s.type in allowed_types; not allow]
