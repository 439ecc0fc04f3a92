package kubernetes.admission.hostpath

import rego.v1

allowed_prefixes := ["/var/log/", "/etc/ssl/certs"]

volumes := [v | some v in input.request.object.spec.volumes; v.hostPath]

path_allowed(p) if {
	some prefix in allowed_prefixes
	startswith(p, prefix)
}

deny contains sprintf("volume %s mounts host path %s", [v.name, v.hostPath.path]) if {
	some v in volumes
	not path_allowed(v.hostPath.path)
}

deny contains sprintf("volume %s: host path %s must be read-only", [v.name, v.hostPath.path]) if {
	some v in volumes
	path_allowed(v.hostPath.path)
	some c in input.request.object.spec.containers
	some m in c.volumeMounts
	m.name == v.name
	not m.readOnly
}

deny contains "the docker socket may not be mounted" if {
	some v in volumes
	endswith(v.hostPath.path, "docker.sock")
}

host_paths := {v.hostPath.path | some v in volumes}
