-- Order/logistics sources (CSV imports, Shopify, WooCommerce, Kuaidi100): per-source refresh state.
-- Local to this device (not synced): the app shows "refreshed 10:42" beside the data and a banner
-- when the last attempt failed, while the cached rows stay on screen.
CREATE TABLE source_refresh (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    last_attempt_at TEXT,
    last_success_at TEXT,
    ok INTEGER,
    count INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    record_errors TEXT NOT NULL DEFAULT '[]',
    cursor TEXT,
    updated_at TEXT NOT NULL
);

-- Stall detection and the courier refresh pick shipments by status and age of the last scan.
CREATE INDEX shipments_status_last_event ON shipments (status, last_event_at);
-- "Day 2 after delivery" usage guides look up delivered shipments by delivery time.
CREATE INDEX shipments_delivered_at ON shipments (delivered_at) WHERE delivered_at IS NOT NULL;
-- Imported order lines of products known to need a usage guide get one too (looked up per import).
CREATE INDEX order_items_guide_sku ON order_items (needs_guide, sku);
-- Proactive contacts are measured per order.
CREATE INDEX cases_proactive_order ON cases (order_id) WHERE proactive = 1;
