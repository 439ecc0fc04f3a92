-- isd:no-transaction
-- The retention run's indexes (008), built beside the writes: approvals and the runs are large in a
-- long-running install.
CREATE INDEX CONCURRENTLY IF NOT EXISTS approvals_closed ON approvals (closed_at) WHERE status <> 'activated';
CREATE INDEX CONCURRENTLY IF NOT EXISTS terraform_runs_finished ON terraform_runs (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS external_stage_runs_closed ON external_stage_runs (closed_at) WHERE status NOT IN ('creating', 'waiting');
-- A gate's e-mail links are deleted with it, and a gate a Terraform run opened is kept while the run is.
CREATE INDEX CONCURRENTLY IF NOT EXISTS email_links_approval ON email_links (approval_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS terraform_runs_approval ON terraform_runs (approval_id) WHERE approval_id IS NOT NULL;
