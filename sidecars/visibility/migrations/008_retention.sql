-- Retention (docs/decisions/227): closed gates, finished Terraform runs and external stage runs older than
-- retention.days are deleted daily, oldest first, a batch at a time. The indexes that find them without a scan are
-- built in 009 without blocking writes (an install that ran this file when it still built them keeps them).

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
