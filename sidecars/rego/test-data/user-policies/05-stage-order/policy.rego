package opa.pipelines.order

# Older style: no keywords, several bodies, default and else.
default order_ok = false

index_of(type) = i {
	input.pipeline.stages[i].type == type
}

first_index(type) = min({i | input.pipeline.stages[i].type == type})

order_ok {
	first_index("runJob") < first_index("deployManifest")
}

order_ok {
	not has_type("runJob")
	not has_type("deployManifest")
}

has_type(t) {
	input.pipeline.stages[_].type == t
}

deny[msg] {
	has_type("deployManifest")
	not order_ok
	msg = "integration tests (runJob) must run before deployManifest"
}

deny[msg] {
	input.pipeline.stages[i].type == "destroyServerGroup"
	i == 0
	msg = sprintf("pipeline %v starts by destroying a server group", [input.pipeline.name])
}

position[type] = idx {
	type := input.pipeline.stages[_].type
	idx = first_index(type)
}
