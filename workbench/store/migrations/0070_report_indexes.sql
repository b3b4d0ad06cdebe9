-- Indexes for the lead's reports: every figure is read by its period, not by scanning the table.
CREATE INDEX IF NOT EXISTS cases_opened_at ON cases (opened_at);
CREATE INDEX IF NOT EXISTS cases_status_closed_at ON cases (status, closed_at);
CREATE INDEX IF NOT EXISTS follow_ups_status_done_at ON follow_ups (status, done_at);
CREATE INDEX IF NOT EXISTS compensations_status_decided_at ON compensations (status, decided_at);
