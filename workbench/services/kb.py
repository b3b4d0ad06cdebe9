"""Knowledge-base articles: indexing and search (Chinese bigrams + English words over FTS5)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from workbench import textindex


@dataclass(frozen=True)
class KbHit:
    id: str
    title: str
    score: float
    snippet: str = ""


def index_article(conn: sqlite3.Connection, rowid: int, title: str, body: str, tags: str) -> None:
    """(Re)index one article under the kb_articles rowid (caller holds the transaction)."""
    conn.execute("DELETE FROM kb_fts WHERE rowid = ?", (rowid,))
    conn.execute(
        "INSERT INTO kb_fts (rowid, title, body, tags) VALUES (?, ?, ?, ?)",
        (rowid, textindex.tokens(title), textindex.tokens(body), textindex.tokens(tags)),
    )


def search(conn: sqlite3.Connection, query: str, intent: str | None = None, limit: int = 10) -> list[KbHit]:
    """Top articles for ``query``: bm25 with titles weighted up, articles tagged for ``intent`` boosted."""
    expression = textindex.match_expression(query)
    if not expression:
        return []
    rows = conn.execute(
        "SELECT a.id, a.title, a.intents, bm25(kb_fts, 8.0, 1.0, 4.0) AS score "
        "FROM kb_fts JOIN kb_articles a ON a.rowid = kb_fts.rowid "
        "WHERE kb_fts MATCH ? ORDER BY score LIMIT ?",
        (expression, limit * 3),
    ).fetchall()
    hits = []
    for row in rows:
        score = -float(row["score"])
        if intent and intent in (row["intents"] or "").split(","):
            score *= 1.5
        hits.append(KbHit(row["id"], row["title"], round(score, 3)))
    hits.sort(key=lambda h: -h.score)
    return hits[:limit]
