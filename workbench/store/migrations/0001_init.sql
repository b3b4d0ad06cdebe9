-- Core schema. Money in integer fen; times as UTC 'YYYY-MM-DDTHH:MM:SSZ' strings; ids are TEXT so
-- rows created offline on several devices never collide.

CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('agent', 'lead')),
    tier TEXT NOT NULL DEFAULT 'L1',
    lang TEXT NOT NULL DEFAULT 'zh',
    active INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL
);

CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    nick TEXT,
    phone TEXT,
    email TEXT,
    vip_level INTEGER NOT NULL DEFAULT 0,
    lifetime_value_fen INTEGER NOT NULL DEFAULT 0,
    order_count INTEGER NOT NULL DEFAULT 0,
    region TEXT,
    flags TEXT NOT NULL DEFAULT '[]',
    source TEXT NOT NULL DEFAULT 'demo',
    external_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX customers_source_ext ON customers (source, external_id);
CREATE INDEX customers_name ON customers (name);

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    order_no TEXT NOT NULL,
    platform TEXT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    status TEXT NOT NULL,
    total_fen INTEGER NOT NULL DEFAULT 0,
    paid_fen INTEGER NOT NULL DEFAULT 0,
    refunded_fen INTEGER NOT NULL DEFAULT 0,
    receiver TEXT,
    phone TEXT,
    address TEXT,
    region TEXT,
    created_at TEXT NOT NULL,
    paid_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX orders_platform_no ON orders (platform, order_no);
CREATE INDEX orders_customer_created ON orders (customer_id, created_at DESC);
CREATE INDEX orders_no ON orders (order_no);

CREATE TABLE order_items (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    sku TEXT,
    title TEXT NOT NULL,
    qty INTEGER NOT NULL DEFAULT 1,
    price_fen INTEGER NOT NULL DEFAULT 0,
    category TEXT,
    needs_guide INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX order_items_order ON order_items (order_id);

CREATE TABLE shipments (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    carrier TEXT NOT NULL,
    carrier_code TEXT,
    tracking_no TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    shipped_at TEXT,
    last_event_at TEXT,
    delivered_at TEXT,
    anomaly TEXT,
    refreshed_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX shipments_order ON shipments (order_id);
CREATE INDEX shipments_tracking ON shipments (carrier_code, tracking_no);
CREATE INDEX shipments_anomaly ON shipments (anomaly) WHERE anomaly IS NOT NULL;

CREATE TABLE shipment_events (
    id TEXT PRIMARY KEY,
    shipment_id TEXT NOT NULL REFERENCES shipments (id),
    at TEXT NOT NULL,
    status TEXT NOT NULL,
    location TEXT,
    description TEXT NOT NULL DEFAULT ''
);
CREATE INDEX shipment_events_shipment_at ON shipment_events (shipment_id, at DESC);

CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    order_id TEXT REFERENCES orders (id),
    channel TEXT NOT NULL DEFAULT 'chat',
    subject TEXT NOT NULL DEFAULT '',
    intent TEXT NOT NULL DEFAULT 'other',
    emotion TEXT NOT NULL DEFAULT 'calm',
    urgent INTEGER NOT NULL DEFAULT 0,
    priority INTEGER NOT NULL DEFAULT 0,
    cues TEXT NOT NULL DEFAULT '[]',
    sla_kind TEXT NOT NULL DEFAULT 'general',
    sla_due_at TEXT,
    first_response_at TEXT,
    playbook_id TEXT,
    stage TEXT NOT NULL DEFAULT 'empathize',
    stage_state TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'closed')),
    assignee_id TEXT REFERENCES agents (id),
    proactive INTEGER NOT NULL DEFAULT 0,
    escalated_to TEXT,
    handoff_summary TEXT,
    flag TEXT,
    opened_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX cases_open_queue ON cases (status, assignee_id, sla_due_at);
CREATE INDEX cases_customer ON cases (customer_id, opened_at DESC);
CREATE INDEX cases_order ON cases (order_id);

CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    author TEXT NOT NULL CHECK (author IN ('customer', 'agent', 'system')),
    agent_id TEXT,
    body TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX messages_case_at ON messages (case_id, at);

CREATE TABLE case_notes (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    agent_id TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'note',
    body TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX case_notes_case ON case_notes (case_id, at);

CREATE TABLE kb_articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    intents TEXT NOT NULL DEFAULT '',
    lang TEXT NOT NULL DEFAULT 'zh',
    source TEXT NOT NULL DEFAULT 'kb',
    updated_at TEXT NOT NULL
);
-- Full-text index over CJK character bigrams plus lower-cased words (workbench.textindex);
-- rowid = kb_articles.rowid. Two-character terms such as 退货 or 发票 are exactly one bigram.
CREATE VIRTUAL TABLE kb_fts USING fts5 (title, body, tags, tokenize = 'unicode61 remove_diacritics 2');

CREATE TABLE follow_ups (
    id TEXT PRIMARY KEY,
    case_id TEXT REFERENCES cases (id),
    customer_id TEXT,
    owner_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    due_at TEXT,
    trigger TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'due', 'done', 'cancelled')),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    done_at TEXT,
    done_note TEXT,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX follow_ups_owner_status_due ON follow_ups (owner_id, status, due_at);
CREATE INDEX follow_ups_status_due ON follow_ups (status, due_at);
CREATE INDEX follow_ups_case ON follow_ups (case_id);

CREATE TABLE follow_up_history (
    id TEXT PRIMARY KEY,
    follow_up_id TEXT NOT NULL REFERENCES follow_ups (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    change TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX follow_up_history_fu ON follow_up_history (follow_up_id, at);

CREATE TABLE compensations (
    id TEXT PRIMARY KEY,
    case_id TEXT REFERENCES cases (id),
    customer_id TEXT NOT NULL,
    order_id TEXT,
    agent_id TEXT NOT NULL,
    action TEXT NOT NULL,
    amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0),
    reason TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('issued', 'requested', 'approved', 'rejected', 'cancelled', 'revoked')),
    decision_reason TEXT,
    context TEXT NOT NULL DEFAULT '{}',
    decided_by TEXT,
    decided_at TEXT,
    decision_note TEXT,
    offline INTEGER NOT NULL DEFAULT 0,
    hub_status TEXT,
    hub_reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX compensations_agent_created ON compensations (agent_id, created_at);
CREATE INDEX compensations_customer_created ON compensations (customer_id, created_at);
CREATE INDEX compensations_case ON compensations (case_id);
CREATE INDEX compensations_status ON compensations (status, created_at);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);

-- Every change writes one row here in the same transaction as the change itself.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    op TEXT NOT NULL,
    payload TEXT NOT NULL,
    agent_id TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected', 'conflict')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    response TEXT,
    sent_at TEXT
);
CREATE INDEX outbox_pending ON outbox (status, seq);

CREATE TABLE sync_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
