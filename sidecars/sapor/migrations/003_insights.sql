-- Delivery insights: deployments derived from Spinnaker executions (synced from Gate), and the sync's state.
CREATE TABLE insights_deployments (
  execution_id text NOT NULL,
  environment text NOT NULL,
  application text NOT NULL,
  pipeline_name text NOT NULL,
  pipeline_config_id text,
  outcome text NOT NULL CHECK (outcome IN ('success', 'failure', 'canceled', 'running')),
  triggered_at timestamptz NOT NULL,
  finished_at timestamptz,
  synced_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (execution_id, environment)
);
CREATE INDEX insights_deployments_app_finished ON insights_deployments (lower(application), finished_at);

-- One row: where the next sync starts reading (trigger time, epoch ms) and how the last ones went.
CREATE TABLE insights_sync_state (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  watermark_ms bigint,
  last_success_at timestamptz,
  last_attempt_at timestamptz,
  last_error text,
  executions_read bigint NOT NULL DEFAULT 0
);
INSERT INTO insights_sync_state (id) VALUES (true);
