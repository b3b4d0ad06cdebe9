"""The issue's scenario, on both hubs, in several sync orders.

Agent A (李娜) works offline: issues a ¥30 coupon within her offline allowance and requests a ¥120 one
(over her ¥50 per-case limit). Agent B (陈杰), on another cache, takes another case of the same customer
and gives a ¥50 coupon. The lead (赵敏) approves on a third cache. The customer cap is ¥180, so not all
three can stand. After every order of syncs, every cache and the hub agree, and no limit is exceeded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from workbench.authority.policy import builtin_text
from workbench.clock import FrozenClock
from workbench.services import compensation
from workbench.sync import status
from workbench.sync.engine import sync_once
from tests.sync_support import HubKit, hubkit, local_rows, make_cache, pg_team, same_fields, seed_world, update  # noqa: F401

POLICY = builtin_text().replace("customer_cap = 1000", "customer_cap = 180")
CAP_FEN = 18000

# (name, steps, expected final status of (A's ¥30, A's ¥120 request, B's ¥50))
ORDERS = [
    ("lead_sees_everything_first", "A B L approve L A B L", ("issued", "requested", "issued")),
    ("lead_approves_before_b_syncs", "A L approve L B A L B", ("issued", "approved", "rejected")),
    ("b_lands_between_approval_and_push", "A L approve B L A B L", ("issued", "rejected", "issued")),
    ("b_syncs_first", "B A L approve L A B L", ("issued", "requested", "issued")),
]


@pytest.mark.parametrize("name,steps,expected", ORDERS, ids=[o[0] for o in ORDERS])
def test_offline_coupon_request_and_approval_converge(hubkit: HubKit, tmp_path: Path, name: str, steps: str,  # noqa: F811
                                                      expected: tuple[str, str, str]) -> None:
    hubkit.set_policy(POLICY)
    clock = FrozenClock()
    caches = {"A": ("a-lina", "lina"), "B": ("a-chenjie", "chen"), "L": ("a-zhaomin", "lead")}
    ctx = {k: make_cache(tmp_path / f"{f}.db", a, clock, hubkit.url(a)) for k, (a, f) in caches.items()}
    ctx["A"].paths.policy_file.parent.mkdir(parents=True, exist_ok=True)
    ctx["A"].paths.policy_file.write_text(POLICY, "utf-8")
    hubs = {k: hubkit.hub(a) for k, (a, _) in caches.items()}
    for cache in ctx.values():
        seed_world(cache)
        assert sync_once(cache, hubs[key_of(ctx, cache)]).ok  # morning sync: everyone gets an allowance

    # Offline work.
    small = compensation.issue(ctx["A"], "c-kettle", "coupon", 3000, "水壶破损,先补偿")
    big = compensation.issue(ctx["A"], "c-kettle", "coupon", 12000, "顾客要求更多补偿")
    assert (small.status, big.status) == ("issued", "requested")
    update(ctx["B"], "cases", "c-late", {"assignee_id": "a-chenjie"})
    other = compensation.issue(ctx["B"], "c-late", "coupon", 5000, "物流延误")
    assert other.status == "issued"

    for step in steps.split():
        if step == "approve":
            found = local_rows(ctx["L"], "compensations").get(big.compensation_id)
            if found and found["status"] == "requested":
                compensation.approve(ctx["L"], big.compensation_id, "同意")
        else:
            assert sync_once(ctx[step], hubs[step]).ok
    for step in "A B L A B L".split():
        assert sync_once(ctx[step], hubs[step]).ok

    hub_comps = hubkit.rows("compensations")
    ids = (small.compensation_id, big.compensation_id, other.compensation_id)
    assert tuple(hub_comps[i]["status"] for i in ids) == expected
    given = sum(r["amount_fen"] for r in hub_comps.values() if r["status"] in ("issued", "approved"))
    assert given <= CAP_FEN
    if "rejected" in expected:
        refused = hub_comps[ids[expected.index("rejected")]]
        assert (refused["hub_status"], refused["hub_reason"].split(":")[0]) == ("rejected", "customer_cap")
        hub_case = hubkit.rows("cases").get(refused["case_id"])
        assert hub_case is None or hub_case["flag"] == "compensation_rejected"
        for cache in ctx.values():  # shown on the case, with the reason, in every cache
            (shown,) = status.case_rejections(cache, refused["case_id"])
            assert (shown["id"], shown["code"]) == (refused["id"], "customer_cap")
    for key, cache in ctx.items():
        local = local_rows(cache, "compensations")
        for comp_id, row in hub_comps.items():
            assert same_fields(local[comp_id], row) == {}, (key, comp_id)
        for case_id, row in hubkit.rows("cases").items():
            assert same_fields(local_rows(cache, "cases")[case_id], row) == {}, (key, case_id)
        assert local_rows(cache, "cases")["c-late"]["assignee_id"] == "a-chenjie"
        pending = cache.store.scalar("SELECT count(*) FROM outbox WHERE status = 'pending'")
        assert pending == 0, key


def key_of(ctx: dict[str, Any], cache: Any) -> str:
    return next(k for k, c in ctx.items() if c is cache)
