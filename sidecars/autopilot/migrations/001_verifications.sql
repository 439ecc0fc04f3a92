-- Metric templates, versioned: every change is a new (name, version) row; rows are never updated.
CREATE TABLE templates (
  name        text        NOT NULL,
  version     integer     NOT NULL CHECK (version > 0),
  description text,
  definition  jsonb       NOT NULL,
  digest      text        NOT NULL,
  source      text        NOT NULL,
  created_by  text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version)
);

-- One verification per Orca stage: (execution_id, stage_id) makes create idempotent.
CREATE TABLE verifications (
  id               uuid        PRIMARY KEY,
  execution_id     text        NOT NULL,
  stage_id         text        NOT NULL,
  application      text        NOT NULL,
  request          jsonb       NOT NULL,
  template         jsonb       NOT NULL,
  template_name    text        NOT NULL,
  template_version integer,
  judge            text        NOT NULL,
  thresholds       jsonb       NOT NULL,
  windows          jsonb       NOT NULL,
  status           text        NOT NULL CHECK (status IN ('running', 'pass', 'marginal', 'fail', 'error', 'canceled')),
  score            double precision,
  reason           text,
  error            text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  UNIQUE (execution_id, stage_id)
);

-- One judged interval: the judge's result and the fetched series the report draws.
CREATE TABLE verification_intervals (
  verification_id uuid        NOT NULL REFERENCES verifications (id) ON DELETE CASCADE,
  index           integer     NOT NULL,
  start_ms        bigint      NOT NULL,
  end_ms          bigint      NOT NULL,
  score           double precision NOT NULL,
  classification  text        NOT NULL,
  result          jsonb       NOT NULL,
  series          jsonb       NOT NULL,
  judged_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (verification_id, index)
);
