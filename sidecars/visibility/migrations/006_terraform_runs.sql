-- Terraform stage: one row per (execution, stage, attempt). Visibility drives the Terraform Cloud run and
-- the approval; every change is a compare-and-set on version, so two replicas polling the same run agree.
CREATE TABLE terraform_runs (
  id               uuid PRIMARY KEY,
  execution_id     text NOT NULL,
  stage_id         text NOT NULL,
  attempt          integer NOT NULL,
  application      text NOT NULL,
  pipeline_name    text,
  pipeline_id      text,
  triggered_by     text,
  organization     text NOT NULL,
  workspace        text NOT NULL,
  message          text NOT NULL,
  -- name → HCL value text, as sent to Terraform Cloud
  variables        jsonb NOT NULL,
  -- approver groups, allowSelfApproval, timeoutMs, instructions of the approval opened on the plan
  approval_request jsonb NOT NULL,
  status           text NOT NULL,
  version          integer NOT NULL DEFAULT 0,
  tfc_workspace_id text,
  tfc_run_id       text,
  tfc_status       text,
  plan             jsonb,
  approval_id      uuid REFERENCES approvals (id),
  error            text,
  failures         integer NOT NULL DEFAULT 0,
  history          jsonb NOT NULL DEFAULT '[]',
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  finished_at      timestamptz,
  UNIQUE (execution_id, stage_id, attempt)
);
CREATE INDEX terraform_runs_open ON terraform_runs (updated_at) WHERE finished_at IS NULL;
CREATE INDEX terraform_runs_application ON terraform_runs (application, created_at DESC);
