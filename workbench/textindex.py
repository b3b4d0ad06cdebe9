"""Tokenising for Chinese + English full-text search in SQLite FTS5, and query-side helpers.

Measured on this machine (DESIGN.md section 6): FTS5's trigram tokenizer cannot use its index for
2-character terms (退货, 发票), and jieba loses recall and costs 0.2–0.8 s to load. Overlapping CJK
character bigrams plus lower-cased words in a ``unicode61`` index gave 100 % recall. Each query term
becomes a phrase of its bigrams, so 退货运费 matches "退货 货运 运费" in sequence.

Queries are written by people ("我想退货运费谁出") or taken from a customer's message, so a long CJK
run is split into terms with a small after-sales vocabulary (forward maximum matching) and filler words
(的/了/吗/在吗/请问…) are dropped; otherwise the whole sentence would be one phrase that matches nothing.
Unknown stretches of 2–4 characters are kept as terms of their own (product names, new words).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[A-Za-z0-9]+(?:['.][A-Za-z0-9]+)*")
_CJK_RUN = re.compile(rf"^[{_CJK}]+$")
_WORD_CHARS = re.compile(r"[a-z0-9]")

MAX_QUERY_TERMS = 8
MAX_WORD = 6  # longest vocabulary entry tried by the segmenter
_EN_STOP = frozenset(
    "a an the i me my we our you your he she it its they them is are was were be been am do does did "
    "to of for in on at by with from and or but if so as can could would should will shall may might "
    "please pls plz hi hello hey thanks thank how what when where why which who that this these those "
    "want wanna need help tell know get got have has had not no yes ok okay any some there here just "
    "about u ur im i'm id i'd".split()
)


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def is_cjk(term: str) -> bool:
    return bool(_CJK_RUN.match(term))


def tokens(text: str) -> str:
    """Index text: CJK runs as overlapping bigrams, everything else as lower-cased words."""
    out: list[str] = []
    for run in _RUN.findall(text or ""):
        if _CJK_RUN.match(run):
            out.extend(_bigrams(run))
        else:
            out.append(run.lower())
    return " ".join(out)


@lru_cache(maxsize=1)
def _lexicon() -> tuple[frozenset[str], frozenset[str]]:
    """(vocabulary, stop words) for query segmentation, loaded once from package data."""
    folder = resources.files("workbench").joinpath("kbdata")

    def words(name: str) -> frozenset[str]:
        text = folder.joinpath(name).read_text("utf-8")
        return frozenset(
            w for line in text.splitlines() if not line.startswith("#") for w in line.split()
        )

    return words("search_terms_zh.txt"), words("stopwords_zh.txt")


def segment(run: str) -> list[str]:
    """Split one CJK run into search terms: vocabulary words and leftover stretches, fillers dropped."""
    vocab, stop = _lexicon()
    if run in stop:
        return []
    if len(run) <= 2:
        return [run]
    out: list[str] = []
    rest: list[str] = []

    def flush() -> None:
        piece = "".join(rest)
        rest.clear()
        if len(piece) in (2, 3):
            out.append(piece)
        elif len(piece) >= 4:  # 水壶外壳 → 水壶, 外壳: pairs still find the article, a 4+ phrase rarely does
            pairs = [piece[i : i + 2] for i in range(0, len(piece) - 1, 2)]
            if len(piece) % 2:
                pairs.append(piece[-2:])
            out.extend(pairs)

    i = 0
    while i < len(run):
        for size in range(min(MAX_WORD, len(run) - i), 0, -1):
            word = run[i : i + size]
            if size > 1 and word in vocab:
                flush()
                out.append(word)
                break
            if word in stop:
                flush()
                break
        else:
            rest.append(run[i])
            size = 1
        i += size
    flush()
    return out


def query_terms(query: str, limit: int = MAX_QUERY_TERMS) -> list[str]:
    """The query split into search terms (CJK words, lower-cased English words), deduplicated, in order."""
    seen: list[str] = []
    for run in _RUN.findall(query or ""):
        if _CJK_RUN.match(run):
            candidates = segment(run)
        else:
            word = run.lower()
            candidates = [] if word in _EN_STOP else [word]
        for term in candidates:
            if term not in seen:
                seen.append(term)
                if len(seen) >= limit:
                    return seen
    return seen


def term_phrase(term: str) -> str:
    """One term as an FTS5 phrase of its bigrams (a single CJK character is matched as a prefix)."""
    if _CJK_RUN.match(term):
        if len(term) == 1:
            return f'"{term}"*'
        return '"' + " ".join(_bigrams(term)) + '"'
    return '"' + " ".join(_RUN.findall(term.lower())).replace('"', "") + '"'


def expression(terms: list[str], mode: str = "OR") -> str:
    """An FTS5 MATCH expression joining the terms' phrases with OR/AND ('' for no terms)."""
    return f" {mode} ".join(term_phrase(t) for t in terms if _RUN.search(t))


def match_expression(query: str, mode: str = "OR") -> str:
    """An FTS5 MATCH expression for the query ('' when it has no searchable terms)."""
    return expression(query_terms(query), mode)


@lru_cache(maxsize=512)
def word_pattern(term: str) -> re.Pattern[str]:
    """A regex finding ``term`` as a whole lower-cased word (not inside a longer word or number)."""
    return re.compile(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])")


def find_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Sorted, merged ``(start, end)`` character spans where any term occurs (for highlighting)."""
    if not text or not terms:
        return []
    lowered = text.lower()
    hay = lowered if len(lowered) == len(text) else text
    spans: list[tuple[int, int]] = []
    for term in terms:
        if not term:
            continue
        cjk = bool(_CJK_RUN.match(term))
        start = 0
        while True:
            at = (text if cjk else hay).find(term, start)
            if at < 0:
                break
            end = at + len(term)
            if cjk or ((at == 0 or not _WORD_CHARS.match(hay[at - 1]))
                       and (end == len(hay) or not _WORD_CHARS.match(hay[end]))):
                spans.append((at, end))
            start = at + 1
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(text: str, terms: list[str], width: int = 80) -> tuple[str, list[tuple[int, int]]]:
    """A window of ``text`` (already one line) around the densest matches, with spans relative to it.

    Ellipses mark cut ends; spans never point into them.
    """
    spans = find_spans(text, terms)
    if len(text) <= width:
        return text, spans
    if not spans:
        return text[: width - 1] + "…", []
    best_start, best_count = spans[0][0], 0
    for start, _ in spans:  # the window that holds the most matches, starting a little before one
        count = sum(1 for s, e in spans if s >= start and e <= start + width)
        if count > best_count:
            best_start, best_count = start, count
    begin = max(0, min(best_start - width // 5, len(text) - width))
    end = begin + width
    prefix = "…" if begin > 0 else ""
    suffix = "…" if end < len(text) else ""
    body = text[begin + len(prefix) : end - len(suffix)]
    offset = begin + len(prefix)
    inside = []
    for s, e in spans:
        s2, e2 = max(s - offset, 0), min(e - offset, len(body))
        if s2 < e2:
            inside.append((s2 + len(prefix), e2 + len(prefix)))
    return prefix + body + suffix, inside
