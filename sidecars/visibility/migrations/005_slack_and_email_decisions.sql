-- Signatures of Slack requests already acted on: a second request with the same signature is a replay.
-- Rows older than Slack's 5-minute timestamp window can never match a fresh request and are purged.
CREATE TABLE slack_request_signatures (
  signature        text PRIMARY KEY,
  seen_at          timestamptz NOT NULL
);
CREATE INDEX slack_request_signatures_seen_at ON slack_request_signatures (seen_at);

-- E-mail decision links: the SHA-256 of a random token (a leaked table reveals no link), one gate, the
-- address it was mailed to; single use (used_at is set by the decision it led to).
CREATE TABLE email_links (
  token_hash       text PRIMARY KEY,
  approval_id      uuid NOT NULL REFERENCES approvals (id),
  recipient        text NOT NULL,
  created_at       timestamptz NOT NULL,
  used_at          timestamptz,
  used_by          text
);
