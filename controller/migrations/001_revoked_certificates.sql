-- Revoked certificate serials shared by every controller replica (docs/decisions/097).
CREATE TABLE revoked_certificates (
  serial text PRIMARY KEY CHECK (serial ~ '^[0-9A-F]+$'),
  revoked_at timestamptz NOT NULL DEFAULT now()
);

-- Every insert tells the listening replicas at once (delivered on commit); they re-read the whole
-- table periodically too, for notifications missed while their listening connection was down.
CREATE FUNCTION notify_revoked_certificate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('isd_controller_revocations', NEW.serial);
  RETURN NEW;
END;
$$;

CREATE TRIGGER revoked_certificates_notify AFTER INSERT ON revoked_certificates
  FOR EACH ROW EXECUTE FUNCTION notify_revoked_certificate();
