-- The delivery ledger (DESIGN.md, Delivery). One sends row per Issue, ever: its primary key is what
-- makes two triggers unable to start two Sends. One deliveries row per Issue × Subscriber.
-- Times are integer milliseconds since the epoch.
CREATE TABLE sends (
  issue_id TEXT PRIMARY KEY,
  trigger TEXT NOT NULL CHECK (trigger IN ('cli', 'http', 'schedule', 'worker')),
  total INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  finished_at INTEGER,
  paused_until INTEGER
);

-- No foreign key to subscribers: deleting a Subscriber (on request) must not be blocked by, nor
-- silently erase, the record of what was sent; a claim treats a missing Subscriber as not active.
CREATE TABLE deliveries (
  issue_id TEXT NOT NULL REFERENCES sends (issue_id),
  subscriber_id INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'accepted', 'deferred', 'failed', 'suppressed', 'unknown')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  lease_until INTEGER,
  lease_owner TEXT,
  message_id TEXT,
  last_code INTEGER,
  last_response TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (issue_id, subscriber_id)
) WITHOUT ROWID;

-- The claim reads three small queues, each from its own partial index, so a claim costs the same
-- at the end of a large Send as at its start, however many rows wait for a retry:
-- queued rows in Subscriber order,
CREATE INDEX deliveries_queued ON deliveries (issue_id, subscriber_id) WHERE state = 'queued';
-- retries (deferred, and unknown with a retry time) in the order they become due,
CREATE INDEX deliveries_retry ON deliveries (issue_id, next_attempt_at) WHERE state IN ('deferred', 'unknown') AND next_attempt_at IS NOT NULL;
-- and leases, to find the expired ones and to list who holds what.
CREATE INDEX deliveries_leased ON deliveries (issue_id, lease_until) WHERE state = 'sending';
-- No index on state alone: counting a Send's rows per state reads its primary-key range (a few ms
-- for 100,000 rows), while every extra index would be rewritten on each state change of a send.


-- Only unfinished Sends are ever claimed from.
CREATE INDEX sends_unfinished ON sends (issue_id) WHERE finished_at IS NULL;
