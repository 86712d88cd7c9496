-- Why a Send is paused (a 5.7.x reply, the relay unreachable …), for `sudi status` and the reports.
ALTER TABLE sends ADD COLUMN pause_reason TEXT;
