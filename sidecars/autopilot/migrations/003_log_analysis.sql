-- Log templates, versioned like metric templates (append-only rows; the same definition is not a new version).
CREATE TABLE log_templates (
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

-- A verification's log template snapshot (null: metrics only) and the weights of the combined score.
ALTER TABLE verifications ADD COLUMN log_template jsonb;
ALTER TABLE verifications ADD COLUMN log_template_version integer;
ALTER TABLE verifications ADD COLUMN weights jsonb NOT NULL DEFAULT '{"metric": 0.5, "log": 0.5}';

-- The log analysis of one window (clusters with counts and examples), beside the judge's result.
ALTER TABLE verification_intervals ADD COLUMN logs jsonb;
ALTER TABLE verification_intervals ADD COLUMN metric_score double precision;

-- Feedback on log clusters of an application: the current mark per cluster, who set it and when.
CREATE TABLE log_marks (
  application text        NOT NULL,
  cluster_key text        NOT NULL,
  template    text,
  mark        text        NOT NULL CHECK (mark IN ('expected', 'ignorable', 'critical')),
  comment     text,
  marked_by   text        NOT NULL,
  marked_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (application, cluster_key)
);
