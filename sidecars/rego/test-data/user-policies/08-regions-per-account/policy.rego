package spinnaker.regions

import rego.v1

# Regions each cloud account may deploy to; data-residency for EU accounts.
regions := {
	"aws-prod-eu": ["eu-west-1", "eu-central-1"],
	"aws-prod-us": ["us-east-1", "us-west-2"],
	"aws-dev": ["us-east-1", "eu-west-1", "ap-southeast-2"],
}

server_groups contains {"stage": stage.name, "account": cluster.account, "region": region} if {
	some stage in input.pipeline.stages
	stage.type == "deploy"
	some cluster in stage.clusters
	some region, _ in cluster.availabilityZones
}

deny contains msg if {
	some sg in server_groups
	allowed := regions[sg.account]
	not sg.region in allowed
	msg := sprintf("%s: account %s may only use %s, not %s", [sg.stage, sg.account, concat("/", allowed), sg.region])
}

deny contains msg if {
	some sg in server_groups
	not regions[sg.account]
	msg := sprintf("%s: unknown account %v", [sg.stage, sg.account])
}

eu_only if {
	count(server_groups) > 0
	every sg in server_groups {
		startswith(sg.region, "eu-")
	}
}
