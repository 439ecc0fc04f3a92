package isd.static.templates

import rego.v1

# Pipeline templates: variables referenced in stages must be declared; names follow a pattern.
declared := {v.name | some v in input.template.variables}

referenced contains name if {
	walk(input.template.stages, [_, value])
	is_string(value)
	some match in regex.find_all_string_submatch_n(`\$\{\s*templateVariables\.([A-Za-z_][A-Za-z0-9_]*)\s*\}`, value, -1)
	name := match[1]
}

deny contains sprintf("template variable %s is used but not declared", [v]) if some v in referenced - declared

warn contains sprintf("template variable %s is declared but not used", [v]) if some v in declared - referenced

deny contains sprintf("variable %q must be camelCase", [v]) if {
	some v in declared
	not regex.match(`^[a-z][a-zA-Z0-9]*$`, v)
}

renamed := {s.name: regex.replace(s.name, `[^a-z0-9]+`, "-") | some s in input.template.stages}

parts := {s.name: regex.split(`\s*/\s*`, s.name) | some s in input.template.stages}

matches_template := [s.name | some s in input.template.stages; regex.template_match(`deploy-{[a-z]+}`, s.name, "{", "}")]

rendered := strings.render_template("{{.app}} v{{.version}}", {"app": object.get(input.template, "application", "?"), "version": 2})
