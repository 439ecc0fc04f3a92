-- The audit trail: one append-only table for every decision any ISD service made (docs/decisions/055).
-- Rows are only ever inserted; UPDATE and TRUNCATE are refused by triggers, and DELETE is refused
-- unless the retention job marks its own transaction (SET LOCAL isd.audit_retention = 'on').
CREATE TABLE audit_records (
  seq bigserial PRIMARY KEY,              -- paging order (newest first) and cursor
  id uuid NOT NULL UNIQUE,
  source text NOT NULL,                   -- the service that made the decision: sapor, visibility, autopilot, ...
  record_key text NOT NULL,               -- the source's idempotency key: a retried append is one record
  type text NOT NULL CHECK (type IN ('approval', 'policy', 'verification', 'account', 'promotion')),
  outcome text NOT NULL,                  -- approved/rejected, allow/deny, pass/fail, created/updated/deleted, promoted
  application text,                       -- NULL for decisions of no application (accounts): admins only
  actor text NOT NULL,                    -- who decided: a user, or the service itself
  occurred_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  subject jsonb NOT NULL DEFAULT '{}',    -- what was decided on: executionId, stageId, pipeline, account, ...
  details jsonb NOT NULL DEFAULT '{}',    -- e.g. policyVersion and inputDigest, score, messages
  UNIQUE (source, record_key)
);
CREATE INDEX audit_records_application ON audit_records (lower(application), seq);
CREATE INDEX audit_records_occurred ON audit_records (occurred_at);

CREATE FUNCTION audit_records_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('isd.audit_retention', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit records are append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records
  FOR EACH ROW EXECUTE FUNCTION audit_records_refuse_change();
CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
  FOR EACH ROW EXECUTE FUNCTION audit_records_refuse_change();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
  FOR EACH STATEMENT EXECUTE FUNCTION audit_records_refuse_change();
