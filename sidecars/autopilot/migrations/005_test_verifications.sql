-- Test verifications: the canary build's test results against the baseline's. One per Orca stage;
-- `request` holds the runs to read (Jenkins builds, artifact URLs or inline XML) and the duration rule,
-- `report` the comparison once judged (new failures, flaky, slower, missing tests, penalties).
CREATE TABLE test_verifications (
  id            uuid        PRIMARY KEY,
  execution_id  text        NOT NULL,
  stage_id      text        NOT NULL,
  application   text        NOT NULL,
  pipeline_name text,
  pipeline_id   text,
  request       jsonb       NOT NULL,
  thresholds    jsonb       NOT NULL,
  status        text        NOT NULL CHECK (status IN ('running', 'pass', 'marginal', 'fail', 'error', 'canceled')),
  score         double precision,
  reason        text,
  error         text,
  report        jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  UNIQUE (execution_id, stage_id)
);
CREATE INDEX test_verifications_application_created ON test_verifications (lower(application), created_at DESC, id DESC);
