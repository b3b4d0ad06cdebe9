"""Conflict rules: the pure merge functions, a property check, and the rules end to end through caches."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.hub_sqlite import SqliteHub
from workbench.clock import FrozenClock
from workbench.services import cases
from workbench.sync import permissions
from workbench.sync.conflicts import FLAG_REOPENED, STAGES, HubRow, is_fresh, merge, owner_of
from workbench.sync.engine import sync_once
from workbench.sync.hubmoney import plan
from workbench.sync.protocol import Entry
from tests.sync_support import NOW, follow_up, insert, local_rows, make_cache, seed_world, update


def entry(entity: str, payload: dict[str, Any], *, op: str = "update", base: int | None = None,
          after: str | None = None, entity_id: str = "x-1") -> Entry:
    return Entry(uuid.uuid4().hex, entity, entity_id, op, {"id": entity_id, **payload}, base_version=base,
                 after_key=after)


def row(data: dict[str, Any], version: int = 3, last_key: str | None = "k-prev") -> HubRow:
    return HubRow({"id": "x-1", **data}, version, owner_of("cases", data), None, last_key)


def test_freshness_by_version_or_by_own_previous_entry() -> None:
    current = row({"stage": "locate"}, version=3, last_key="k-mine")
    assert is_fresh(current, entry("cases", {}, base=3))
    assert is_fresh(current, entry("cases", {}, base=2, after="k-mine"))
    assert not is_fresh(current, entry("cases", {}, base=2, after="k-other"))
    assert not is_fresh(current, entry("cases", {}))


def test_plain_fields_later_arrival_wins_and_others_are_kept() -> None:
    current = row({"subject": "旧", "intent": "damaged_item", "stage": "locate"})
    result = merge("cases", current, entry("cases", {"subject": "新"}, base=1), "a-lina")
    assert result.status == "accepted" and result.send_row
    assert result.data == {"id": "x-1", "subject": "新", "intent": "damaged_item", "stage": "locate"}
    fresh = merge("cases", current, entry("cases", {"subject": "新"}, base=3), "a-lina")
    assert fresh.status == "accepted" and not fresh.send_row


def test_playbook_checklists_merge_key_by_key_when_stale() -> None:
    current = row({"stage_state": '{"locate": {"photo": true}}'})
    result = merge("cases", current, entry("cases", {"stage_state": '{"resolve": {"reship": true}}'}, base=1), "a")
    assert result.data is not None and result.data["stage_state"] == \
        '{"locate": {"photo": true}, "resolve": {"reship": true}}'


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(STAGES), st.booleans()), min_size=1, max_size=12))
def test_stage_never_moves_backwards_whatever_arrives(updates: list[tuple[str, bool]]) -> None:
    current = HubRow({"id": "x-1", "stage": "empathize"}, 1)
    highest = 0
    for stage, fresh in updates:
        result = merge("cases", current, entry("cases", {"stage": stage}, base=current.version if fresh else 0), "a")
        assert result.data is not None
        highest = max(highest, STAGES.index(stage))
        assert result.data["stage"] == STAGES[highest]
        assert (result.status == "conflict") == (STAGES.index(stage) < STAGES.index(current.data["stage"]))
        current = HubRow(result.data, current.version + 1)


def test_closed_case_is_reopened_only_for_stale_work() -> None:
    closed = row({"status": "closed", "closed_at": NOW, "stage": "close"})
    stale = merge("cases", closed, entry("cases", {"updated_at": NOW}, base=2), "a-lina")
    assert stale.status == "conflict" and stale.data is not None
    assert (stale.data["status"], stale.data["flag"], stale.data["closed_at"]) == ("open", FLAG_REOPENED, None)
    also_closing = merge("cases", closed, entry("cases", {"status": "closed"}, base=2), "a-lina")
    assert also_closing.status == "accepted" and also_closing.data["status"] == "closed"  # type: ignore[index]
    deliberate = merge("cases", closed, entry("cases", {"status": "open"}, base=3), "a-lina")
    assert deliberate.status == "accepted" and "flag" not in deliberate.data  # type: ignore[operator]


def test_done_follow_up_wins_both_ways() -> None:
    moved = HubRow(follow_up("x-1", "a-chenjie"), 2)
    done = merge("follow_ups", moved, entry("follow_ups", {"status": "done"}, base=1), "a-lina")
    assert done.status == "accepted" and done.data["status"] == "done"  # type: ignore[index]
    assert done.data["owner_id"] == "a-chenjie"  # type: ignore[index]
    finished = HubRow(follow_up("x-1", "a-lina", status="done"), 2)
    late = merge("follow_ups", finished, entry("follow_ups", {"owner_id": "a-chenjie", "due_at": "x"}, base=1), "a")
    assert late.status == "conflict" and late.reason.startswith("already_done")
    assert (late.data["status"], late.data["owner_id"]) == ("done", "a-lina")  # type: ignore[index]
    reopen = merge("follow_ups", finished, entry("follow_ups", {"status": "scheduled"}, base=2), "a-zhaomin")
    assert reopen.status == "accepted" and reopen.data["status"] == "scheduled"  # type: ignore[index]


def test_note_edits_by_someone_else_keep_both() -> None:
    note = HubRow({"id": "x-1", "case_id": "c", "agent_id": "a-lina", "body": "原文", "at": NOW}, 1)
    same_author = merge("case_notes", note, entry("case_notes", {"body": "改"}, base=1), "a-lina")
    assert same_author.status == "accepted" and same_author.data["body"] == "改"  # type: ignore[index]
    other = merge("case_notes", note, entry("case_notes", {"body": "另一版"}, base=1), "a-chenjie")
    assert other.status == "conflict" and other.data is None
    (extra,) = other.extra
    assert extra[0] == "case_notes" and extra[2]["body"] == "另一版" and extra[2]["agent_id"] == "a-chenjie"


def test_permissions_table() -> None:
    assert permissions.may_insert("cases", "a", False, None) and permissions.may_insert("cases", "a", False, "a")
    assert not permissions.may_insert("cases", "a", False, "b") and permissions.may_insert("cases", "l", True, "b")
    assert not permissions.may_insert("agents", "a", False, None) and permissions.may_insert("agents", "l", True, None)
    assert not permissions.may_insert("compensations", "l", True, "l")
    assert permissions.may_update("follow_ups", "a", False, "b", "a", "b", "a")  # previous owner
    assert not permissions.may_update("follow_ups", "c", False, "b", "a", "b", "a")
    assert permissions.may_update("customers", "c", False, None, None, None, None)


def test_compensations_are_never_merged() -> None:
    issued = HubRow({"id": "x-1", "agent_id": "a-lina", "status": "issued", "amount_fen": 3000, "action": "coupon",
                     "customer_id": "cu"}, 1)
    assert plan(issued, entry("compensations", {"amount_fen": 2000}, base=1), "a-lina", False).reason == \
        "immutable: amount_fen"
    assert plan(issued, entry("compensations", {"status": "approved"}, base=1), "a-zhaomin", True).reason == \
        "already_decided: issued"
    new = plan(None, entry("compensations", {"status": "issued", "agent_id": "a-chenjie", "amount_fen": 1, "action": "coupon",
                                             "customer_id": "cu"}, op="create"), "a-lina", False)
    assert new.kind == "issue" and new.data["agent_id"] == "a-lina"  # type: ignore[index]


def test_rules_end_to_end_through_three_caches(tmp_path: Path) -> None:
    clock = FrozenClock()
    hub_path = tmp_path / "hub.db"
    team = {a: make_cache(tmp_path / f"{a}.db", a, clock) for a in ("a-lina", "a-chenjie", "a-zhaomin")}
    hubs = {a: SqliteHub(hub_path, a, clock=clock, role="lead" if a == "a-zhaomin" else "agent",
                         tier="L3" if a == "a-zhaomin" else "L1") for a in team}
    for ctx in team.values():
        seed_world(ctx)
    lina, chen, lead = team["a-lina"], team["a-chenjie"], team["a-zhaomin"]
    insert(lina, "follow_ups", follow_up("fu-1", "a-lina"))
    insert(lina, "case_notes", {"id": "n-1", "case_id": "c-kettle", "agent_id": "a-lina", "body": "拍照确认", "at": NOW})
    for agent in team:
        sync_once(team[agent], hubs[agent])
    # Everyone goes offline and works on the same things.
    update(lead, "follow_ups", "fu-1", {"owner_id": "a-chenjie"})
    update(lead, "cases", "c-kettle", {"status": "closed", "closed_at": NOW, "stage": "close"})
    update(lina, "follow_ups", "fu-1", {"status": "done", "done_note": "已电话回访"})
    cases.add_reply(lina, "c-kettle", "王先生您好,补发的水壶今天已经发出了")
    update(chen, "case_notes", "n-1", {"body": "拍照确认,顾客说还有划痕"})
    for agent in ("a-zhaomin", "a-chenjie", "a-lina", "a-zhaomin", "a-chenjie"):
        sync_once(team[agent], hubs[agent])
    for ctx in team.values():
        fu = local_rows(ctx, "follow_ups")["fu-1"]
        case = local_rows(ctx, "cases")["c-kettle"]
        notes = sorted(n["body"] for n in local_rows(ctx, "case_notes").values())
        assert (fu["status"], fu["owner_id"], fu["done_note"]) == ("done", "a-chenjie", "已电话回访")
        assert (case["status"], case["flag"], case["stage"]) == ("open", FLAG_REOPENED, "close")
        assert notes == ["拍照确认", "拍照确认,顾客说还有划痕"]
