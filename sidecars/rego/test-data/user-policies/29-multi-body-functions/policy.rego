package opa.pipelines.environments

# Functions with several bodies and v0 syntax: the environment of an account by naming convention.
env_of(account) = "prod" {
	endswith(account, "-prod")
}

env_of(account) = "prod" {
	startswith(account, "prod-")
}

env_of(account) = "staging" {
	contains(account, "stag")
}

env_of(account) = "dev" {
	not endswith(account, "-prod")
	not startswith(account, "prod-")
	not contains(account, "stag")
}

accounts[account] {
	account := input.pipeline.stages[_].account
}

envs[account] = env {
	accounts[account]
	env := env_of(account)
}

# A prod-staging account is ambiguous: two bodies give different values, which is an error.
promotion_order_ok {
	order := {"dev": 0, "staging": 1, "prod": 2}
	deploys := [order[env_of(s.account)] | s := input.pipeline.stages[_]; s.type == "deploy"]
	deploys == sort(deploys)
}

deny[msg] {
	count(accounts) > 0
	not promotion_order_ok
	msg := "deploys must go dev, then staging, then prod"
}
