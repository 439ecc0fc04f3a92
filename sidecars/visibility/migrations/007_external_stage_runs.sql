-- Stages that act on an external system (JIRA, ...) on Orca's behalf: one row per attempt of a stage,
-- so a retried create finds the action already taken instead of taking it twice.

CREATE TABLE external_stage_runs (
  id               uuid PRIMARY KEY,
  kind             text NOT NULL,
  execution_id     text NOT NULL,
  stage_id         text NOT NULL,
  attempt          integer NOT NULL DEFAULT 1,
  application      text NOT NULL,
  pipeline_name    text,
  pipeline_id      text,
  triggered_by     text,
  -- The validated create request (the stage's inputs).
  request          jsonb NOT NULL,
  status           text NOT NULL CHECK (status IN ('creating', 'waiting', 'done', 'rejected', 'failed', 'timeout', 'canceled')),
  -- What happened, in words: Orca shows it as the stage's progress message.
  message          text NOT NULL DEFAULT '',
  -- What the external system calls the thing created (issue key, change number, job id) and its link.
  ref              jsonb,
  -- The external thing as last read (status, summary, ...), for the execution view.
  observed         jsonb,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  -- When the external system was last asked; polls closer together than the configured interval reuse it.
  observed_at      timestamptz,
  deadline         timestamptz NOT NULL,
  closed_at        timestamptz,
  -- A worker holds the create until then, so two requests never create the same thing twice at once.
  claimed_until    timestamptz,
  -- How often a create was started; after the first, the external system is searched for what an
  -- interrupted try may already have made.
  create_tries     integer NOT NULL DEFAULT 0,
  UNIQUE (kind, execution_id, stage_id, attempt)
);

CREATE INDEX external_stage_runs_application ON external_stage_runs (application, created_at DESC);
