"""ONE contract suite, run against the SQLite file hub and the PostgreSQL hub: same entries, same answers."""

from __future__ import annotations

import uuid
from typing import Any

from workbench.sync.conflicts import FLAG_COMP_REJECTED, FLAG_REOPENED
from workbench.sync.protocol import Entry, Hub, Result
from tests.sync_support import NOW, SMALL_POLICY, HubKit, follow_up, hubkit, pg_team  # noqa: F401



def e(entity: str, entity_id: str, payload: dict[str, Any], op: str = "update", **kw: Any) -> Entry:
    return Entry(uuid.uuid4().hex, entity, entity_id, op, {"id": entity_id, **payload}, **kw)


def create(entity: str, row: dict[str, Any]) -> Entry:
    return Entry(uuid.uuid4().hex, entity, row["id"], "create", row)


CUSTOMER = {"id": "cu-1", "name": "王磊", "created_at": NOW, "updated_at": NOW}


def case(case_id: str = "c-1", assignee: str | None = "a-lina", **extra: Any) -> dict[str, Any]:
    return {"id": case_id, "customer_id": "cu-1", "assignee_id": assignee, "stage": "empathize", "status": "open",
            "opened_at": NOW, "updated_at": NOW, **extra}


def comp(comp_id: str, amount: int, status: str = "issued", case_id: str = "c-1", **extra: Any) -> dict[str, Any]:
    return {"id": comp_id, "case_id": case_id, "customer_id": "cu-1", "agent_id": "a-lina", "action": "coupon",
            "amount_fen": amount, "status": status, "reason": "破损", "created_at": NOW, "updated_at": NOW, **extra}


def one(hub: Hub, entry: Entry) -> Result:
    (result,) = hub.push([entry])
    return result


def pull_all(hub: Hub, cursor: str = "", limit: int = 1000) -> tuple[list[Any], str]:
    got: list[Any] = []
    while True:
        changes, cursor_next = hub.pull(cursor, limit)
        got.extend(changes)
        cursor = cursor_next
        if len(changes) < limit:
            return got, cursor


def test_push_is_idempotent_and_pull_delivers_each_row(hubkit: HubKit) -> None:
    lina = hubkit.hub("a-lina")
    batch = [create("customers", CUSTOMER), create("cases", case()), e("cases", "c-1", {"stage": "locate"})]
    first = lina.push(batch)
    assert [r.status for r in first] == ["accepted"] * 3
    assert [r.hub_version for r in first] == [1, 1, 2]
    again = lina.push(batch)  # the same batch delivered twice (lost reply, re-send)
    assert [(r.status, r.hub_version) for r in again] == [(r.status, r.hub_version) for r in first]
    assert hubkit.rows("cases")["c-1"]["_version"] == 2
    changes, cursor = pull_all(hubkit.hub("a-chenjie"))
    assert sorted((c.entity, c.entity_id, c.version) for c in changes) == [("cases", "c-1", 2), ("customers", "cu-1", 1)]
    assert changes[0].data and {c.entity_id: c.data for c in changes}["c-1"]["stage"] == "locate"
    assert hubkit.hub("a-chenjie").pull(cursor, 10)[0] == []


def test_same_key_twice_in_one_batch_applies_once(hubkit: HubKit) -> None:
    lina = hubkit.hub("a-lina")
    lina.push([create("customers", CUSTOMER), create("cases", case())])
    bump = e("cases", "c-1", {"stage": "locate"})
    results = lina.push([bump, bump])
    assert results[0] == results[1] and results[0].hub_version == 2
    assert hubkit.rows("cases")["c-1"]["_version"] == 2


