-- Subscribers: one row per normalized email address. Times are integer milliseconds since the epoch.
CREATE TABLE subscribers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced', 'complained')),
  lang TEXT NOT NULL DEFAULT 'both' CHECK (lang IN ('zh', 'en', 'both')),
  source TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  confirmed_at INTEGER,
  unsubscribed_at INTEGER,
  suppressed_at INTEGER,
  confirmation_sent_at INTEGER
);

-- The delivery snapshot selects active subscribers; listings filter by status and page by id.
CREATE INDEX subscribers_status_id ON subscribers (status, id);
