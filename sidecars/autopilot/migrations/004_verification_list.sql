-- The pipeline a verification ran in (Orca sends its name and config id), and the index behind the
-- application's verification list: newest first, keyset-paged on (created_at, id).
ALTER TABLE verifications ADD COLUMN pipeline_name text;
ALTER TABLE verifications ADD COLUMN pipeline_id text;
CREATE INDEX verifications_application_created ON verifications (lower(application), created_at DESC, id DESC);
