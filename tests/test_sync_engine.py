"""The sync engine against the SQLite hub: order, batches, verdicts, pull without echo, state, allowance."""

from __future__ import annotations

import json
import random
import stat
from pathlib import Path
from typing import Any

import pytest

from adapters.hub_sqlite import SqliteHub
from adapters.hubs import HubConfigError, open_for, resolve_url
from workbench.authority import load_policy
from workbench.authority.policy import builtin_text
from workbench.authority.figures import offline_left
from workbench.cli import main as cli_main
from workbench.clock import FrozenClock
from workbench.services import kb
from workbench.sync import redact, status
from workbench.sync.apply import apply_changes
from workbench.sync.backoff import Backoff
from workbench.sync.engine import ALLOWANCE_KEY, get_state, sync_once
from workbench.sync.protocol import Change, Entry, HubUnavailable, Result
from workbench.sync.runner import SyncRunner
from workbench.timefmt import from_db
from tests.sync_support import FROZEN_AT, NOW, follow_up, insert, local_rows, make_cache, outbox_rows, seed_world, update


class Recording:
    """Wraps a hub and records every push batch (keys in order)."""

    def __init__(self, hub: Any, fail_after: int | None = None):
        self.hub, self.url, self.batches, self.fail_after = hub, hub.url, [], fail_after

    def push(self, entries: list[Entry]) -> list[Result]:
        if self.fail_after is not None and len(self.batches) >= self.fail_after:
            raise HubUnavailable("hub went away (test)")
        self.batches.append([e.key for e in entries])
        return self.hub.push(entries)

    def pull(self, cursor: str, limit: int) -> tuple[list[Change], str]:
        return self.hub.pull(cursor, limit)

    def grant_allowance(self, agent_id: str) -> dict[str, Any]:
        return self.hub.grant_allowance(agent_id)

    def close(self) -> None:
        self.hub.close()


@pytest.fixture
def world(tmp_path: Path, clock: FrozenClock) -> dict[str, Any]:
    hub_path = tmp_path / "hub.db"
    lina = make_cache(tmp_path / "lina.db", "a-lina", clock, f"sqlite:///{hub_path}")
    chen = make_cache(tmp_path / "chen.db", "a-chenjie", clock, f"sqlite:///{hub_path}")
    for ctx in (lina, chen):
        seed_world(ctx)
    return {"lina": lina, "chen": chen, "hub_lina": open_for(lina), "hub_chen": open_for(chen), "path": hub_path}


def test_outbox_goes_in_order_in_batches_with_keys(world: dict[str, Any]) -> None:
    lina = world["lina"]
    for i in range(10):
        insert(lina, "case_notes", {"id": f"n-{i}", "case_id": "c-kettle", "agent_id": "a-lina", "body": f"第{i}条", "at": NOW})
    hub = Recording(world["hub_lina"])
    report = sync_once(lina, hub, batch_size=3)
    keys = [r["key"] for r in outbox_rows(lina)]
    assert [len(b) for b in hub.batches] == [3, 3, 3, 1]
    assert [k for batch in hub.batches for k in batch] == keys
    assert (report.pushed, report.accepted, report.ok) == (10, 10, True)
    assert {r["status"] for r in outbox_rows(lina)} == {"accepted"}
    assert json.loads(outbox_rows(lina)[0]["response"])["hub_version"] == 1


def test_verdicts_are_recorded_with_reason_and_hub_version(world: dict[str, Any]) -> None:
    lina, chen = world["lina"], world["chen"]
    update(lina, "cases", "c-kettle", {"stage": "resolve"})
    sync_once(lina, world["hub_lina"])
    sync_once(chen, world["hub_chen"])
    update(lina, "cases", "c-kettle", {"stage": "locate"})  # backwards
    insert(lina, "compensations", {"id": "k-big", "case_id": "c-kettle", "customer_id": "cu-wang", "agent_id": "a-lina",
                                   "action": "coupon", "amount_fen": 9000, "status": "issued", "created_at": NOW,
                                   "updated_at": NOW})
    report = sync_once(lina, world["hub_lina"])
    assert (report.conflicts, report.rejected) == (1, 1)
    rows = {r["entity"]: r for r in outbox_rows(lina)[-2:]}
    conflict = json.loads(rows["cases"]["response"])
    assert rows["cases"]["status"] == "conflict" and conflict["reason"].startswith("stage_backwards")
    assert conflict["hub_version"] == 2 and conflict["row"]["stage"] == "resolve"
    assert local_rows(lina, "cases")["c-kettle"]["stage"] == "resolve"  # the hub's version was taken
    assert rows["compensations"]["status"] == "rejected"
    comp = local_rows(lina, "compensations")["k-big"]
    assert (comp["status"], comp["hub_status"], comp["hub_reason"]) == ("rejected", "rejected", "case_limit: limit_fen=5000")
    assert local_rows(lina, "cases")["c-kettle"]["flag"] == "compensation_rejected"
    shown = status.case_rejections(lina, "c-kettle")
    assert shown[0]["code"] == "case_limit" and shown[0]["next_step_key"] == "sync.next.case_limit"


