-- isd:no-transaction
-- Retention (docs/decisions/227): policy gates older than retention.days are deleted daily a batch at a time,
-- their inputs dropped sooner (policy.decisionLogRetentionDays); a superseded policy version is deleted only
-- when no kept gate names it. These indexes find each batch without scanning the table; they are built beside
-- the writes, since policy_gates is large in a long-running install.
CREATE INDEX CONCURRENTLY IF NOT EXISTS policy_gates_created ON policy_gates (created_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS policy_gates_input_kept ON policy_gates (created_at) WHERE input IS NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS policy_gates_policy_version ON policy_gates (policy_name, policy_version)
  WHERE policy_name IS NOT NULL;
