-- Whether the outcome notifications of a closed gate are queued; a sweep queues what a crash between the
-- closing commit and the queueing left behind. Gates closed before this migration count as queued.
ALTER TABLE approvals ADD COLUMN outcome_queued boolean NOT NULL DEFAULT false;
UPDATE approvals SET outcome_queued = true WHERE status <> 'activated';
CREATE INDEX approvals_outcome_pending ON approvals (closed_at) WHERE status <> 'activated' AND NOT outcome_queued;
