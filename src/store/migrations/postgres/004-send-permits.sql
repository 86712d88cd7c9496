-- The second half of the fleet-wide rate cap: SEND_RATE permits. A worker holds one from the start
-- of an SMTP transaction until one second after it ended, so at any moment the messages in flight
-- or finished within the last second, fleet-wide, are at most SEND_RATE (see fleet-pacer.ts).
-- free_at is database-clock ms; a permit of a worker that died frees itself at its hold limit.
CREATE TABLE send_permits (
  slot INTEGER PRIMARY KEY,
  free_at DOUBLE PRECISION NOT NULL
);
