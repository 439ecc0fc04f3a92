CREATE TABLE work_done (
  job_key text PRIMARY KEY,
  attempts integer NOT NULL DEFAULT 0,
  finished_at timestamptz
);
