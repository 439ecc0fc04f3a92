# Gatekeeper-style template: the required labels and their patterns come as parameters.
package k8srequiredlabels

import rego.v1

labels := object.get(input.review.object.metadata, "labels", {})

violation contains {"msg": msg, "details": {"missing_labels": missing}} if {
	required := {label.key | some label in input.parameters.labels}
	provided := {key | some key, _ in labels}
	missing := required - provided
	count(missing) > 0
	msg := sprintf("you must provide labels: %v", [missing])
}

violation contains {"msg": msg} if {
	some label in input.parameters.labels
	value := labels[label.key]
	label.allowedRegex != ""
	not regex.match(label.allowedRegex, value)
	msg := sprintf("label <%v: %v> does not match the regex %v", [label.key, value, label.allowedRegex])
}
