package isd.static.image_source

manifest(image) := {"kind": "Deployment", "spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}}}

pipeline(image, account) := {"application": "sampleapp", "stages": [{"type": "deployManifest", "name": "Deploy", "account": account, "manifests": [manifest(image)]}]}

test_trusted_registry_is_allowed {
	count(deny) == 0 with input as {"pipeline": pipeline("docker.opsmx.com/opsmx/sampleapp:v1", "production")}
}

test_docker_hub_image_is_denied {
	count(deny) == 1 with input as {"pipeline": pipeline("nginx:1.27", "production")}
}

test_staging_is_not_checked {
	count(deny) == 0 with input as {"pipeline": pipeline("nginx:1.27", "staging")}
}
