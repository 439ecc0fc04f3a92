-- Approval gate instances, their decisions and an append-only audit trail.

CREATE TABLE approvals (
  id               uuid PRIMARY KEY,
  execution_id     text NOT NULL,
  stage_id         text NOT NULL,
  attempt          integer NOT NULL DEFAULT 1,
  application      text NOT NULL,
  pipeline_name    text,
  pipeline_id      text,
  triggered_by     text,
  status           text NOT NULL CHECK (status IN ('activated', 'approved', 'rejected', 'expired', 'canceled')),
  -- Bumped on every change, so a compare-and-set can name the version it read.
  version          integer NOT NULL DEFAULT 1,
  -- The rules snapshotted at activation: {groups: [{name, required}], allowSelfApproval}.
  rules            jsonb NOT NULL,
  -- Group names of the snapshot, for the inbox query.
  approver_groups  text[] NOT NULL,
  instructions     text NOT NULL DEFAULT '',
  evidence_request jsonb NOT NULL DEFAULT '[]',
  evidence         jsonb,
  evidence_digest  text,
  auto_decision    jsonb,
  auto_result      jsonb,
  created_at       timestamptz NOT NULL DEFAULT now(),
  deadline         timestamptz NOT NULL,
  closed_at        timestamptz,
  -- False until the timeout, evidence and notification jobs are queued; a sweep finishes what a crash left.
  jobs_queued      boolean NOT NULL DEFAULT false,
  UNIQUE (execution_id, stage_id, attempt)
);

CREATE INDEX approvals_open_groups ON approvals USING gin (approver_groups) WHERE status = 'activated';
CREATE INDEX approvals_status_created ON approvals (status, created_at DESC);
CREATE INDEX approvals_jobs_pending ON approvals (created_at) WHERE NOT jobs_queued;

-- One row per person: a person counts once, and a second decision is a replay.
CREATE TABLE decisions (
  approval_id      uuid NOT NULL REFERENCES approvals (id),
  user_name        text NOT NULL,
  action           text NOT NULL CHECK (action IN ('approve', 'reject')),
  comment          text NOT NULL DEFAULT '',
  -- The approver groups the user belonged to when deciding (from Fiat / the static map).
  groups           text[] NOT NULL,
  evidence_digest  text,
  decided_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (approval_id, user_name)
);

CREATE TABLE audit_events (
  id               bigserial PRIMARY KEY,
  approval_id      uuid NOT NULL REFERENCES approvals (id),
  at               timestamptz NOT NULL DEFAULT now(),
  event            text NOT NULL,
  actor            text NOT NULL,
  auth_method      text NOT NULL,
  channel          text NOT NULL,
  from_status      text,
  to_status        text,
  comment          text,
  evidence_digest  text,
  details          jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_events_approval ON audit_events (approval_id, id);

-- Append-only: the database itself refuses to change or delete audit rows.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only';
END;
$$;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- Where a Slack message for a gate was posted, so it can be updated when the gate is decided.
CREATE TABLE slack_messages (
  approval_id      uuid PRIMARY KEY REFERENCES approvals (id),
  channel          text NOT NULL,
  ts               text NOT NULL
);
