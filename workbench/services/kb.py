"""Knowledge-base articles: indexing, search with highlight spans, reading one article, case suggestions.

Why the search is built this way (measured on 50k synthetic after-sales articles, see bench/kb_search.py):
ranking with FTS5's bm25 costs about 0.9 µs per *matching* row, so a common term (订单, 顾客) that
matches every article takes ~45 ms, while a capped rowid scan (``LIMIT n`` without ORDER BY) costs
~0.2 ms per 500 rows. FTS5 with ``rowid IN (...)`` is pathological (seconds). So:

1. FTS5 only *generates candidates*, each pass a capped scan, newest articles first: the OR of all
   terms (when it has <= WINDOW matches these are all matches and the result is exact), and for large
   match sets also titles/tags, all-terms (AND), titles with all terms, and the case's intent facet.
2. The candidates (a few hundred at most) are scored here with a BM25F-style formula: title, body and
   tags weighted, IDF estimated from the newest-matches window, intent as a multiplicative boost plus a
   small bonus. Scoring uses the same substring semantics as the highlight spans, so what is
   highlighted is what was scored.

The intent is indexed as a facet token (``xintent<intent>``) in the tags column so "articles for this
intent that mention these terms" is an index intersection, not a table scan.
"""

from __future__ import annotations

import math
import re
import sqlite3
from dataclasses import dataclass, field

from workbench import sanitize, textindex

WINDOW = 250  # OR-matches scored exactly up to this many; beyond, bounded candidate passes
PASS_LIMIT = 100  # rows per extra candidate pass
TITLE_W, BODY_W, TAGS_W = 3.0, 1.0, 2.0
K1, B = 1.2, 0.75
INTENT_BOOST = 0.5  # search box: multiplicative boost for articles tagged with the case's intent
INTENT_BONUS = 1.0  # search box: additive, so intent articles can surface with weak textual evidence
# Suggestions read the customer's own words, which match many articles loosely; the triaged intent is
# the stronger signal there (measured on tests/data/triage_dev.jsonl: KB top-3 relevance).
SUGGEST_BOOST = 1.0
SUGGEST_BONUS = 8.0
# Agents need the procedure first and the statute behind it second: statutes rank a little lower on
# equal evidence. An article tagged with several intents is less specific than one tagged with one.
SOURCE_WEIGHT = {"statute": 0.75}
SECONDARY_INTENT = 0.85  # bonus factor when the intent is not the article's first one
SNIPPET_WIDTH = 80
MIN_IDF = 0.3  # terms in more than ~3/4 of the articles do not steer the extra passes
_FACET = re.compile(r"[^a-z0-9]")


@dataclass(frozen=True)
class KbHit:
    """One search result; spans are ``(start, end)`` offsets into ``title`` / ``snippet`` for highlighting."""

    id: str
    title: str
    score: float
    snippet: str = ""
    title_spans: tuple[tuple[int, int], ...] = ()
    snippet_spans: tuple[tuple[int, int], ...] = ()
    intents: tuple[str, ...] = ()
    source: str = ""
    matched: tuple[str, ...] = ()


@dataclass(frozen=True)
class KbArticle:
    """A whole article as stored (untrusted text: clean it before display)."""

    id: str
    title: str
    body: str
    tags: str
    intents: tuple[str, ...]
    lang: str
    source: str
    updated_at: str


@dataclass
class _Candidate:
    rowid: int
    id: str
    title: str
    body: str
    tags: str
    intents: str  # raw comma-separated column; split only for the hits shown
    source: str
    tf: list[float] = field(default_factory=list)
    score: float = 0.0


def split_intents(value: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (value or "").split(",") if p.strip())


def intent_token(intent: str) -> str:
    """The facet token an article tagged with ``intent`` carries in its tags column."""
    return "xintent" + _FACET.sub("", intent.lower())


def index_article(conn: sqlite3.Connection, rowid: int, title: str, body: str, tags: str,
                  intents: str | None = None) -> None:
    """(Re)index one article under the kb_articles rowid (caller holds the transaction).

    ``intents`` defaults to the stored row's intents column so existing callers keep working.
    """
    if intents is None:
        row = conn.execute("SELECT intents FROM kb_articles WHERE rowid = ?", (rowid,)).fetchone()
        intents = row[0] if row else ""
    facets = " ".join(intent_token(i) for i in split_intents(intents))
    conn.execute("DELETE FROM kb_fts WHERE rowid = ?", (rowid,))
    conn.execute(
        "INSERT INTO kb_fts (rowid, title, body, tags) VALUES (?, ?, ?, ?)",
        (rowid, textindex.tokens(title), textindex.tokens(body), f"{textindex.tokens(tags)} {facets}".strip()),
    )


