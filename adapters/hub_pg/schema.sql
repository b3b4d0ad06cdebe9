-- The team hub on PostgreSQL: tables, privileges and row-level security.
-- Run by `workbench hub init DSN` as the database owner, with functions.sql right after. Re-running is safe.
-- Tokens replaced at init: {{AGENT_ROLE}} and {{LEAD_ROLE}} (group roles every agent login joins) and
-- {{OWNER}} (the role running init: it owns the tables and the SECURITY DEFINER functions).

CREATE SCHEMA IF NOT EXISTS hub;
REVOKE ALL ON SCHEMA hub FROM PUBLIC;
GRANT USAGE ON SCHEMA hub TO {{AGENT_ROLE}}, {{LEAD_ROLE}};

CREATE TABLE IF NOT EXISTS hub.settings (key text PRIMARY KEY, value jsonb NOT NULL);

-- Who is who: the login role of each agent (RLS keys on session_user through this table, never on a
-- setting the client could SET).
CREATE TABLE IF NOT EXISTS hub.agents (
    agent_id text PRIMARY KEY,
    login name NOT NULL UNIQUE,
    name text NOT NULL DEFAULT '',
    role text NOT NULL CHECK (role IN ('agent', 'lead')),
    tier text NOT NULL,
    active boolean NOT NULL DEFAULT true
);

-- Every shared row, whatever its table in the caches. txid is the writing transaction's id: the pull
-- cursor is a window of transaction ids (see functions.sql), which never skips a transaction that
-- commits after a later one, as a sequence would.
CREATE TABLE IF NOT EXISTS hub.rows (
    entity text NOT NULL,
    entity_id text NOT NULL,
    data jsonb NOT NULL,
    version integer NOT NULL DEFAULT 1,
    owner text,
    prev_owner text,
    last_key text,
    updated_by text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now(),
    txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (entity, entity_id)
);
CREATE INDEX IF NOT EXISTS rows_txid ON hub.rows (txid, entity, entity_id);

-- Idempotency: each outbox entry is applied once; a re-send gets this stored answer.
CREATE TABLE IF NOT EXISTS hub.entries (
    key text PRIMARY KEY,
    agent_id text NOT NULL,
    entity text NOT NULL,
    entity_id text NOT NULL,
    op text NOT NULL,
    status text NOT NULL CHECK (status IN ('accepted', 'rejected', 'conflict')),
    reason text NOT NULL DEFAULT '',
    hub_version integer,
    row jsonb,
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- Lock rows: one per agent and shop day, one per customer. Money checks take them FOR UPDATE, so two
-- agents racing on one budget or one customer's cap are serialised (check-then-insert under READ
-- COMMITTED overspent in 20 of 20 rounds on this machine).
CREATE TABLE IF NOT EXISTS hub.budget_days (agent_id text NOT NULL, day date NOT NULL, PRIMARY KEY (agent_id, day));
CREATE TABLE IF NOT EXISTS hub.customer_caps (customer_id text PRIMARY KEY);

-- The money ledger, counted at hub time (client clocks are never trusted for money).
CREATE TABLE IF NOT EXISTS hub.money (
    comp_id text PRIMARY KEY,
    agent_id text NOT NULL,
    customer_id text NOT NULL,
    case_id text,
    action text NOT NULL,
    amount_fen bigint NOT NULL CHECK (amount_fen > 0),
    status text NOT NULL CHECK (status IN ('issued', 'approved')),
    approver text,
    counted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS money_agent ON hub.money (agent_id, counted_at);
CREATE INDEX IF NOT EXISTS money_customer ON hub.money (customer_id, counted_at);
CREATE INDEX IF NOT EXISTS money_case ON hub.money (case_id, action);
CREATE INDEX IF NOT EXISTS money_approver ON hub.money (approver, counted_at);

CREATE TABLE IF NOT EXISTS hub.allowances (
    id bigserial PRIMARY KEY,
    agent_id text NOT NULL,
    granted_fen bigint NOT NULL,
    granted_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

-- Privileges: agents read shared data, write rows only under the policies below, and never touch the
-- money tables except through hub.apply_compensation (SECURITY DEFINER).
REVOKE ALL ON ALL TABLES IN SCHEMA hub FROM PUBLIC;
GRANT SELECT ON hub.settings, hub.agents TO {{AGENT_ROLE}}, {{LEAD_ROLE}};
GRANT SELECT, INSERT, UPDATE ON hub.rows TO {{AGENT_ROLE}}, {{LEAD_ROLE}};
GRANT SELECT, INSERT ON hub.entries TO {{AGENT_ROLE}}, {{LEAD_ROLE}};
GRANT SELECT ON hub.money, hub.allowances TO {{AGENT_ROLE}}, {{LEAD_ROLE}};
