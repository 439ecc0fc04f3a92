# 6. Runtime: no deployments 09:00-16:00 (New York time) on weekdays.
package isd.runtime.blackout_window

import future.keywords.in

zone := "America/New_York"

weekend := {"Saturday", "Sunday"}

deny[msg] {
	now := time.now_ns()
	day := time.weekday([now, zone])
	not day in weekend
	[hour, minute, _] := time.clock([now, zone])
	hour >= 9
	hour < 16
	msg := sprintf("blackout window: no deployments on weekdays between 09:00 and 16:00 %s (it is %s %d:%d)", [zone, day, hour, minute])
}
