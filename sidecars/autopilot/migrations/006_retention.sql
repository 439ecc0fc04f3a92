-- Retention (docs/decisions/227). Finished verifications older than retention.days are deleted with their
-- intervals (ON DELETE CASCADE); after retention.detailDays their fetched metric points and log examples are
-- dropped first, and details_dropped_at says so in the report. Running ones have no finished_at: never chosen.
ALTER TABLE verifications ADD COLUMN details_dropped_at timestamptz;
CREATE INDEX verifications_finished ON verifications (finished_at) WHERE status <> 'running';
CREATE INDEX verifications_details_kept ON verifications (finished_at)
  WHERE status <> 'running' AND details_dropped_at IS NULL;
CREATE INDEX test_verifications_finished ON test_verifications (finished_at) WHERE status <> 'running';
