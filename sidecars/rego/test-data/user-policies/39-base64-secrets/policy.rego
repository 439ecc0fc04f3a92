package kubernetes.admission.secret_values

import rego.v1

# Secrets: values are base64; decoded values must not be placeholders or private keys.
secret := input.request.object if input.request.object.kind == "Secret"

decoded[k] := base64.decode(v) if some k, v in secret.data

deny contains sprintf("secret key %s is not valid base64", [k]) if {
	some k, v in secret.data
	not base64.is_valid(v)
}

deny contains sprintf("secret key %s holds a placeholder", [k]) if {
	some k, v in decoded
	lower(trim_space(v)) in {"changeme", "password", "todo", ""}
}

deny contains sprintf("secret key %s holds a private key; use the vault injector", [k]) if {
	some k, v in decoded
	regex.match(`-----BEGIN ([A-Z]+ )?PRIVATE KEY-----`, v)
}

deny contains sprintf("stringData key %s should be data", [k]) if some k, _ in secret.stringData

fingerprints[k] := crypto.sha256(v) if some k, v in decoded

encoded_names := base64url.encode(concat(",", sort(object.keys(secret.data))))

hex_first := hex.encode(substring(decoded[k], 0, 4)) if k := min(object.keys(decoded))
