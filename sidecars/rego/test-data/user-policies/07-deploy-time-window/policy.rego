package isd.deploy.window

import rego.v1

# Deploys only Monday–Thursday 09:00–16:00 in the team's zone, never on a freeze date.
freeze_dates := {"2026-12-24", "2026-12-25", "2026-12-31"}

now_ns := time.parse_rfc3339_ns(input.now)

zone := object.get(input, "timezone", "UTC")

weekday := time.weekday([now_ns, zone])

clock := time.clock([now_ns, zone])

date := sprintf("%04d-%02d-%02d", time.date([now_ns, zone]))

in_window if {
	weekday in {"Monday", "Tuesday", "Wednesday", "Thursday"}
	clock[0] >= 9
	clock[0] < 16
}

deny contains sprintf("%s %02d:%02d (%s) is outside the deploy window", [weekday, clock[0], clock[1], zone]) if not in_window

deny contains sprintf("%s is a freeze date", [date]) if date in freeze_dates

hours_until_freeze := min([h |
	some d in freeze_dates
	f := time.parse_ns("2006-01-02", d)
	f > now_ns
	h := (f - now_ns) / 3600000000000
])
