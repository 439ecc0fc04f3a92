-- Policies: one row per name pointing at its current version; every saved version is kept.
CREATE TABLE policies (
  name text PRIMARY KEY,
  current_version integer,            -- NULL once deleted (the versions stay for audit)
  origin text NOT NULL,               -- 'api', 'directory' or 'git'
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE policy_versions (
  name text NOT NULL,
  version integer NOT NULL,
  rego_version text NOT NULL CHECK (rego_version IN ('v0', 'v1')),
  modules jsonb NOT NULL,             -- [{name, source}]
  packages jsonb NOT NULL,            -- ["isd.deploy", ...] declared by the modules
  digest text NOT NULL,               -- sha256 of rego_version + modules, to skip identical re-saves
  description text,
  origin text NOT NULL,
  origin_ref text,                    -- file path or git commit it was loaded from
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version)
);

-- One row, bumped in every transaction that changes the active set: replicas compare it to their cache.
CREATE TABLE policy_revision (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  revision bigint NOT NULL
);
INSERT INTO policy_revision (id, revision) VALUES (true, 0);

-- Every evaluation, whoever asked: what was decided, on which input (digest only), by which versions.
CREATE TABLE decision_log (
  decision_id uuid PRIMARY KEY,
  source text NOT NULL,               -- 'data-api', 'policy-gate', 'pipeline-check'
  path text NOT NULL,
  engine text NOT NULL,               -- 'builtin' or 'opa'
  policies jsonb NOT NULL,            -- [{name, version}] that define the evaluated documents
  revision bigint,
  input_digest text NOT NULL,
  outcome text NOT NULL,              -- 'defined', 'undefined', 'allow', 'deny', 'error'
  result jsonb,
  error text,
  duration_ms double precision NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX decision_log_created_at ON decision_log (created_at);

-- Runtime gate decisions, idempotent on (execution_id, stage_id) because Orca re-POSTs on 5xx.
CREATE TABLE policy_gates (
  id uuid PRIMARY KEY,
  execution_id text NOT NULL,
  stage_id text NOT NULL,
  application text NOT NULL,
  pipeline_name text,
  pipeline_id text,
  triggered_by text,
  policy_path text NOT NULL,
  status text NOT NULL CHECK (status IN ('allow', 'deny')),
  messages jsonb NOT NULL,
  policy_name text,
  policy_version integer,
  decision_id uuid NOT NULL,
  input_digest text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (execution_id, stage_id)
);
