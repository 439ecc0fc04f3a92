-- Retention (docs/decisions/227). Finished verifications older than retention.days are deleted with their
-- intervals (ON DELETE CASCADE); after retention.detailDays their fetched metric points and log examples are
-- dropped first, and details_dropped_at says so in the report. Running ones have no finished_at: never chosen.
-- The indexes that find them are built in 007 without blocking writes (an install that ran this file when it
-- still built them keeps them; 007 then finds them there).
ALTER TABLE verifications ADD COLUMN details_dropped_at timestamptz;