def test_pull_pages_never_repeat_or_skip(hubkit: HubKit) -> None:
    lina = hubkit.hub("a-lina")
    lina.push([create("customers", {**CUSTOMER, "id": f"cu-{i:02d}"}) for i in range(25)])
    reader = hubkit.hub("a-chenjie")
    seen, cursor = [], ""
    for _ in range(10):
        changes, cursor = reader.pull(cursor, 10)
        seen += [c.entity_id for c in changes]
        if len(changes) < 10:
            break
    assert sorted(seen) == [f"cu-{i:02d}" for i in range(25)]
    lina.push([create("customers", {**CUSTOMER, "id": "cu-new"})])
    later, _ = pull_all(reader, cursor)
    assert [c.entity_id for c in later] == ["cu-new"]


def test_update_of_a_row_the_hub_never_saw_uses_the_snapshot(hubkit: HubKit) -> None:
    lina = hubkit.hub("a-lina")
    result = one(lina, e("cases", "c-9", {"stage": "locate"}, snapshot=case("c-9")))
    assert result.status == "accepted"
    assert hubkit.rows("cases")["c-9"]["customer_id"] == "cu-1"
    assert hubkit.rows("cases")["c-9"]["stage"] == "locate"


def test_stage_never_moves_backwards(hubkit: HubKit) -> None:
    lina = hubkit.hub("a-lina")
    lina.push([create("cases", case(stage="resolve"))])
    result = one(lina, e("cases", "c-1", {"stage": "locate", "subject": "换货"}, base_version=1))
    assert result.status == "conflict" and result.code == "stage_backwards"
    assert result.row is not None and result.row["stage"] == "resolve" and result.row["subject"] == "换货"
    assert one(lina, e("cases", "c-1", {"stage": "close"}, base_version=2)).status == "accepted"


def test_case_closed_on_hub_is_reopened_and_flagged_not_overwritten(hubkit: HubKit) -> None:
    lina, lead = hubkit.hub("a-lina"), hubkit.hub("a-zhaomin")
    lina.push([create("cases", case())])
    one(lead, e("cases", "c-1", {"status": "closed", "closed_at": NOW, "stage": "close"}, base_version=1))
    stale = one(lina, e("cases", "c-1", {"first_response_at": NOW, "updated_at": NOW}, base_version=1))
    assert stale.status == "conflict" and stale.code == "closed_on_hub"
    row = hubkit.rows("cases")["c-1"]
    assert (row["status"], row["flag"], row["closed_at"], row["first_response_at"]) == ("open", FLAG_REOPENED, None, NOW)
    # A change made after seeing the close is applied as sent.
    one(lead, e("cases", "c-1", {"status": "closed", "closed_at": NOW, "flag": None}, base_version=3))
    fresh = one(lina, e("cases", "c-1", {"subject": "已回访"}, base_version=4))
    assert fresh.status == "accepted" and hubkit.rows("cases")["c-1"]["status"] == "closed"


def test_follow_up_done_beats_an_earlier_reassignment(hubkit: HubKit) -> None:
    lina, lead = hubkit.hub("a-lina"), hubkit.hub("a-zhaomin")
    lina.push([create("follow_ups", follow_up("fu-1", "a-lina"))])
    assert one(lead, e("follow_ups", "fu-1", {"owner_id": "a-chenjie"}, base_version=1)).status == "accepted"
    done = one(lina, e("follow_ups", "fu-1", {"status": "done", "done_note": "已回访"}, base_version=1))
    assert done.status == "accepted"
    row = hubkit.rows("follow_ups")["fu-1"]
    assert (row["status"], row["owner_id"], row["done_note"]) == ("done", "a-chenjie", "已回访")


def test_stale_reassignment_of_a_done_follow_up_is_dropped(hubkit: HubKit) -> None:
    lina, lead = hubkit.hub("a-lina"), hubkit.hub("a-zhaomin")
    lina.push([create("follow_ups", follow_up("fu-2", "a-lina"))])
    one(lina, e("follow_ups", "fu-2", {"status": "done"}, base_version=1))
    moved = one(lead, e("follow_ups", "fu-2", {"owner_id": "a-chenjie", "note": "改派"}, base_version=1))
    assert moved.status == "conflict" and moved.code == "already_done"
    row = hubkit.rows("follow_ups")["fu-2"]
    assert (row["status"], row["owner_id"], row["note"]) == ("done", "a-lina", "改派")


