package isd.static.forms

import rego.v1

# The forms of membership and iteration users mix: some k, v in; x in; x, y in; not in; wildcards.
stage_index := {s.refId: i | some i, s in input.pipeline.stages}

has_deploy if "deploy" in {s.type | some s in input.pipeline.stages}

first_deploy_is_second if 1, "deploy" in [s.type | some s in input.pipeline.stages]

env_pairs contains [k, v] if some k, v in input.pipeline.parameterConfig.defaults

unknown_types contains t if {
	some s in input.pipeline.stages
	t := s.type
	not t in {"deploy", "wait", "manualJudgment", "bake"}
}

deny contains sprintf("unknown stage type %s", [t]) if some t in unknown_types

parallel_groups := [group |
	some refs in {ps | some s in input.pipeline.stages; ps := object.get(s, "requisiteStageRefIds", [])}
	group := [s.refId | some s in input.pipeline.stages; object.get(s, "requisiteStageRefIds", []) == refs]
	count(group) > 1
]

any_disabled if input.pipeline.stages[_].disabled
