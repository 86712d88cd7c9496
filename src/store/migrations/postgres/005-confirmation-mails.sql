-- The confirmation mail queue: one row per confirmation mail owed and not yet accepted. Written in
-- the same transaction that takes the Subscriber's 24-hour slot, so a sign-up answered with "check
-- your inbox" has its mail on disk before the answer leaves; `sudi serve` drains it (after a restart
-- too) and deletes the row once the mail is accepted or given up. At most one per Subscriber.
-- issued_at is the confirm link's issued-at and message_id the mail's Message-ID: both fixed at
-- queueing, so a resend after a crash is the same mail, not a second one.
CREATE TABLE confirmation_mails (
  subscriber_id BIGINT PRIMARY KEY REFERENCES subscribers (id) ON DELETE CASCADE,
  issued_at BIGINT NOT NULL,
  message_id TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  lease_until BIGINT,
  lease_owner TEXT,
  last_error TEXT
);

-- The sender takes due rows in the order they fell due.
CREATE INDEX confirmation_mails_due ON confirmation_mails (next_attempt_at);
