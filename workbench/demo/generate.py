"""Build the demo dataset into an empty cache: ``generate(store, scale="small"|"large", seed=7, now=...)``.

Deterministic: one ``random.Random(seed)``, every time relative to ``now``, ids numbered (``cu-000123``,
``o-000456``, ``c-000007``), so the same arguments always give byte-identical tables (tests and
snapshots rely on it). Seed data is not an agent's change: no outbox rows and no audit entries.

Generating into a cache that already has customers is refused: mixing demo rows into real data, or
numbering clashes with an earlier demo run, would be far worse than a clear error.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from typing import Any

from workbench import kbdata
from workbench.demo import dataset, history
from workbench.demo.agents import insert_agents
from workbench.demo.small import SmallBuilder
from workbench.services.kb import index_article
from workbench.store import Store
from workbench.timefmt import to_db

SCALES = ("small", "large")


class NotEmptyError(ValueError):
    """The target cache already holds customers; demo data is only generated into an empty one."""


def check_args(store: Store, scale: str, now: datetime) -> None:
    """Validate arguments before anything is written (clear messages; nothing is touched on error)."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; use one of: {', '.join(SCALES)}")
    if now is None or now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime (UTC), e.g. ctx.clock.now()")
    existing = store.scalar("SELECT count(*) FROM customers")
    if existing:
        raise NotEmptyError(f"{store.path} already holds {existing} customers; demo data is only generated "
                            "into an empty cache (use a new file, or `workbench demo-data --force`)")


def build_small(seed: int, now: datetime) -> dataset.Dataset:
    """The small dataset in memory (no database needed; also what the determinism test hashes)."""
    b = SmallBuilder(seed, now)
    b.make_customers()
    b.make_orders()
    zh = [c for c in b.customers if c.lang == "zh"]
    abusers = [zh[b.rng.randrange(len(zh))] for _ in range(2)]
    if abusers[0] is abusers[1]:
        abusers = abusers[:1]
    picked = b.case_customers(abusers)
    b.make_open_cases(picked)
    history.make_history(b, abusers, picked)
    history.make_follow_ups(b)
    history.finish_customers(b)
    return b.data


def insert_kb(conn: sqlite3.Connection, articles: list[dict[str, str]], now: datetime,
              source: str = "builtin") -> int:
    """Insert articles and index each one (bigram FTS) in the caller's transaction."""
    for n, art in enumerate(articles):
        stamp = to_db(now - timedelta(days=30 + (n * 7) % 200))
        cursor = conn.execute(
            "INSERT INTO kb_articles (id, title, body, tags, intents, lang, source, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (art["id"], art["title"], art["body"], art["tags"], art["intents"], art["lang"], art.get("source", source), stamp),
        )
        index_article(conn, int(cursor.lastrowid or 0), art["title"], art["body"], art["tags"])
    return len(articles)


def generate(store: Store, scale: str = "small", seed: int = 7, now: datetime | None = None,
             sizes: dict[str, int] | None = None) -> dict[str, int]:
    """Fill an empty, migrated cache with demo data; returns rows written per table.

    ``sizes`` overrides the large scale's row counts (a tiny smoke test of the large code path).
    Raises ValueError (NotEmptyError when the cache already has customers).
    """
    check_args(store, scale, now)  # type: ignore[arg-type]
    assert now is not None
    if scale == "large":
        from workbench.demo import large

        return large.generate(store, seed, now, sizes)
    data = build_small(seed, now)
    counts: dict[str, Any] = {}
    with store.write() as conn:
        insert_agents(conn, now)
        counts.update(dataset.write(conn, data))
        counts["kb_articles"] = insert_kb(conn, kbdata.load_articles(), now)
    return dict(counts)
