package isd.gates.freeze

import rego.v1

# Change freezes from a calendar; deploys inside one need an approved exception.
freezes := [
	{"name": "black-friday", "start": "2026-11-26T00:00:00Z", "end": "2026-11-30T23:59:59Z"},
	{"name": "year-end", "start": "2026-12-20T00:00:00Z", "end": "2027-01-03T00:00:00Z"},
]

now := time.parse_rfc3339_ns(input.requested_at)

active contains f.name if {
	some f in freezes
	time.parse_rfc3339_ns(f.start) <= now
	now <= time.parse_rfc3339_ns(f.end)
}

exception_valid if {
	input.exception.approved
	expires := time.add_date(time.parse_rfc3339_ns(input.exception.granted_at), 0, 0, 7)
	now < expires
}

deny contains sprintf("deploys are frozen (%s)", [concat(", ", active)]) if {
	count(active) > 0
	not exception_valid
}

days_until_next := d if {
	upcoming := [s | some f in freezes; s := time.parse_rfc3339_ns(f.start); s > now]
	count(upcoming) > 0
	diff := time.diff(min(upcoming), now)
	d := diff[2]
}

week := time.date(now)