def test_two_agents_editing_one_note_keep_both(hubkit: HubKit) -> None:
    lina, wang = hubkit.hub("a-lina"), hubkit.hub("a-wangqiang")
    lina.push([create("cases", case(assignee=None)), create("case_notes", {
        "id": "n-1", "case_id": "c-1", "agent_id": "a-lina", "kind": "note", "body": "顾客要求补发", "at": NOW})])
    result = one(wang, e("case_notes", "n-1", {"body": "顾客改为退款"}, base_version=1))
    assert result.status == "conflict" and result.code == "note_kept_both"
    notes = hubkit.rows("case_notes")
    assert notes["n-1"]["body"] == "顾客要求补发"
    (second,) = [n for key, n in notes.items() if key != "n-1"]
    assert (second["body"], second["agent_id"], second["case_id"]) == ("顾客改为退款", "a-wangqiang", "c-1")


def test_agents_change_only_what_they_may(hubkit: HubKit) -> None:
    lina, chen, lead = hubkit.hub("a-lina"), hubkit.hub("a-chenjie"), hubkit.hub("a-zhaomin")
    lina.push([create("customers", CUSTOMER), create("cases", case()), create("follow_ups", follow_up("fu-3", "a-lina"))])
    refused = one(chen, e("follow_ups", "fu-3", {"note": "不是我的"}, base_version=1))
    assert refused.status == "rejected" and refused.code == "not_permitted"
    assert refused.row is not None and refused.row["note"] == "回访"
    assert one(chen, create("agents", {"id": "a-x", "name": "X", "role": "lead", "tier": "L3", "updated_at": NOW})).code \
        == "not_permitted"
    assert one(chen, create("cases", case("c-2", assignee="a-lina"))).code == "not_permitted"
    assert one(chen, create("cases", case("c-3", assignee=None))).status == "accepted"
    assert one(chen, e("cases", "c-3", {"assignee_id": "a-chenjie"}, base_version=1)).status == "accepted"
    assert one(chen, e("customers", "cu-1", {"phone": "138"}, base_version=1)).status == "accepted"  # shared data
    assert one(lead, e("follow_ups", "fu-3", {"owner_id": "a-chenjie"}, base_version=1)).status == "accepted"
    assert one(chen, e("follow_ups", "fu-3", {"note": "现在是我的"}, base_version=2)).status == "accepted"
    assert one(lina, e("follow_ups", "fu-3", {"status": "done"}, base_version=2)).status == "accepted"  # previous owner
    assert one(lina, create("compensations", comp("k-direct", 100) | {"status": "approved"})).status == "rejected"


def test_money_is_rechecked_by_the_hub(hubkit: HubKit) -> None:
    lina = hubkit.hub("a-lina")
    lina.push([create("customers", CUSTOMER), create("cases", case())])
    ok = one(lina, create("compensations", comp("k-1", 3000, agent_id="a-chenjie")))  # the payload lies about who
    assert ok.status == "accepted" and ok.row is not None
    assert (ok.row["agent_id"], ok.row["hub_status"]) == ("a-lina", "accepted")
    over = one(lina, create("compensations", comp("k-2", 6000)))
    assert (over.status, over.reason) == ("rejected", "case_limit: limit_fen=5000")
    split = one(lina, create("compensations", comp("k-3", 3000)))
    assert (split.status, split.reason) == ("rejected", "split_sum: limit_fen=5000, total_fen=6000, used_fen=3000")
    row = hubkit.rows("compensations")["k-3"]
    assert (row["status"], row["hub_status"], row["hub_reason"]) == ("rejected", "rejected", split.reason)
    assert hubkit.rows("cases")["c-1"]["flag"] == FLAG_COMP_REJECTED
    assert one(lina, e("compensations", "k-1", {"amount_fen": 1}, base_version=1)).code == "immutable"


