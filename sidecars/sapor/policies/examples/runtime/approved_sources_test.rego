package isd.runtime.approved_sources

deploy(image) := {"type": "deployManifest", "context": {"manifests": [{"spec": {"template": {"spec": {"containers": [{"image": image}]}}}}]}}

test_approved_image_and_user_are_allowed {
	count(deny) == 0 with input as {"trigger": {"type": "manual", "user": "alice@example.com"}, "stages": [deploy("ghcr.io/acme/web:1.2")]}
}

test_docker_hub_image_is_denied {
	some d
	deny[d] with input as {"trigger": {"type": "docker", "user": "anonymous"}, "stages": [deploy("nginx:1.27")]}
	d.alertMsg == "image nginx:1.27 comes from docker.io, which is not an approved registry"
}

test_unapproved_manual_trigger_is_denied {
	count(deny) == 1 with input as {"trigger": {"type": "manual", "user": "mallory@example.com"}, "stages": [deploy("ghcr.io/acme/web:1.2")]}
}
