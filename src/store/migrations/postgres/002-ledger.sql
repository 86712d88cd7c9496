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

-- No foreign key to subscribers: deleting a Subscriber (on request) must not be blocked by, nor
-- silently erase, the record of what was sent; a claim treats a missing Subscriber as not active.
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

-- The claim reads three small queues, each from its own partial index (as in SQLite), so a claim
-- costs the same at the end of a large Send as at its start, however many rows wait for a retry:
-- queued rows in Subscriber order,
CREATE INDEX deliveries_queued ON deliveries (issue_id, subscriber_id) WHERE state = 'queued';
-- retries (deferred, and unknown with a retry time) in the order they become due,
CREATE INDEX deliveries_retry ON deliveries (next_attempt_at) WHERE state IN ('deferred', 'unknown') AND next_attempt_at IS NOT NULL;
-- and leases, to find the expired ones and to list who holds what.
CREATE INDEX deliveries_leased ON deliveries (lease_until) WHERE state = 'sending';
-- No (issue_id, state) index as in SQLite: before the first ANALYZE of a fresh Send, the planner
-- would pick it for the claim and sort every queued row; counts per state scan the primary key.

-- Only unfinished Sends are ever claimed from.
CREATE INDEX sends_unfinished ON sends (issue_id) WHERE finished_at IS NULL;
