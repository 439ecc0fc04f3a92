package isd.static.metadata

import rego.v1

required_fields := ["application", "name", "stages"]

# A pipeline must name an owner email and a cost centre in its description as key=value lines.
description_fields[key] := value if {
	some line in split(object.get(input.pipeline, "description", ""), "\n")
	parts := split(trim_space(line), "=")
	count(parts) == 2
	key := lower(trim_space(parts[0]))
	value := trim_space(parts[1])
}

deny contains sprintf("pipeline is missing %q", [f]) if {
	some f in required_fields
	not f in object.keys(input.pipeline)
}

deny contains "description must name an owner=<email>" if {
	not regex.match(`^[a-z0-9._-]+@[a-z0-9.-]+$`, description_fields.owner)
}

deny contains msg if {
	cc := description_fields.costcentre
	not regex.match(`^CC-[0-9]{4}$`, cc)
	msg := sprintf("cost centre %q is not of the form CC-1234", [cc])
}

name_problem := "pipeline name must be kebab-case" if {
	not regex.match(`^[a-z0-9]+(-[a-z0-9]+)*$`, input.pipeline.name)
} else := "pipeline name must have at most 40 characters" if {
	count(input.pipeline.name) > 40
}

deny contains name_problem

