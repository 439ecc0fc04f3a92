-- Pipelines as code: the stored sync results, and the one row that makes syncs run one at a time across
-- replicas (a lease) without losing a push that arrives while one runs (requested > completed).
CREATE TABLE pac_syncs (
  seq bigserial PRIMARY KEY,
  id uuid NOT NULL UNIQUE,
  trigger text NOT NULL,                  -- webhook, timer, manual, start
  ref text NOT NULL,
  commit text,                            -- NULL when the fetch failed
  status text NOT NULL CHECK (status IN ('running', 'succeeded', 'partial', 'failed')),
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  error text,
  counts jsonb NOT NULL DEFAULT '{}',
  items jsonb NOT NULL DEFAULT '[]',      -- per pipeline: application, name, file, outcome, policy, diff
  errors jsonb NOT NULL DEFAULT '[]'      -- definition errors: file, line, path, message
);

CREATE TABLE pac_sync_state (
  id integer PRIMARY KEY CHECK (id = 1),
  requested bigint NOT NULL DEFAULT 0,    -- bumped by every trigger
  completed bigint NOT NULL DEFAULT 0,    -- the request count the last finished sync started from
  last_trigger text,
  lease_holder text,
  lease_until timestamptz
);
INSERT INTO pac_sync_state (id) VALUES (1);

-- Pipelines saved (or refused) by a sync are audited as their own type.
ALTER TABLE audit_records DROP CONSTRAINT audit_records_type_check;
ALTER TABLE audit_records ADD CONSTRAINT audit_records_type_check
  CHECK (type IN ('approval', 'policy', 'verification', 'account', 'promotion', 'pipeline'));
