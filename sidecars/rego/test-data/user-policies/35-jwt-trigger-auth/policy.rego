package isd.gates.trigger_auth

import rego.v1

# Webhook triggers carry a JWT from the CI system: check issuer, audience and expiry, and the repo claim.
token := io.jwt.decode(input.trigger.token)

header := token[0]

claims := token[1]

now_s := time.parse_rfc3339_ns(input.now) / 1000000000

deny contains "token must be signed with RS256 or ES256" if not header.alg in {"RS256", "ES256"}

deny contains sprintf("issuer %v is not trusted", [claims.iss]) if claims.iss != "https://ci.example.com"

deny contains "token has expired" if claims.exp < now_s

deny contains sprintf("repository %v may not trigger %v", [claims.repo, input.application]) if {
	not startswith(claims.repo, concat("/", ["acme", input.application]))
}

deny contains "trigger token is not a JWT" if not token
