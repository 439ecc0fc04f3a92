package opa.pipelines.accounts

import future.keywords.contains
import future.keywords.if
import future.keywords.in

allowed := {
	"payments": {"payments-dev", "payments-prod"},
	"shop": {"shop-dev", "shop-staging", "shop-prod"},
}

app := input.pipeline.application

deploy_types := {"deploy", "deployManifest", "deleteManifest", "scaleManifest", "patchManifest"}

stage_account(stage) := stage.account

stage_account(stage) := stage.credentials if not stage.account

deny contains msg if {
	not allowed[app]
	msg := sprintf("application %v is not registered for any account", [app])
}

deny contains msg if {
	some i, stage in input.pipeline.stages
	stage.type in deploy_types
	account := stage_account(stage)
	not account in allowed[app]
	msg := sprintf("stage %d (%s) uses account %s, not allowed for %s", [i, stage.name, account, app])
}
