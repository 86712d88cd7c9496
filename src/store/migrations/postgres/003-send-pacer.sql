-- The fleet-wide rate cap (SEND_RATE) for `sudi worker` processes on any number of machines.
-- One row holds the time (database clock, ms) of the next free send slot; each worker reserves a
-- run of slots for its next batch with one atomic UPDATE (see src/store/postgres/fleet-pacer.ts).
CREATE TABLE send_pacer (
  id SMALLINT PRIMARY KEY CHECK (id = 1),
  next_slot_at DOUBLE PRECISION NOT NULL
);
