package isd.gates.change_ticket

import rego.v1

# A gate that asks a change system whether the ticket is approved; tests mock http.send and the clock.
# The URL is a closed loopback port so that an unmocked read never leaves the machine.
ticket_response := http.send({"method": "GET", "url": sprintf("http://127.0.0.1:9/api/tickets/%s", [input.ticket]), "timeout": "2s"})

ticket_open if {
	ticket_response.status_code == 200
	ticket_response.body.state == "approved"
	time.now_ns() < time.parse_rfc3339_ns(ticket_response.body.window_end)
}

default allow := false

allow if ticket_open

reason := "no ticket given" if not input.ticket

else := sprintf("ticket %s is %v", [input.ticket, ticket_response.body.state]) if ticket_response.status_code == 200

else := "change system unavailable"

fake_approved(_) := {"status_code": 200, "body": {"state": "approved", "window_end": "2026-12-08T00:00:00Z"}}

fake_rejected(_) := {"status_code": 200, "body": {"state": "rejected", "window_end": "2026-12-08T00:00:00Z"}}

fake_down(_) := {"status_code": 503, "body": null}

now := time.parse_rfc3339_ns("2026-12-07T12:00:00Z")

later := time.parse_rfc3339_ns("2026-12-09T12:00:00Z")

outcomes["approved"] := x if {
	x := [allow, reason] with http.send as fake_approved with time.now_ns as now
}

outcomes["expired"] := x if {
	x := [allow, reason] with http.send as fake_approved with time.now_ns as later
}

outcomes["rejected"] := x if {
	x := [allow, reason] with http.send as fake_rejected with time.now_ns as now
}

outcomes["down"] := x if {
	x := [allow, reason] with http.send as fake_down with time.now_ns as now
}

# Unmocked, the call fails (nothing listens on the loopback discard port; here http.send is off too).
live := allow
