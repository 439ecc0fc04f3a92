package isd.gates.exceptions

import rego.v1

# Exceptions keyed by application; tests replace them with `with data...`.
exceptions := {"legacy-app": {"allow_latest": true, "until": "2027-01-01"}}

now := time.parse_rfc3339_ns(input.now)

excepted(app, what) if {
	e := exceptions[app]
	e[what] == true
	now < time.parse_ns("2006-01-02", e.until)
}

violations contains sprintf("%s uses a latest tag", [img]) if {
	some img in input.images
	endswith(img, ":latest")
	not excepted(input.application, "allow_latest")
}

allow if count(violations) == 0

test_exception_expires if {
	not allow with input as {"now": "2027-02-01T00:00:00Z", "application": "legacy-app", "images": ["a:latest"]}
}

test_exception_applies if {
	allow with input as {"now": "2026-02-01T00:00:00Z", "application": "legacy-app", "images": ["a:latest"]}
}

test_mocked_exceptions if {
	allow with input as {"now": "2026-02-01T00:00:00Z", "application": "x", "images": ["a:latest"]}
		with exceptions as {"x": {"allow_latest": true, "until": "2030-01-01"}}
}

test_mocked_function if {
	allow with excepted as true with input as {"now": "2026-02-01T00:00:00Z", "application": "y", "images": ["a:latest"]}
}
