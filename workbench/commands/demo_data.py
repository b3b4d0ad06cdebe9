"""``workbench demo-data``: write the deterministic demo (or scale-test) dataset into a cache file.

Refuses to touch an existing non-empty file unless ``--force`` (then the file and its WAL/SHM
sidecars are replaced), because a demo run must never mix into, or destroy by accident, a cache that
holds real work. ``--now`` pins the clock so two runs give identical files.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from workbench.i18n import t

SIDE_FILES = ("-wal", "-shm", "-journal")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("demo-data", parents=[common], help="generate demo data / 生成演示数据")
    parser.add_argument("--scale", choices=("small", "large"), default="small",
                        help="small: ~200 customers, 40 open cases; large: 100k customers, 1M orders")
    parser.add_argument("--out", required=True, help="cache file to create")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--now", help="pin 'now' (UTC, e.g. 2026-11-23T02:00:00Z) for reproducible files")
    parser.add_argument("--force", action="store_true", help="replace an existing non-empty file")
    parser.set_defaults(func=run)


def parse_now(text: str | None) -> datetime:
    """``--now`` as an aware UTC datetime; without it, the system clock (seconds precision)."""
    from workbench.clock import SystemClock

    if not text:
        return SystemClock().now()
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def occupied(path: Path) -> str | None:
    """Why ``path`` must not be overwritten (None when it is absent, empty, or a cache without data)."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            for table in ("customers", "orders", "cases", "outbox"):
                if table in tables and conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
                    return t("demo.reason_has_data", table=table)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return t("demo.reason_not_cache", detail=str(exc))
    return None


def remove(path: Path) -> None:
    """Delete the cache and its sidecar files (only called with --force)."""
    for candidate in [path] + [path.with_name(path.name + s) for s in SIDE_FILES]:
        candidate.unlink(missing_ok=True)


def run(args: argparse.Namespace) -> int:
    from workbench.demo.agents import seed_agents
    from workbench.demo.generate import generate
    from workbench.store import Store
    from workbench.store.migrate import migrate

    path = Path(args.out)
    try:
        now = parse_now(args.now)
    except ValueError:
        print(t("demo.bad_now", value=args.now), file=sys.stderr)
        return 2
    reason = occupied(path)
    if reason and not args.force:
        print(t("demo.refused", path=str(path), reason=reason), file=sys.stderr)
        return 2
    if reason:
        remove(path)
    started = time.perf_counter()
    store = Store(path)
    migrate(store)
    seed_agents(store, now)
    counts = generate(store, scale=args.scale, seed=args.seed, now=now)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    elapsed = time.perf_counter() - started
    size = path.stat().st_size
    if getattr(args, "json", False):
        print(json.dumps({"path": str(path), "scale": args.scale, "seed": args.seed, "counts": counts,
                          "seconds": round(elapsed, 2), "bytes": size}, ensure_ascii=False))
        return 0
    summary = t("demo.summary_sep").join(t(f"demo.table.{k}", count=f"{v:,}") for k, v in counts.items())
    print(t("demo.created", path=str(path), scale=t(f"demo.scale_{args.scale}"), summary=summary))
    print(t("demo.timing", seconds=f"{elapsed:.1f}", size=f"{size / 1048576:.1f}"))
    return 0
