package isd.runtime.blackout_window

# 2026-11-23 is a Monday; New York is UTC-5 in November.
monday_noon_ny := time.parse_rfc3339_ns("2026-11-23T17:00:00Z")

monday_evening_ny := time.parse_rfc3339_ns("2026-11-23T22:30:00Z")

saturday_noon_ny := time.parse_rfc3339_ns("2026-11-28T17:00:00Z")

test_weekday_business_hours_are_blocked {
	count(deny) == 1 with time.now_ns as monday_noon_ny
}

test_weekday_evening_is_allowed {
	count(deny) == 0 with time.now_ns as monday_evening_ny
}

test_weekend_is_allowed {
	count(deny) == 0 with time.now_ns as saturday_noon_ny
}