def test_pull_applies_rows_without_creating_outbox_entries(world: dict[str, Any]) -> None:
    lina, chen = world["lina"], world["chen"]
    insert(lina, "follow_ups", follow_up("fu-1", "a-lina"))
    update(lina, "cases", "c-late", {"assignee_id": "a-lina"})
    sync_once(lina, world["hub_lina"])
    before = len(outbox_rows(chen))
    report = sync_once(chen, world["hub_chen"])
    assert report.pulled == 2 and len(outbox_rows(chen)) == before == 0
    assert local_rows(chen, "follow_ups")["fu-1"]["owner_id"] == "a-lina"
    assert local_rows(chen, "cases")["c-late"]["assignee_id"] == "a-lina"
    assert get_state(chen.store.conn, "cursor") == "2"
    again = sync_once(chen, world["hub_chen"])
    assert again.pulled == 0


def test_a_row_with_pending_local_edits_is_not_overwritten_by_a_pull(world: dict[str, Any]) -> None:
    lina, chen = world["lina"], world["chen"]
    update(chen, "cases", "c-late", {"subject": "陈杰的改动"})
    update(lina, "cases", "c-late", {"subject": "李娜的改动", "intent": "complaint"})
    sync_once(lina, world["hub_lina"])
    chen_hub = Recording(world["hub_chen"], fail_after=0)  # push fails: chen's edit stays pending
    sync_once(chen, chen_hub)
    changes, _ = world["hub_chen"].pull("", 100)
    with chen.store.write() as conn:
        counts = apply_changes(conn, changes, NOW)
    assert counts["pending"] == 1 and local_rows(chen, "cases")["c-late"]["subject"] == "陈杰的改动"
    sync_once(chen, world["hub_chen"])  # now pushed: stale, merged, the hub's row comes back
    assert local_rows(chen, "cases")["c-late"]["subject"] == "陈杰的改动"
    assert local_rows(chen, "cases")["c-late"]["intent"] == "complaint"  # lina's field arrived too


def test_failures_are_recorded_and_nothing_is_lost(world: dict[str, Any]) -> None:
    lina = world["lina"]
    for i in range(5):
        insert(lina, "case_notes", {"id": f"n-{i}", "case_id": "c-kettle", "agent_id": "a-lina", "body": "记", "at": NOW})
    report = sync_once(lina, Recording(world["hub_lina"], fail_after=1), batch_size=2)
    assert (report.ok, report.online, report.pushed) == (False, False, 2)
    state = status.read(lina)
    assert state["online"] is False and "went away" in state["last_error"] and state["pending"] == 3
    assert status.errors(lina)[0]["message"] == report.error
    report = sync_once(lina, world["hub_lina"])
    assert report.ok and status.read(lina)["online"] is True and status.read(lina)["last_error"] is None
    assert SqliteHub(world["path"], "a-lina", register=False).entry_count() == 5


def test_allowance_is_stored_on_the_local_clock_and_used_by_the_authority(tmp_path: Path) -> None:
    hub_clock = FrozenClock(FROZEN_AT)
    client_clock = FrozenClock(FROZEN_AT.replace(hour=7))  # five hours ahead of the hub
    ctx = make_cache(tmp_path / "c.db", "a-lina", client_clock, "sqlite:///x")
    seed_world(ctx)
    hub = SqliteHub(tmp_path / "hub.db", "a-lina", clock=hub_clock)
    hub.set_policy(builtin_text())
    report = sync_once(ctx, hub)
    stored = json.loads(get_state(ctx.store.conn, ALLOWANCE_KEY))
    assert {"agent_id", "granted_fen", "granted_at", "expires_at"} <= set(stored)
    assert stored == report.allowance and stored["skew_seconds"] == 5 * 3600
    assert stored["granted_at"] == "2026-11-23T07:00:00Z"  # local time the round started
    assert from_db(stored["expires_at"]) - from_db(stored["granted_at"]) == \
        from_db(stored["hub_expires_at"]) - from_db(stored["hub_granted_at"])
    policy = load_policy()
    assert offline_left(ctx.store.conn, policy, "a-lina", client_clock.now()) == (25000, "ok")
    insert(ctx, "compensations", {"id": "k-1", "case_id": "c-kettle", "customer_id": "cu-wang", "agent_id": "a-lina",
                                  "action": "coupon", "amount_fen": 3000, "status": "issued",
                                  "created_at": "2026-11-23T07:00:00Z", "updated_at": "2026-11-23T07:00:00Z"})
    assert offline_left(ctx.store.conn, policy, "a-lina", client_clock.now()) == (22000, "ok")


