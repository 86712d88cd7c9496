-- Inbound events (src/inbound): every bounce, complaint, auto-reply and mailto unsubscribe that came
-- back, and what it changed. The fingerprint (SHA-256 of the message, or a webhook's event id) is
-- unique, so the same message twice is recorded once and changes nothing the second time.
CREATE TABLE inbound_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  fingerprint TEXT NOT NULL UNIQUE,
  received_at INTEGER NOT NULL,
  source TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('hard_bounce', 'soft_bounce', 'complaint', 'unsubscribe', 'autoreply', 'ignored')),
  subscriber_id INTEGER,
  issue_id TEXT,
  status TEXT,
  diagnostic TEXT,
  detail TEXT,
  outcome TEXT
);
CREATE INDEX inbound_events_subscriber ON inbound_events (subscriber_id, id) WHERE subscriber_id IS NOT NULL;
CREATE INDEX inbound_events_issue ON inbound_events (issue_id, id) WHERE issue_id IS NOT NULL;
-- The Message-ID is the second way back from a bounce to its Delivery.
CREATE INDEX deliveries_message_id ON deliveries (message_id) WHERE message_id IS NOT NULL;
-- Removing a Subscriber removes what came back for them too (their bounces quote their address).
CREATE TRIGGER subscribers_delete_inbound_events AFTER DELETE ON subscribers
BEGIN
  DELETE FROM inbound_events WHERE subscriber_id = OLD.id;
END;
