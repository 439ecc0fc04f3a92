package kubernetes.admission.privileged

import rego.v1

pod_spec := input.request.object.spec if input.request.kind.kind == "Pod"

pod_spec := input.request.object.spec.template.spec if input.request.kind.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

pod_spec := input.request.object.spec.jobTemplate.spec.template.spec if input.request.kind.kind == "CronJob"

containers contains c if {
	some field in ["containers", "initContainers", "ephemeralContainers"]
	some c in pod_spec[field]
}

deny contains sprintf("container %q is privileged", [c.name]) if {
	some c in containers
	c.securityContext.privileged
}

deny contains sprintf("container %q may escalate privileges", [c.name]) if {
	some c in containers
	object.get(c, ["securityContext", "allowPrivilegeEscalation"], true) == true
}

deny contains sprintf("container %q adds capability %s", [c.name, cap]) if {
	some c in containers
	some cap in c.securityContext.capabilities.add
	upper(cap) in {"SYS_ADMIN", "NET_ADMIN", "ALL"}
}

deny contains "pod shares the host network, PID or IPC namespace" if {
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	pod_spec[field] == true
}
