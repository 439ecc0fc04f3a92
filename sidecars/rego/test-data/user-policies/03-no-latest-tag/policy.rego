package spinnaker.images

import rego.v1

# Images named in a manifest or a deploy stage's cluster config.
images contains image if {
	some stage in input.pipeline.stages
	some manifest in stage.manifests
	walk(manifest, [path, value])
	path[count(path) - 1] == "image"
	is_string(value)
	image := value
}

images contains image if {
	some stage in input.pipeline.stages
	some cluster in stage.clusters
	image := cluster.imageId
}

tag(image) := t if {
	not contains(image, "@")
	parts := split(image, "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	t := split(last, ":")[1]
} else := "digest" if {
	contains(image, "@sha256:")
} else := "latest"

deny contains sprintf("image %s uses the tag %q", [image, t]) if {
	some image in images
	t := tag(image)
	t == "latest"
}
