package kubernetes.admission.registries

import future.keywords.contains
import future.keywords.if
import future.keywords.in
import future.keywords.every

trusted := ["registry.example.com/**", "gcr.io/acme-*/**", "docker.io/library/*"]

images[img] {
	some c in input.request.object.spec.containers
	img := normalise(c.image)
}

# docker.io is implied for single-name images, library/ for official ones.
normalise(image) = out if {
	parts := split(image, "/")
	count(parts) == 1
	out := concat("/", ["docker.io", "library", image])
} else = out if {
	parts := split(image, "/")
	not contains(parts[0], ".")
	not contains(parts[0], ":")
	parts[0] != "localhost"
	out := concat("/", array.concat(["docker.io"], parts))
} else = image

untrusted(img) if {
	every pattern in trusted {
		not glob.match(pattern, ["/"], img)
	}
}

deny contains msg if {
	some img, _ in images
	untrusted(img)
	msg := sprintf("image %s comes from an untrusted registry", [img])
}

deny contains msg if {
	some c in input.request.object.spec.containers
	regex.match(`:(latest|master|main)$`, c.image)
	msg := sprintf("%s uses a moving tag", [c.image])
}
