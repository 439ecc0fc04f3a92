-- The input a runtime gate was decided on (already without secrets), so Deck can show it beside the
-- decision; NULL when it was larger than sapor keeps (input_bytes says how large). The index serves the
-- application's gate list: newest first, keyset-paged on (created_at, id).
ALTER TABLE policy_gates ADD COLUMN input jsonb;
ALTER TABLE policy_gates ADD COLUMN input_bytes integer;
CREATE INDEX policy_gates_application_created ON policy_gates (lower(application), created_at DESC, id DESC);