def _rowids(conn: sqlite3.Connection, expression: str, limit: int) -> list[int]:
    """Newest matching rowids, capped: a scan that stops after ``limit`` rows, no ranking."""
    return [r[0] for r in conn.execute(
        "SELECT rowid FROM kb_fts WHERE kb_fts MATCH ? ORDER BY rowid DESC LIMIT ?", (expression, limit))]


def _fetch(conn: sqlite3.Connection, rowids: list[int]) -> list[_Candidate]:
    if not rowids:
        return []
    marks = ",".join(str(int(r)) for r in rowids)  # integers from the index, never user text
    rows = conn.execute(
        f"SELECT rowid, id, title, body, tags, intents, source FROM kb_articles WHERE rowid IN ({marks})"
    ).fetchall()
    return [_Candidate(r[0], r[1], r[2] or "", r[3] or "", r[4] or "", r[5] or "", r[6] or "") for r in rows]


def _term_frequencies(cands: list[_Candidate], terms: list[str]) -> None:
    """Weighted term frequencies per candidate (the hot loop: hundreds of candidates x terms).

    CJK terms are counted with str.count (the same substring semantics as the bigram phrase match and
    the highlight spans); English words with a compiled whole-word regex.
    """
    counters = [(t, None) if textindex.is_cjk(t) else (t, textindex.word_pattern(t)) for t in terms]
    latin = any(rx is not None for _, rx in counters)
    for c in cands:
        if c.tf:
            continue
        title, body, tags = c.title, c.body, c.tags
        lowered = (title.lower(), body.lower(), tags.lower()) if latin else ("", "", "")
        tf = []
        for term, rx in counters:
            if rx is None:
                tf.append(TITLE_W * title.count(term) + BODY_W * body.count(term) + TAGS_W * tags.count(term))
            elif term in lowered[0] or term in lowered[1] or term in lowered[2]:
                tf.append(TITLE_W * len(rx.findall(lowered[0])) + BODY_W * len(rx.findall(lowered[1]))
                          + TAGS_W * len(rx.findall(lowered[2])))
            else:
                tf.append(0.0)
        c.tf = tf


def _idf(cands: list[_Candidate], n_terms: int, total: int, window: list[int] | None) -> list[float]:
    """IDF per term: exact document counts when the candidates hold every match, else extrapolated
    from the newest-matches window (rowids are insertion order, unrelated to content)."""
    span = (window[0] - window[-1] + 1) if window else total
    out = []
    for i in range(n_terms):
        hits = sum(1 for c in cands if c.tf[i] > 0)
        if window:
            hits = max(hits, round(hits * total / max(span, 1)))
        df = min(hits, total)
        out.append(math.log(1 + (total - df + 0.5) / (df + 0.5)))
    return out


def _extra_passes(terms: list[str], facet: str) -> list[str]:
    """Bounded candidate passes for a large match set: titles/tags, all terms, the intent facet."""
    any_term = textindex.expression(terms)
    passes = [f"{{title tags}} : ({any_term})"]
    if len(terms) > 1:
        all_terms = textindex.expression(terms, "AND")
        passes += [f"{{title tags}} : ({all_terms})", all_terms]
    if facet:
        passes.append(f"{facet} AND ({any_term})")
    return passes


