-- Follow-ups (issue 7): indexes for the lead's board and for event triggers.
-- Open follow-ups by due time (board pages, counts, "due today"), optionally per owner; partial so the
-- many done/cancelled rows never slow the board. Queries must say status IN ('scheduled', 'due').
CREATE INDEX follow_ups_open_due ON follow_ups (due_at, id) WHERE status IN ('scheduled', 'due');
CREATE INDEX follow_ups_open_owner_due ON follow_ups (owner_id, due_at, id) WHERE status IN ('scheduled', 'due');
-- Event triggers by order: when shipment events arrive, only the follow-ups of that order are read.
CREATE INDEX follow_ups_trigger_order ON follow_ups (json_extract(trigger, '$.order_id')) WHERE trigger != '{}';
