-- Expected dates of steps that have not started move with today. Instead of rewriting them
-- every day, each is stored as a rule: the later of the stored date and, when its `_lag` is
-- set, today + lag days (`GREATEST` skips the NULL of a date that no longer moves). Only
-- events change the rules; the passing of days writes nothing but overdue marks.
ALTER TABLE approval_participants
    ADD COLUMN expected_start_lag integer,
    ADD COLUMN expected_end_lag   integer;

ALTER TABLE approval_actions ADD COLUMN expected_end_lag integer;

-- Served only the daily rewrite of waiting participants, which is gone.
DROP INDEX approval_participants_waiting_idx;

-- Running approvals get their rules at the next background refresh.
UPDATE approvals SET dates_as_of = '-infinity' WHERE status = 'running';