def _rank(conn: sqlite3.Connection, terms: list[str], intent: str | None, fill_intent: bool,
          limit: int, boost: tuple[float, float]) -> tuple[list[_Candidate], list[str]]:
    """Candidates with scores, best first, and the terms that were scored."""
    facet = f'{{tags}} : "{intent_token(intent)}"' if intent else ""
    cands: list[_Candidate] = []
    window: list[int] | None = None
    total = int(conn.execute("SELECT coalesce(max(rowid), 0) FROM kb_articles").fetchone()[0]) or 1
    if terms:
        rows = _rowids(conn, textindex.expression(terms), WINDOW + 1)
        if len(rows) > WINDOW:
            window = rows[:WINDOW]
        cands = _fetch(conn, window or rows)
        _term_frequencies(cands, terms)
        if window:
            # Large match set. Terms found in most articles carry no information (IDF ~ 0) but make the
            # extra passes scan long doclists, so the passes use the informative terms only.
            idf = _idf(cands, len(terms), total, window)
            useful = [t for t, v in zip(terms, idf) if v >= MIN_IDF] or terms[:1]
            seen = {c.rowid for c in cands}
            extra: list[int] = []
            for expression in _extra_passes(useful, facet):
                extra += [r for r in _rowids(conn, expression, PASS_LIMIT) if r not in seen]
                seen.update(extra)
            more = _fetch(conn, extra)
            _term_frequencies(more, terms)
            cands += more
    if facet and fill_intent:
        seen = {c.rowid for c in cands}
        more = _fetch(conn, [r for r in _rowids(conn, facet, max(limit * 2, 10)) if r not in seen])
        _term_frequencies(more, terms)
        cands += more
    idf = _idf([c for c in cands if not window or c.rowid >= window[-1]], len(terms), total, window)
    avg = max(sum(len(c.body) + len(c.title) for c in cands) / len(cands), 1.0) if cands else 1.0
    weights = list(enumerate(idf))
    for c in cands:
        norm = K1 * (1 - B + B * (len(c.body) + len(c.title)) / avg)
        tfs = c.tf
        score = 0.0
        for i, weight in weights:
            tf = tfs[i]
            if tf:
                score += weight * tf * (K1 + 1) / (tf + norm)
        if intent:
            tagged = split_intents(c.intents)
            if intent in tagged:
                score = score * (1 + boost[0]) + boost[1] * (1.0 if tagged[0] == intent else SECONDARY_INTENT)
        c.score = score * SOURCE_WEIGHT.get(c.source, 1.0)
    ranked = [c for c in cands if c.score > 0]
    ranked.sort(key=lambda c: (-c.score, -c.rowid))
    return ranked, terms


def _hit(c: _Candidate, terms: list[str]) -> KbHit:
    title = sanitize.one_line(c.title, limit=120)
    body = " ".join(sanitize.clean(c.body[:20000]).split())
    text, spans = textindex.snippet(body, terms, SNIPPET_WIDTH)
    matched = tuple(t for i, t in enumerate(terms) if c.tf and c.tf[i] > 0)
    return KbHit(c.id, title, round(c.score, 3), text, tuple(textindex.find_spans(title, terms)), tuple(spans),
                 split_intents(c.intents), c.source, matched)


def search(conn: sqlite3.Connection, query: str, intent: str | None = None, limit: int = 10,
           *, fill_intent: bool = False, boost: tuple[float, float] | None = None) -> list[KbHit]:
    """Top articles for ``query``, best first; articles tagged for ``intent`` are boosted.

    With ``fill_intent`` articles of the intent are offered even when no term matches (suggestions).
    """
    terms = textindex.query_terms(query)
    if not terms and not (intent and fill_intent):
        return []
    ranked, terms = _rank(conn, terms, intent, fill_intent, limit, boost or (INTENT_BOOST, INTENT_BONUS))
    return [_hit(c, terms) for c in ranked[:limit]]


def suggest(conn: sqlite3.Connection, text: str, intent: str | None, limit: int = 5) -> list[KbHit]:
    """Suggestions for a case: its customer text as the query, its intent as boost and fallback."""
    return search(conn, text[:4000], intent=intent, limit=limit, fill_intent=True,
                  boost=(SUGGEST_BOOST, SUGGEST_BONUS))


def get(conn: sqlite3.Connection, article_id: str) -> KbArticle | None:
    """One article by id, or None."""
    row = conn.execute(
        "SELECT id, title, body, tags, intents, lang, source, updated_at FROM kb_articles WHERE id = ?",
        (article_id,),
    ).fetchone()
    if row is None:
        return None
    return KbArticle(row[0], row[1], row[2], row[3], split_intents(row[4]), row[5], row[6], row[7])


_SAY = re.compile(r"(?:【(?:怎么跟顾客说|话术|回复顾客)】|告诉顾客[:：]|\bSay:)\s*(.+?)(?:\n|$)", re.S)


def reply_snippet(conn: sqlite3.Connection, article_id: str, limit: int = 200) -> str:
    """Text to insert into a reply from an article: its suggested phrasing (【话术】/【怎么跟顾客说】/
    ``Say:``) when it has one, else its opening. Cleaned, one paragraph, at most ``limit`` characters;
    empty when the article does not exist."""
    article = get(conn, article_id)
    return "" if article is None else reply_text(article.body, limit)


def reply_text(body: str, limit: int = 200) -> str:
    """:func:`reply_snippet` for an article already loaded (the article view has its body in hand)."""
    found = _SAY.search(body)
    text = found.group(1).strip() if found else body
    closing = {'"': '"', "“": "”", "「": "」"}.get(text[:1])
    if closing and closing in text[1:]:
        text = text[1 : text.index(closing, 1)]  # the quoted phrase, without the note after it
    text = " ".join(sanitize.clean(text).split()).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM kb_articles").fetchone()[0])
