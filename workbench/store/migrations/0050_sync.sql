-- Sync bookkeeping in the local cache (issue 8). The outbox itself is in 0001.

-- The hub version of each row as last seen here: the base an offline change was made against, so the
-- hub can tell a fresh edit from one made without seeing someone else's (conflict rules).
CREATE TABLE sync_rows (
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    hub_version INTEGER NOT NULL,
    PRIMARY KEY (entity, entity_id)
) WITHOUT ROWID;

-- Pulled rows that could not be applied yet (e.g. a case whose customer has not arrived): retried at
-- every pull, never dropped.
CREATE TABLE sync_parked (
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    hub_version INTEGER NOT NULL,
    data TEXT NOT NULL,
    problem TEXT NOT NULL,
    parked_at TEXT NOT NULL,
    PRIMARY KEY (entity, entity_id)
) WITHOUT ROWID;

-- The last sync errors (newest kept), for the Sync screen.
CREATE TABLE sync_errors (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    message TEXT NOT NULL
);

-- Finding the previous outbox entry of the same row (the chain a hub uses to tell fresh from stale).
CREATE INDEX outbox_entity_seq ON outbox (entity, entity_id, seq);