def test_daily_budget_and_customer_cap(hubkit: HubKit) -> None:
    hubkit.set_policy(SMALL_POLICY)  # L1 budget ¥100, customer cap ¥200
    lina, chen = hubkit.hub("a-lina"), hubkit.hub("a-chenjie")
    lina.push([create("customers", CUSTOMER)] + [create("cases", case(f"c-{i}", assignee=None)) for i in range(6)])
    answers = [one(lina, create("compensations", comp(f"k-{i}", 4000, case_id=f"c-{i}"))) for i in range(3)]
    assert [a.status for a in answers] == ["accepted", "accepted", "rejected"]
    assert answers[2].reason == "daily_budget: budget_fen=10000, left_fen=2000, used_fen=8000"
    more = [one(chen, create("compensations", comp(f"k-{i}", 5000, case_id=f"c-{i}", agent_id="a-chenjie")))
            for i in (3, 4, 5)]
    assert [m.status for m in more] == ["accepted", "accepted", "rejected"]
    assert more[2].reason == "customer_cap: cap_fen=20000, days=30, left_fen=2000, used_fen=18000"
    given = [r for r in hubkit.rows("compensations").values() if r["status"] == "issued"]
    assert sum(r["amount_fen"] for r in given) == 18000


def test_requests_are_decided_by_leads_once(hubkit: HubKit) -> None:
    lina, chen, lead = hubkit.hub("a-lina"), hubkit.hub("a-chenjie"), hubkit.hub("a-zhaomin")
    lina.push([create("customers", CUSTOMER), create("cases", case()),
               create("compensations", comp("k-r", 12000, status="requested"))])
    assert hubkit.rows("compensations")["k-r"]["hub_status"] == "pending"
    assert one(chen, e("compensations", "k-r", {"status": "approved"}, base_version=1)).code == "not_permitted"
    assert one(lina, e("compensations", "k-r", {"status": "approved"}, base_version=1)).code == "not_permitted"
    approved = one(lead, e("compensations", "k-r", {"status": "approved", "decided_by": "a-chenjie"}, base_version=1))
    assert approved.status == "accepted" and approved.row is not None and approved.row["decided_by"] == "a-zhaomin"
    late = one(lead, e("compensations", "k-r", {"status": "rejected"}, base_version=1))
    assert (late.status, late.reason) == ("conflict", "already_decided: approved")
    assert hubkit.rows("compensations")["k-r"]["status"] == "approved"


def test_offline_allowance_is_a_slice_of_what_is_left(hubkit: HubKit) -> None:
    lina = hubkit.hub("a-lina")
    first = lina.grant_allowance("a-lina")
    assert (first["agent_id"], first["granted_fen"], first["used_fen"]) == ("a-lina", 25000, 0)
    assert first["hub_now"] < first["expires_at"] <= _day_end(first["hub_now"])
    lina.push([create("customers", CUSTOMER), create("cases", case()), create("compensations", comp("k-1", 5000))])
    assert lina.grant_allowance("a-lina")["granted_fen"] == 22500


def _day_end(hub_now: str) -> str:
    from workbench.sync.hubmoney import day_bounds
    from workbench.timefmt import from_db, to_db

    return to_db(day_bounds(from_db(hub_now), "Asia/Shanghai")[1])


def test_malformed_entries_are_rejected_not_fatal(hubkit: HubKit) -> None:
    lina = hubkit.hub("a-lina")
    bad = Entry(uuid.uuid4().hex, "cases; DROP TABLE x", "c-1", "create", {"id": "c-1"})
    mismatch = Entry(uuid.uuid4().hex, "customers", "cu-1", "create", {"id": "cu-2", "name": "x"})
    results = lina.push([bad, mismatch, create("customers", CUSTOMER)])
    assert [r.status for r in results] == ["rejected", "rejected", "accepted"]
    assert results[0].code == "invalid"