def test_pulled_rows_waiting_for_their_parent_are_parked_then_applied(tmp_path: Path, clock: FrozenClock) -> None:
    hub = SqliteHub(tmp_path / "hub.db", "a-lina", clock=clock)
    hub.push([Entry("k1", "cases", "c-new", "create", {"id": "c-new", "customer_id": "cu-new", "opened_at": NOW,
                                                        "updated_at": NOW})])
    ctx = make_cache(tmp_path / "c.db", "a-chenjie", clock)
    report = sync_once(ctx, SqliteHub(tmp_path / "hub.db", "a-chenjie", clock=clock))
    assert report.parked == 1 and "c-new" not in local_rows(ctx, "cases")
    hub.push([Entry("k2", "customers", "cu-new", "create", {"id": "cu-new", "name": "新顾客", "created_at": NOW,
                                                             "updated_at": NOW})])
    report = sync_once(ctx, SqliteHub(tmp_path / "hub.db", "a-chenjie", clock=clock))
    assert report.parked == 0 and local_rows(ctx, "cases")["c-new"]["customer_id"] == "cu-new"


def test_pulled_kb_articles_are_searchable(tmp_path: Path, clock: FrozenClock) -> None:
    hub = SqliteHub(tmp_path / "hub.db", "a-zhaomin", clock=clock, role="lead", tier="L3")
    hub.push([Entry("k1", "kb_articles", "kb-1", "create", {"id": "kb-1", "title": "破损补发流程",
                                                             "body": "收到破损商品请拍照", "updated_at": NOW})])
    ctx = make_cache(tmp_path / "c.db", "a-lina", clock)
    sync_once(ctx, SqliteHub(tmp_path / "hub.db", "a-lina", clock=clock))
    assert [h.id for h in kb.search(ctx.store.conn, "破损")] == ["kb-1"]


