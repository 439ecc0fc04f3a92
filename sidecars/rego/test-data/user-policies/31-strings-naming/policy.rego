package kubernetes.admission.naming

import rego.v1

meta := input.request.object.metadata

# Names: <team>-<service>[-<suffix>], lower case, at most 63 characters.
name_parts := split(meta.name, "-")

team := name_parts[0]

deny contains sprintf("name %q is longer than 63 characters", [meta.name]) if count(meta.name) > 63

deny contains sprintf("name %q must be lower case", [meta.name]) if lower(meta.name) != meta.name

deny contains sprintf("name %q must start with a team (%s)", [meta.name, concat("|", teams)]) if not team in teams

teams := ["core", "pay", "shop"]

deny contains sprintf("namespace %q must begin with the team name %q", [meta.namespace, team]) if {
	team in teams
	not startswith(meta.namespace, team)
}

summary := {
	"upper": upper(meta.name),
	"title": strings.replace_n({"-": " ", "_": " "}, meta.name),
	"reversed": strings.reverse(meta.name),
	"padded": sprintf("%-10s|", [team]),
	"index": indexof(meta.name, "-"),
	"trimmed": trim(meta.name, "-_"),
	"substring": substring(meta.name, 0, 4),
	"count": strings.count(meta.name, "-"),
}
