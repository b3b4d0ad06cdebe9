"""Built-in knowledge-base articles shipped with the workbench (JSON lines, one article per line).

Every ``*.jsonl`` file in this package folder is read, in file-name order, so other features can ship
their own article files next to ``builtin.jsonl`` without touching it. Each line is
``{"id", "title", "body", "tags", "intents", "lang"}`` plus an optional ``source`` (default
"builtin"); ``intents`` is a comma-separated list drawn from the fixed triage intents. A bad line raises :class:`KbDataError` naming the file and line.
"""

from __future__ import annotations

import json
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from workbench.triage.model import INTENTS as _TRIAGE_INTENTS

FIELDS = ("id", "title", "body", "tags", "intents", "lang")
INTENTS = frozenset(_TRIAGE_INTENTS)


class KbDataError(ValueError):
    """A malformed article line in a shipped ``*.jsonl`` file (the message names file and line)."""


def _check(name: str, number: int, record: Any) -> dict[str, str]:
    where = f"workbench/kbdata/{name}, line {number}"
    if not isinstance(record, dict):
        raise KbDataError(f"{where}: expected a JSON object, got {type(record).__name__}")
    missing = [f for f in FIELDS if not isinstance(record.get(f), str) or (f != "tags" and not record.get(f))]
    if missing:
        raise KbDataError(f"{where}: missing or non-text field(s) {', '.join(missing)}")
    unknown = [i for i in record["intents"].split(",") if i.strip() not in INTENTS]
    if unknown:
        raise KbDataError(f"{where}: unknown intent(s) {', '.join(unknown)}; use {', '.join(sorted(INTENTS))}")
    if record["lang"] not in ("zh", "en"):
        raise KbDataError(f"{where}: lang must be zh or en, got {record['lang']!r}")
    article = {f: record[f] for f in FIELDS}
    source = record.get("source", "builtin")
    if not isinstance(source, str) or not source:
        raise KbDataError(f"{where}: source, when given, must be non-empty text")
    article["source"] = source
    return article


def load_articles(folder: Traversable | None = None) -> list[dict[str, str]]:
    """All shipped articles: files in name order, lines in file order.

    An id repeated in a *later* file replaces the earlier article in place (a feature's file may
    refine a built-in article); an id repeated within one file is an error. ``folder`` defaults to
    this package (tests pass another directory to check error reporting).
    """
    folder = folder if folder is not None else resources.files(__name__)
    articles: list[dict[str, str]] = []
    where: dict[str, tuple[str, int]] = {}  # id -> (file, position in ``articles``)
    for entry in sorted((e for e in folder.iterdir() if e.name.endswith(".jsonl")), key=lambda e: e.name):
        for number, line in enumerate(entry.read_text("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise KbDataError(f"workbench/kbdata/{entry.name}, line {number}: invalid JSON ({exc.msg})") from exc
            article = _check(entry.name, number, record)
            seen = where.get(article["id"])
            if seen is None:
                where[article["id"]] = (entry.name, len(articles))
                articles.append(article)
            elif seen[0] == entry.name:
                raise KbDataError(f"workbench/kbdata/{entry.name}, line {number}: duplicate id {article['id']!r} "
                                  "in the same file")
            else:
                where[article["id"]] = (entry.name, seen[1])
                articles[seen[1]] = article
    return articles
