"""Tokenising for Chinese + English full-text search in SQLite FTS5.

Measured on this machine (DESIGN.md section 6): FTS5's trigram tokenizer cannot use its index for
2-character terms (退货, 发票), and jieba loses recall and costs 0.2–0.8 s to load. Overlapping CJK
character bigrams plus lower-cased words in a ``unicode61`` index gave 100 % recall. Each query term
becomes a phrase of its bigrams, so 退货运费 matches "退货 货运 运费" in sequence.
"""

from __future__ import annotations

import re

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[A-Za-z0-9]+(?:['.][A-Za-z0-9]+)*")
_CJK_RUN = re.compile(rf"^[{_CJK}]+$")


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def tokens(text: str) -> str:
    """Index text: CJK runs as overlapping bigrams, everything else as lower-cased words."""
    out: list[str] = []
    for run in _RUN.findall(text or ""):
        if _CJK_RUN.match(run):
            out.extend(_bigrams(run))
        else:
            out.append(run.lower())
    return " ".join(out)


def query_terms(query: str) -> list[str]:
    """The user's query split into terms (CJK runs and words), deduplicated, order kept."""
    seen: list[str] = []
    for run in _RUN.findall(query or ""):
        term = run if _CJK_RUN.match(run) else run.lower()
        if term not in seen:
            seen.append(term)
    return seen


def term_phrase(term: str) -> str:
    """One term as an FTS5 phrase of its bigrams (a single CJK character is matched as a prefix)."""
    if _CJK_RUN.match(term):
        if len(term) == 1:
            return f'"{term}"*'
        return '"' + " ".join(_bigrams(term)) + '"'
    return '"' + term.replace('"', "") + '"'


def match_expression(query: str, mode: str = "OR") -> str:
    """An FTS5 MATCH expression for the query ('' when it has no searchable terms)."""
    return f" {mode} ".join(term_phrase(t) for t in query_terms(query))