def test_status_read_for_the_header(tmp_path: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = make_cache(tmp_path / "c.db", "a-lina", clock)
    assert status.read(ctx) == {"online": None, "last_sync_at": None, "last_error": None, "hub": "", "pending": 0}
    monkeypatch.setenv("WORKBENCH_HUB_URL", "postgresql://lina:s3cret-pw@127.0.0.1/team")
    assert status.read(ctx)["hub"] == "postgresql://lina:***@127.0.0.1/team"


def test_backoff_schedule() -> None:
    backoff = Backoff(interval=5, base=2, ceiling=60, floor=1, rng=random.Random(7))
    assert backoff.next_delay(True) == 5
    delays = [backoff.next_delay(False) for _ in range(10)]
    caps = [min(60, 2 * 2 ** i) for i in range(10)]
    assert all(1 <= d <= max(c, 1) for d, c in zip(delays, caps))
    assert len(set(delays)) > 5  # jittered, not lock-step
    assert backoff.next_delay(True) == 5 and backoff.failures == 0


def test_runner_syncs_in_the_background_and_on_demand(world: dict[str, Any]) -> None:
    import threading

    lina = world["lina"]
    insert(lina, "case_notes", {"id": "n-r", "case_id": "c-kettle", "agent_id": "a-lina", "body": "后台", "at": NOW})
    done = threading.Event()
    reports = []

    def on_report(report: Any) -> None:
        reports.append(report)
        done.set()

    runner = SyncRunner(lina, lambda: SqliteHub(world["path"], "a-lina"), on_report=on_report,
                        backoff=Backoff(interval=3600))
    runner.start()
    assert done.wait(10)
    done.clear()
    runner.trigger()
    assert done.wait(10)
    runner.stop()
    assert reports[0].pushed == 1 and reports[1].pushed == 0 and all(r.ok for r in reports)


def test_credentials_stay_private(tmp_path: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[hub]\nurl = "postgresql://lina:topsecret@127.0.0.1:1/team"\n', "utf-8")
    config.chmod(0o644)
    from workbench.context import open_context

    ctx = open_context(db=tmp_path / "c.db", config=config, clock=clock)
    with pytest.raises(HubConfigError, match="chmod 600"):
        resolve_url(ctx)
    config.chmod(0o600)
    assert resolve_url(ctx).endswith("@127.0.0.1:1/team")
    secret = tmp_path / "config" / "hub.secret"
    secret.write_text("p@ss word\n", "utf-8")
    secret.chmod(0o640)
    with pytest.raises(HubConfigError):
        resolve_url(ctx, "postgresql://lina@127.0.0.1:1/team")
    secret.chmod(0o600)
    assert resolve_url(ctx, "postgresql://lina@127.0.0.1:1/team") == "postgresql://lina:p%40ss%20word@127.0.0.1:1/team"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    from adapters.hub_pg.hub import PgHub

    hub = PgHub("postgresql://lina:topsecret@127.0.0.1:1/team", connect_timeout=1)
    with pytest.raises(HubUnavailable) as failure:
        hub.pull("", 1)
    assert "topsecret" not in str(failure.value) and "***" in str(failure.value)
    assert redact.text("dsn host=x password=topsecret user=y") == "dsn host=x password=*** user=y"


def test_hub_add_agent_says_what_to_do_in_the_chosen_language(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """No hub address, or a password variable that is not set: exit 2 and a message saying how to fix it,
    in Chinese by default, in English with --lang en or the config's ui.lang; nothing is registered."""
    from workbench import i18n

    monkeypatch.delenv("WORKBENCH_HUB_URL", raising=False)
    monkeypatch.delenv("WB_TEST_NO_SUCH_PW", raising=False)
    hub_file = tmp_path / "hub.db"
    try:
        assert cli_main(["hub", "add-agent", "a-lina"]) == 2
        err = capsys.readouterr().err
        assert "不知道要连哪个同步中心" in err and "--hub" in err and "WORKBENCH_HUB_URL" in err
        assert "is required" not in err

        assert cli_main(["hub", "add-agent", "a-lina", "--lang", "en"]) == 2
        err = capsys.readouterr().err
        assert "No hub to connect to: pass --hub" in err and "WORKBENCH_HUB_URL" in err
        assert "同步中心" not in err

        missing_pw = ["hub", "add-agent", "a-lina", "--hub", f"sqlite:///{hub_file}", "--password-env",
                      "WB_TEST_NO_SUCH_PW"]
        assert cli_main([*missing_pw, "--lang", "zh"]) == 2
        err = capsys.readouterr().err
        assert "环境变量 WB_TEST_NO_SUCH_PW 没有设置" in err and "a-lina" in err and "export WB_TEST_NO_SUCH_PW" in err
        assert cli_main([*missing_pw, "--lang", "en"]) == 2
        err = capsys.readouterr().err
        assert "The environment variable WB_TEST_NO_SUCH_PW is not set" in err and "for a-lina" in err
        assert "环境变量" not in err
        assert not hub_file.exists()

        config = tmp_path / "en.toml"
        config.write_text('[ui]\nlang = "en"\n', "utf-8")
        i18n.set_language("zh")
        assert cli_main(["hub", "add-agent", "a-lina", "--config", str(config)]) == 2
        assert "No hub to connect to" in capsys.readouterr().err
    finally:
        i18n.set_language("zh")


def test_cli_sync_and_hub_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "cli.db"
    ctx = make_cache(db, "a-lina", FrozenClock(FROZEN_AT))
    seed_world(ctx)
    insert(ctx, "follow_ups", follow_up("fu-cli", "a-lina"))
    ctx.store.close()
    hub_url = f"sqlite:///{tmp_path / 'hub.db'}"
    assert cli_main(["hub", "init", hub_url, "--db", str(db)]) == 0
    assert cli_main(["hub", "add-agent", "a-lina", "--hub", hub_url, "--role", "agent", "--tier", "L1"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("WORKBENCH_HUB_URL", hub_url)
    assert cli_main(["sync", "--db", str(db), "--agent", "a-lina", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["pushed"], report["accepted"], report["ok"]) == (1, 1, True)
    monkeypatch.setenv("WORKBENCH_HUB_URL", "postgresql://lina:topsecret@127.0.0.1:1/team")
    assert cli_main(["sync", "--db", str(db), "--agent", "a-lina"]) == 2
    captured = capsys.readouterr()
    assert "topsecret" not in captured.out + captured.err and "***" in captured.err
