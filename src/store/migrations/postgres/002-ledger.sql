-- The delivery ledger (DESIGN.md, Delivery). One sends row per Issue, ever: its primary key is what
-- makes two triggers unable to start two Sends. One deliveries row per Issue × Subscriber.
CREATE TABLE sends (
  issue_id TEXT PRIMARY KEY,
  trigger TEXT NOT NULL CHECK (trigger IN ('cli', 'http', 'schedule', 'worker')),
  total INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  finished_at BIGINT,
  paused_until BIGINT
);

CREATE TABLE deliveries (
  issue_id TEXT NOT NULL REFERENCES sends (issue_id),
  subscriber_id BIGINT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'accepted', 'deferred', 'failed', 'suppressed', 'unknown')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT,
  lease_until BIGINT,
  lease_owner TEXT,
  message_id TEXT,
  last_code INTEGER,
  last_response TEXT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (issue_id, subscriber_id)
);

-- The work queue: only rows that may still need an attempt, in claim order. Finished rows leave
-- the index, so a claim costs the same at the end of a large Send as at its start.
CREATE INDEX deliveries_open ON deliveries (issue_id, subscriber_id)
  WHERE state IN ('queued', 'sending', 'deferred', 'unknown');

-- Only unfinished Sends are ever claimed from.
CREATE INDEX sends_unfinished ON sends (issue_id) WHERE finished_at IS NULL;
