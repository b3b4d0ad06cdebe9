"""The deterministic demo dataset: determinism, shape, stories that hold, KB, and the CLI.

Generating the small dataset takes ~0.2 s; the session-wide ``demo_db`` copy is used wherever a test
only reads.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import FROZEN_AT
from workbench.demo.agents import DEMO_AGENTS, seed_agents
from workbench.demo.generate import NotEmptyError, generate
from workbench.kbdata import INTENTS, KbDataError, load_articles
from workbench.services import kb
from workbench.store import Store
from workbench.store.migrate import migrate
from workbench.timefmt import from_db, to_db

EMOTIONS = {"calm", "anxious", "angry"}
SLA_MINUTES = {"general": 5, "after_sales": 10, "urgent_complaint": 0, "vip": 15}
TABLES = ("agents", "customers", "orders", "order_items", "shipments", "shipment_events", "cases", "messages",
          "compensations", "follow_ups", "kb_articles", "kb_fts")


def fresh(tmp_path: Path, name: str = "g.db") -> Store:
    store = Store(tmp_path / name)
    migrate(store)
    return store


def content_hash(conn: sqlite3.Connection) -> str:
    digest = hashlib.sha256()
    for table in TABLES:
        for row in conn.execute(f"SELECT * FROM {table} ORDER BY rowid"):
            digest.update(json.dumps(list(row), ensure_ascii=False).encode())
    return digest.hexdigest()


@pytest.fixture
def demo(demo_db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(demo_db)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


def test_seed_agents_is_idempotent_and_writes_no_outbox(ctx) -> None:
    seed_agents(ctx.store, FROZEN_AT)
    rows = ctx.store.query("SELECT id, name, role, tier FROM agents ORDER BY id")
    assert sorted((r["id"], r["name"], r["role"], r["tier"]) for r in rows) == sorted(a[:4] for a in DEMO_AGENTS)
    assert ctx.store.scalar("SELECT count(*) FROM outbox") == 0


def test_same_seed_gives_identical_content_and_another_seed_differs(tmp_path: Path) -> None:
    hashes = []
    for name, seed in (("a.db", 7), ("b.db", 7), ("c.db", 8)):
        store = fresh(tmp_path, name)
        generate(store, seed=seed, now=FROZEN_AT)
        hashes.append(content_hash(store.conn))
        store.close()
    assert hashes[0] == hashes[1]
    assert hashes[0] != hashes[2]


def test_counts_and_no_outbox(demo: sqlite3.Connection) -> None:
    count = lambda sql: demo.execute(sql).fetchone()[0]  # noqa: E731
    assert count("SELECT count(*) FROM customers") == 200
    assert 900 <= count("SELECT count(*) FROM orders") <= 1100
    assert count("SELECT count(*) FROM cases WHERE status = 'open'") == 40
    assert count("SELECT count(*) FROM cases WHERE status = 'closed'") >= 55
    assert 25 <= count("SELECT count(*) FROM follow_ups") <= 40
    assert count("SELECT count(*) FROM compensations WHERE status = 'issued'") >= 10
    assert count("SELECT count(*) FROM outbox") == 0
    assert count("SELECT count(*) FROM audit_log") == 0
    assert demo.execute("PRAGMA foreign_key_check").fetchall() == []


def test_open_cases_have_customer_messages_and_valid_triage(demo: sqlite3.Connection) -> None:
    cases = demo.execute("SELECT * FROM cases WHERE status = 'open'").fetchall()
    agents = {a[0] for a in DEMO_AGENTS}
    for case in cases:
        first = demo.execute("SELECT author, at FROM messages WHERE case_id = ? ORDER BY at", (case["id"],)).fetchall()
        assert 1 <= len(first) <= 3 and all(m["author"] == "customer" for m in first), case["id"]
        assert case["intent"] in INTENTS and case["emotion"] in EMOTIONS
        assert case["stage"] == "empathize" and case["playbook_id"] is None and case["first_response_at"] is None
        assert 0 <= case["priority"] <= 100
        opened = from_db(case["opened_at"])
        assert FROZEN_AT - timedelta(minutes=91) <= opened <= FROZEN_AT
        assert from_db(case["sla_due_at"]) - opened == timedelta(minutes=SLA_MINUTES[case["sla_kind"]])
        assert case["urgent"] == (case["sla_kind"] == "urgent_complaint")
        assert isinstance(json.loads(case["cues"]), list)
        assert case["assignee_id"] is None or case["assignee_id"] in agents
        owner = demo.execute("SELECT customer_id FROM orders WHERE id = ?", (case["order_id"],)).fetchone()
        assert owner["customer_id"] == case["customer_id"]
    due = [from_db(c["sla_due_at"]) for c in cases]
    assert any(d < FROZEN_AT for d in due) and any(d > FROZEN_AT for d in due)  # breached and due soon
    assert {c["intent"] for c in cases} >= INTENTS - {"other"}
    assert {c["emotion"] for c in cases} == EMOTIONS
    english = [c for c in cases if re.search(r"[A-Za-z]{4}", c["subject"])]
    assert 4 <= len(english) <= 5
    assert sum(c["assignee_id"] == "a-lina" for c in cases) > len(cases) / 2
    assert any(c["assignee_id"] is None for c in cases)


def test_stories_match_their_parcels(demo: sqlite3.Connection) -> None:
    rows = demo.execute(
        "SELECT c.subject, c.intent, s.status, s.anomaly, s.last_event_at, o.status AS order_status "
        "FROM cases c JOIN orders o ON o.id = c.order_id LEFT JOIN shipments s ON s.order_id = o.id "
        "WHERE c.status = 'open'").fetchall()
    stalled = [r for r in rows if "没动" in r["subject"] or "停" in r["subject"]]
    assert stalled and all(r["anomaly"] == "stalled" for r in stalled)
    for r in stalled:
        assert FROZEN_AT - from_db(r["last_event_at"]) > timedelta(hours=48)
    signed = [r for r in rows if "签收" in r["subject"] and "未收到" in r["subject"] or "没收到" in r["subject"]]
    assert signed and all(r["status"] == "delivered" for r in signed)
    refunds = [r for r in rows if r["intent"] == "refund_status"]
    assert all(r["order_status"] == "refunding" for r in refunds)


def test_order_status_agrees_with_its_parcel(demo: sqlite3.Connection) -> None:
    """A signed-for parcel never sits next to 已发货: the order is 已签收 until the platform auto-confirms it
    ten days after delivery (已完成), as the platforms show it."""
    rows = demo.execute("SELECT o.status AS order_status, s.status, s.delivered_at FROM orders o "
                        "JOIN shipments s ON s.order_id = o.id").fetchall()
    signed = [r for r in rows if r["status"] == "delivered" and r["order_status"] not in ("refunding", "refunded")]
    assert signed and not [r for r in rows if r["status"] == "delivered" and r["order_status"] == "shipped"]
    for r in signed:
        confirmed = FROZEN_AT - from_db(r["delivered_at"]) > timedelta(days=10)
        assert r["order_status"] == ("completed" if confirmed else "delivered"), dict(r)
    assert {r["order_status"] for r in signed} == {"delivered", "completed"}
    moving = {r["order_status"] for r in rows if r["status"] in ("in_transit", "out_for_delivery")}
    assert moving <= {"shipped", "refunding"} and "shipped" in moving


def test_anomaly_variety_and_timelines_in_the_past(demo: sqlite3.Connection) -> None:
    anomalies = {r[0] for r in demo.execute("SELECT DISTINCT anomaly FROM shipments WHERE anomaly IS NOT NULL")}
    assert anomalies == {"stalled", "returned", "exception", "address", "locker_uncollected"}
    statuses = {r[0] for r in demo.execute("SELECT DISTINCT status FROM shipments")}
    assert statuses == {"pending", "in_transit", "out_for_delivery", "delivered", "exception", "returned"}
    assert demo.execute("SELECT max(at) FROM shipment_events").fetchone()[0] <= to_db(FROZEN_AT)
    mismatch = demo.execute(
        "SELECT count(*) FROM shipments s WHERE last_event_at IS NOT "
        "(SELECT max(at) FROM shipment_events e WHERE e.shipment_id = s.id)").fetchone()[0]
    assert mismatch == 0
    assert demo.execute("SELECT count(*) FROM shipments WHERE status = 'delivered' AND delivered_at IS NULL"
                        ).fetchone()[0] == 0
    formats = {"yuantong": r"YT\d{13}", "shunfeng": r"SF\d{13}", "zhongtong": r"7\d{13}", "jd": r"JDV[A-E]\d{11}",
               "jtexpress": r"JT\d{13}", "yunda": r"\d{13}", "youzhengguonei": r"98\d{11}"}
    for code, number in demo.execute("SELECT carrier_code, tracking_no FROM shipments"):
        assert re.fullmatch(formats[code], number), (code, number)


def test_customers_consistent_with_orders_and_abuse_signals(demo: sqlite3.Connection) -> None:
    bad = demo.execute(
        "SELECT count(*) FROM customers c WHERE order_count != (SELECT count(*) FROM orders WHERE customer_id = c.id) "
        "OR lifetime_value_fen != (SELECT coalesce(sum(paid_fen - refunded_fen), 0) FROM orders "
        "WHERE customer_id = c.id)").fetchone()[0]
    assert bad == 0
    for (phone,) in demo.execute("SELECT phone FROM customers WHERE phone IS NOT NULL"):
        assert re.fullmatch(r"1\d{2}\*{4}\d{4}", phone)
    assert {r[0] for r in demo.execute("SELECT DISTINCT vip_level FROM customers")} == {0, 1, 2, 3}
    flagged = [r[0] for r in demo.execute("SELECT id FROM customers WHERE flags LIKE '%frequent_not_received%'")]
    assert flagged
    since = to_db(FROZEN_AT - timedelta(days=90))
    for cid in flagged:
        claims = demo.execute("SELECT count(*) FROM compensations WHERE customer_id = ? AND created_at >= ?",
                              (cid, since)).fetchone()[0]
        assert claims >= 3
    overdue = demo.execute("SELECT count(*) FROM follow_ups WHERE status = 'scheduled' AND due_at < ?",
                           (to_db(FROZEN_AT),)).fetchone()[0]
    assert overdue >= 1
    assert len({r[0] for r in demo.execute("SELECT owner_id FROM follow_ups")}) >= 3


def test_kb_articles_are_loaded_indexed_and_searchable(demo: sqlite3.Connection) -> None:
    articles = load_articles()
    builtin = [a for a in articles if a["source"] == "builtin"]
    zh = [a for a in builtin if a["lang"] == "zh"]
    assert len(zh) >= 40 and len(builtin) - len(zh) >= 5
    for art in zh:
        assert 150 <= len(art["body"]) <= 400, art["id"]
        assert set(art["intents"].split(",")) <= INTENTS
    assert demo.execute("SELECT count(*) FROM kb_articles").fetchone()[0] == len(articles)
    expect = {"退货": "kb-return", "发票": "kb-invoice", "保修": "kb-warranty", "价保": "kb-price-protection",
              "签收": "kb-signed-not-received", "refund": "kb-en-"}
    for term, prefix in expect.items():
        hits = kb.search(demo, term, limit=5)
        assert hits and any(h.id.startswith(prefix) for h in hits[:3]), (term, hits)


def test_kbdata_reports_file_and_line_of_a_bad_article(tmp_path: Path) -> None:
    good = {"id": "x-1", "title": "t", "body": "b", "tags": "", "intents": "invoice", "lang": "zh"}
    (tmp_path / "a.jsonl").write_text(json.dumps(good) + "\n\n" + json.dumps({**good, "id": "x-2",
                                      "intents": "invoice,teleport"}) + "\n", "utf-8")
    with pytest.raises(KbDataError, match=r"a\.jsonl, line 3: unknown intent.*teleport"):
        load_articles(tmp_path)
    (tmp_path / "a.jsonl").write_text("{broken\n", "utf-8")
    with pytest.raises(KbDataError, match=r"a\.jsonl, line 1: invalid JSON"):
        load_articles(tmp_path)


def test_generate_refuses_non_empty_cache_and_bad_arguments(tmp_path: Path) -> None:
    store = fresh(tmp_path)
    with pytest.raises(ValueError, match="scale"):
        generate(store, scale="huge", now=FROZEN_AT)
    with pytest.raises(ValueError, match="timezone-aware"):
        generate(store, now=FROZEN_AT.replace(tzinfo=None))
    generate(store, now=FROZEN_AT)
    before = content_hash(store.conn)
    with pytest.raises(NotEmptyError, match="already holds 200 customers"):
        generate(store, now=FROZEN_AT)
    assert content_hash(store.conn) == before


def test_cli_creates_refuses_to_overwrite_and_forces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.cli import main

    out = tmp_path / "demo.db"
    args = ["demo-data", "--out", str(out), "--now", "2026-11-23T02:00:00Z", "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["customers"] == 200 and report["counts"]["kb_articles"] >= 45
    first = content_hash(sqlite3.connect(out))
    assert main(["demo-data", "--out", str(out), "--seed", "8"]) == 2
    assert "--force" in capsys.readouterr().err
    assert content_hash(sqlite3.connect(out)) == first
    assert main(["demo-data", "--out", str(out), "--now", "2026-11-23T02:00:00Z", "--force"]) == 0
    assert "200" in capsys.readouterr().out
    assert content_hash(sqlite3.connect(out)) == first  # same seed and --now: same file content
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database, keep me\n" * 100)
    assert main(["demo-data", "--out", str(junk)]) == 2
    assert junk.read_text().startswith("not a database")


def test_kbdata_later_file_overrides_an_id_and_same_file_duplicates_fail(tmp_path: Path) -> None:
    art = {"id": "x-1", "title": "旧标题", "body": "b", "tags": "", "intents": "invoice", "lang": "zh"}
    (tmp_path / "a.jsonl").write_text(json.dumps(art, ensure_ascii=False) + "\n" + json.dumps(
        {**art, "id": "x-2"}) + "\n", "utf-8")
    (tmp_path / "b.jsonl").write_text(json.dumps({**art, "title": "新标题", "source": "team"},
                                                 ensure_ascii=False) + "\n", "utf-8")
    loaded = load_articles(tmp_path)
    assert [(a["id"], a["title"], a["source"]) for a in loaded] == [("x-1", "新标题", "team"), ("x-2", "旧标题", "builtin")]
    (tmp_path / "b.jsonl").write_text(json.dumps(art) + "\n" + json.dumps(art) + "\n", "utf-8")
    with pytest.raises(KbDataError, match=r"b\.jsonl, line 2: duplicate id 'x-1' in the same file"):
        load_articles(tmp_path)


def test_large_code_path_smoke(tmp_path: Path) -> None:
    """The scale generator at a tiny size: consistent, referentially intact, pragmas restored."""
    store = fresh(tmp_path)
    sizes = {"customers": 300, "orders": 3000, "events": 3000, "kb_articles": 400, "follow_ups": 500,
             "open_cases": 45, "compensations": 200}
    counts = generate(store, scale="large", seed=3, now=FROZEN_AT, sizes=sizes)
    assert counts["customers"] == 300 and 2900 <= counts["orders"] - 45 <= 3200
    assert counts["kb_articles"] == 400 and counts["follow_ups"] == 500 and counts["compensations"] == 200
    assert 2000 <= counts["shipment_events"] <= 4500
    conn = store.conn
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("SELECT count(*) FROM cases WHERE status = 'open'").fetchone()[0] == 45
    assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
    bad = conn.execute("SELECT count(*) FROM customers c WHERE order_count != "
                       "(SELECT count(*) FROM orders WHERE customer_id = c.id)").fetchone()[0]
    assert bad == 0
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"orders_platform_no", "shipment_events_shipment_at", "follow_ups_owner_status_due_case"} <= indexes
    assert conn.execute("SELECT max(at) FROM shipment_events").fetchone()[0] <= to_db(FROZEN_AT)
    assert kb.search(conn, "发票", limit=3)


def test_first_run_demo_has_requests_waiting_for_the_lead(tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    """make run's first start: a lead opening approvals finds real requests (one already waiting long)."""
    from workbench import audit
    from workbench.context import open_context
    from workbench.demo.bootstrap import ensure_demo

    ctx = open_context(db=tmp_path / "first.db", clock=clock)
    assert ensure_demo(ctx) is True
    rows = ctx.store.query("SELECT agent_id, status, context, created_at FROM compensations WHERE status = 'requested'")
    assert len(rows) == 3 and {r["agent_id"] for r in rows} == {"a-lina", "a-chenjie", "a-wangqiang"}
    assert all('"transcript"' in r["context"] or '"messages"' in r["context"] or r["context"] != "{}" for r in rows)
    assert min(r["created_at"] for r in rows) <= "2026-11-23T01:15:00Z"  # 45 minutes before the frozen 02:00
    assert audit.verify(ctx.store.conn).ok
    assert ensure_demo(ctx) is False  # a cache with agents is never touched again
