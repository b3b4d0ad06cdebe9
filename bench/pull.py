"""Pull throughput: Shopify orders from the local fake server into the cache, vs fetching the same pages raw.

The fake server (tests/fake_server.py, 127.0.0.1 only) serves N orders in cursor pages of 250, each a
copy of Shopify's own 2024-04 example order (line items, customer, fulfillment with tracking, refunds)
with its id and name changed. Same run, same pages:

  * ``raw httpx GET``: fetch and ``json.loads`` every page, best of two (the transport + decoding floor);
  * ``pull (new)``: ``Source.refresh``: fetch, map every order, upsert orders/customers/items/shipments
    with their outbox entries, fetch the tracking events of up to 40 fulfillments;
  * ``pull (again)``: the same orders again, all found unchanged.

Run: .venv/bin/python bench/pull.py [--orders 5000]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from adapters.sources import build_sources  # noqa: E402
from bench._common import table  # noqa: E402
from fake_server import FakeServer, Reply, Seen  # noqa: E402
from workbench.clock import FrozenClock  # noqa: E402
from workbench.context import open_context  # noqa: E402

PAYLOADS = ROOT.parent / "shared" / "data" / "payloads" / "shopify" / "admin_rest_2024-04"
PREFIX = "/admin/api/2024-04"
PAGE = 250
TOKEN = "shpat_bench_token_0000000000000000"


def example(resource: str, test: str) -> dict:
    examples = json.loads((PAYLOADS / f"{resource}_examples.json").read_text("utf-8"))["examples"]
    return next(e["response"] for e in examples if e["test"] == test)


def pages(count: int) -> list[bytes]:
    """Pre-rendered order pages (the server's own work stays out of the measurement)."""
    base = example("order", "test_1")["orders"][0]
    out = []
    for start in range(0, count, PAGE):
        orders = []
        for n in range(start, min(start + PAGE, count)):
            order = copy.deepcopy(base)
            order["id"], order["name"], order["order_number"] = 5_000_000 + n, f"#B{n}", 100_000 + n
            order["customer"]["id"] = 9_000_000 + n % (count // 3 + 1)
            for f in order["fulfillments"]:
                f["tracking_number"] = f"1Z{n:08d}"
            orders.append(order)
        out.append(json.dumps({"orders": orders}).encode("utf-8"))
    return out


def serve(server: FakeServer, rendered: list[bytes]) -> None:
    events = example("fulfillment_event", "test_1")

    def orders(seen: Seen) -> Reply:
        index = int(seen.arg("page_info") or 0)
        headers = {"X-Shopify-Shop-Api-Call-Limit": "1/40"}
        if index + 1 < len(rendered):
            headers["Link"] = f'<{server.url}{PREFIX}/orders.json?limit={PAGE}&page_info={index + 1}>; rel="next"'
        return Reply(body=rendered[index], headers=headers)

    server.route("GET", f"{PREFIX}/orders.json", orders)
    server.route("GET", f"{PREFIX}/customers.json", Reply(body={"customers": []}))
    for n in range(40):
        server.route("GET", f"{PREFIX}/orders/{5_000_000 + n}/fulfillments/255858046/events.json", Reply(body=events))


def raw_fetch(url: str, count: int) -> float:
    started = time.perf_counter()
    with httpx.Client(base_url=url, headers={"X-Shopify-Access-Token": TOKEN}) as client:
        for index in range((count + PAGE - 1) // PAGE):
            json.loads(client.get(f"{PREFIX}/orders.json", params={"page_info": index}).content)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=5000)
    args = parser.parse_args()
    rendered = pages(args.orders)
    with FakeServer() as server, tempfile.TemporaryDirectory() as folder:
        serve(server, rendered)
        raw = min(raw_fetch(server.url, args.orders) for _ in range(2))  # the floor: best of two
        ctx = open_context(db=Path(folder) / "cache.db", clock=FrozenClock())
        ctx.settings.sources = {"bench": {"kind": "shopify", "base_url": server.url, "token_env": "BENCH_SHOPIFY_TOKEN"}}
        import os

        os.environ["BENCH_SHOPIFY_TOKEN"] = TOKEN
        source = build_sources(ctx.settings)[0]
        rows = [["raw httpx GET", f"{args.orders:,}", f"{raw:.2f}", f"{args.orders / raw:,.0f}", "1.0x", "-"]]
        for label in ("pull (new)", "pull (again)"):
            ctx.store.conn.execute("DELETE FROM source_refresh")  # full pull both times, no cursor
            started = time.perf_counter()
            result = source.refresh_sync(ctx)
            seconds = time.perf_counter() - started
            rows.append([label, f"{result.count:,}", f"{seconds:.2f}", f"{args.orders / seconds:,.0f}",
                         f"{raw / seconds:.2f}x", "ok" if result.ok else f"FAILED {result.error}"])
        size = sum(len(p) for p in rendered) / 2**20
        table(f"Shopify pull, {args.orders:,} orders in {len(rendered)} pages ({size:.0f} MiB JSON) from 127.0.0.1",
              ["phase", "records", "seconds", "orders/s", "speed vs raw", "outcome"], rows)


if __name__ == "__main__":
    main()
