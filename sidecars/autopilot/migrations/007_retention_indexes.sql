-- isd:no-transaction
-- The retention run's indexes (006), built beside the writes: the tables are large in a long-running install.
CREATE INDEX CONCURRENTLY IF NOT EXISTS verifications_finished ON verifications (finished_at)
  WHERE status <> 'running';
CREATE INDEX CONCURRENTLY IF NOT EXISTS verifications_details_kept ON verifications (finished_at)
  WHERE status <> 'running' AND details_dropped_at IS NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS test_verifications_finished ON test_verifications (finished_at)
  WHERE status <> 'running';
