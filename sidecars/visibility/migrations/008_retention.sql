-- Retention (docs/decisions/227): closed gates, finished Terraform runs and external stage runs older than
-- retention.days are deleted daily, oldest first, a batch at a time. These indexes find them without a scan.
CREATE INDEX approvals_closed ON approvals (closed_at) WHERE status <> 'activated';
CREATE INDEX terraform_runs_finished ON terraform_runs (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX external_stage_runs_closed ON external_stage_runs (closed_at) WHERE status NOT IN ('creating', 'waiting');
-- A gate's e-mail links are deleted with it, and a gate a Terraform run opened is kept while the run is.
CREATE INDEX email_links_approval ON email_links (approval_id);
CREATE INDEX terraform_runs_approval ON terraform_runs (approval_id) WHERE approval_id IS NOT NULL;

-- The audit trail stays append-only; a gate's events are deleted only with the gate, by the retention run
-- (which sets isd.retention in its own transaction).
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('isd.retention', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
