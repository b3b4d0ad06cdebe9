"""The audit log: tampering (edit, delete a middle row, delete the last rows) is detected; export for finance."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.authority_world import build_world, world_context, zh_language  # noqa: F401 (fixture)
from workbench import audit, cli
from workbench.clock import FrozenClock
from workbench.context import Context
from workbench.outbox import OutsideTransaction
from workbench.services import compensation as comp
from workbench.store import Store
from workbench.store.migrate import migrate

pytestmark = pytest.mark.usefixtures("zh_language")


@pytest.fixture
def ctx(tmp_path: Path, clock: FrozenClock) -> Context:
    """A cache with five audited decisions: issued, requested, refused, issued, issued."""
    store = Store(tmp_path / "cache.db")
    migrate(store)
    build_world(store, clock.now())
    store.close()
    context = world_context(tmp_path / "cache.db", clock)
    comp.issue(context, "ca-1-1", "coupon", 3000, "外壳破损")
    comp.issue(context, "ca-1-1", "coupon", 8000, "=HYPERLINK(\"http://evil\")")
    comp.issue(context, "ca-1-2", "full_refund", 8800, "生鲜")
    clock.advance(days=1)
    comp.issue(context, "ca-2-1", "coupon", 1990, "安抚")
    comp.issue(context, "ca-2-2", "reship", 8800, "补发")
    return context


def raw(ctx: Context, sql: str, *params: object) -> None:
    """Tamper the way someone with the file would: a plain UPDATE/DELETE outside the services."""
    conn = ctx.store.conn
    conn.execute(sql, params)


def test_intact_log_verifies_and_the_head_anchor_follows(ctx: Context) -> None:
    result = audit.verify(ctx.store.conn)
    assert result.ok and result.checked == 5
    head = json.loads(ctx.store.scalar("SELECT value FROM sync_state WHERE key = 'audit_head'"))
    assert head == {"seq": 5, "hash": ctx.store.scalar("SELECT hash FROM audit_log WHERE seq = 5")}


def test_editing_a_row_is_detected_at_that_entry(ctx: Context) -> None:
    data = json.loads(ctx.store.scalar("SELECT data FROM audit_log WHERE seq = 2"))
    data["amount_fen"] = 800
    raw(ctx, "UPDATE audit_log SET data = ? WHERE seq = 2", audit.canonical(data))
    result = audit.verify(ctx.store.conn)
    assert not result.ok and result.first_bad_seq == 2 and result.code == "content" and result.checked == 1


def test_rehashing_an_edited_row_breaks_the_next_link(ctx: Context) -> None:
    row = ctx.store.one("SELECT * FROM audit_log WHERE seq = 3")
    entry = {"seq": 3, "at": row["at"], "actor": "a-zhaomin", "action": row["action"], "entity": row["entity"],
             "entity_id": row["entity_id"], "data": json.loads(row["data"])}
    raw(ctx, "UPDATE audit_log SET actor = 'a-zhaomin', hash = ? WHERE seq = 3", audit.entry_hash(row["prev_hash"], entry))
    result = audit.verify(ctx.store.conn)
    assert not result.ok and result.first_bad_seq == 4 and result.code == "link"


def test_deleting_a_middle_row_is_detected(ctx: Context) -> None:
    raw(ctx, "DELETE FROM audit_log WHERE seq = 3")
    result = audit.verify(ctx.store.conn)
    assert not result.ok and result.first_bad_seq == 3 and result.code == "missing"


def test_deleting_the_last_rows_is_detected(ctx: Context) -> None:
    raw(ctx, "DELETE FROM audit_log WHERE seq = 5")
    result = audit.verify(ctx.store.conn)
    assert not result.ok and result.first_bad_seq == 5 and result.code == "truncated"
    raw(ctx, "DELETE FROM audit_log WHERE seq >= 3")
    assert audit.verify(ctx.store.conn).first_bad_seq == 3
    raw(ctx, "DELETE FROM audit_log")
    assert audit.verify(ctx.store.conn).code == "truncated"


def test_tampering_with_the_anchor_is_detected(ctx: Context) -> None:
    raw(ctx, "DELETE FROM sync_state WHERE key = 'audit_head'")
    assert audit.verify(ctx.store.conn).code == "head_missing"
    raw(ctx, "INSERT INTO sync_state (key, value) VALUES ('audit_head', ?)", json.dumps({"seq": 5, "hash": "0" * 64}))
    assert audit.verify(ctx.store.conn).code == "head_mismatch"
    raw(ctx, "UPDATE sync_state SET value = '{' WHERE key = 'audit_head'")
    assert audit.verify(ctx.store.conn).code == "head_unreadable"
    raw(ctx, "UPDATE sync_state SET value = ? WHERE key = 'audit_head'", json.dumps({"seq": 4, "hash": "x"}))
    result = audit.verify(ctx.store.conn)
    assert result.code == "head_behind" and result.first_bad_seq == 5


def test_an_empty_log_is_fine_and_appends_need_a_transaction(tmp_path: Path, clock: FrozenClock) -> None:
    store = Store(tmp_path / "empty.db")
    migrate(store)
    assert audit.verify(store.conn).ok
    with pytest.raises(OutsideTransaction):
        audit.append(store.conn, clock, actor="x", action="y", entity="z", entity_id="1")


def test_export_csv_for_finance(ctx: Context) -> None:
    out = io.StringIO()
    assert audit.export(ctx.store.conn, out, "csv", tz=ctx.tz) == 5
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["action"] for r in rows] == ["compensation.issue", "compensation.request", "compensation.refuse",
                                           "compensation.issue", "compensation.issue"]
    first = rows[0]
    assert (first["compensation_action"], first["amount_fen"], first["amount_yuan"]) == ("coupon", "3000", "30.00")
    assert first["at_local"] == "2026-11-23 10:00:00" and first["customer_id"] == "cu-1"
    assert rows[1]["note"].startswith("'=HYPERLINK")  # a spreadsheet will not run it
    assert rows[3]["amount_yuan"] == "19.90"


def test_export_json_and_since(ctx: Context, capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    audit.export(ctx.store.conn, out, "json", tz=ctx.tz)
    entries = json.loads(out.getvalue())
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5] and entries[0]["data"]["amount_fen"] == 3000
    db = ctx.store.path
    assert cli.main(["audit", "export", "--db", db, "--since", "2026-11-24", "--format", "json"]) == 0
    assert [e["seq"] for e in json.loads(capsys.readouterr().out)] == [4, 5]
    assert cli.main(["audit", "export", "--db", db, "--until", "2026-11-23", "--format", "json"]) == 0
    assert [e["seq"] for e in json.loads(capsys.readouterr().out)] == [1, 2, 3]
    assert cli.main(["audit", "export", "--db", db, "--since", "11/24"]) == 2
    assert "2026-11-23" in capsys.readouterr().err


def test_cli_verify_and_export_file(ctx: Context, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ctx.store.path
    assert cli.main(["audit", "verify", "--db", db]) == 0
    assert "共 5 条" in capsys.readouterr().out
    target = tmp_path / "finance.csv"
    assert cli.main(["audit", "export", "--db", db, "--format", "csv", "--output", str(target)]) == 0
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM so Excel reads the Chinese columns
    assert len(target.read_text("utf-8-sig").splitlines()) == 6
    raw(ctx, "DELETE FROM audit_log WHERE seq = 5")
    assert cli.main(["audit", "verify", "--db", db, "--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert "entry 5" in err and "deleted from the end" in err
