-- The start-up query for the cases with a due follow-up (they come back to the agent's queue) reads the
-- case id of every open follow-up past due. With the case id in the index it is read from the index
-- alone: about 1 ms instead of 7 ms on a cold cache of the large dataset, before the first frame.
DROP INDEX IF EXISTS follow_ups_owner_status_due;
CREATE INDEX IF NOT EXISTS follow_ups_owner_status_due_case ON follow_ups (owner_id, status, due_at, case_id);
