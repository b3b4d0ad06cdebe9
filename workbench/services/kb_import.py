"""Importing knowledge-base articles from JSON lines: the packaged KB and ``workbench kb import``.

One article per line: ``{"id", "title", "body", "tags", "intents", "lang"?, "source"?}`` where ``tags``
and ``intents`` are a string ("a,b" or "a b") or a list. Re-importing an id updates the article and its
index entry (upsert), so running an import twice changes nothing. A bad line is reported with its line
number and skipped; the lines around it are still imported.

KB articles are shared reference data, not agent work: they are not written to the sync outbox.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from workbench.i18n import t
from workbench.services import kb
from workbench.triage.model import INTENTS
from workbench.triage.stream import read_lines

MAX_BODY_CHARS = 200_000


@dataclass
class ImportReport:
    """What an import did: counts and one message per rejected line (``file:line: problem``)."""

    added: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


class ArticleError(ValueError):
    """A record that cannot become an article; the message says which field and what to do."""


def _text_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [p for p in value.replace(",", " ").split() if p]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    raise ArticleError(t("kb.import.bad_list", field=name))


def parse_article(record: Any) -> dict[str, str]:
    """Validate one decoded JSON value and return the kb_articles columns. Raises ArticleError."""
    if not isinstance(record, dict):
        raise ArticleError(t("kb.import.not_object"))
    values: dict[str, str] = {}
    for name in ("id", "title", "body"):
        value = record.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ArticleError(t("kb.import.missing_field", field=name))
        values[name] = value.strip() if name != "body" else value
    if len(values["body"]) > MAX_BODY_CHARS:
        raise ArticleError(t("kb.import.body_too_long", limit=MAX_BODY_CHARS))
    intents = _text_list(record.get("intents"), "intents")
    unknown = [i for i in intents if i not in INTENTS]
    if unknown:
        raise ArticleError(t("kb.import.unknown_intents", intents=", ".join(unknown), known=", ".join(INTENTS)))
    values["tags"] = " ".join(_text_list(record.get("tags"), "tags"))
    values["intents"] = ",".join(intents)
    lang = record.get("lang", "zh")
    if lang not in ("zh", "en"):
        raise ArticleError(t("kb.import.bad_lang"))
    values["lang"] = lang
    source = record.get("source", "kb")
    values["source"] = source if isinstance(source, str) and source else "kb"
    return values


def upsert(conn: sqlite3.Connection, article: dict[str, str], now: str) -> bool:
    """Insert or update one article and its index entry (caller holds the transaction). True if new."""
    existed = conn.execute("SELECT rowid FROM kb_articles WHERE id = ?", (article["id"],)).fetchone()
    rowid = conn.execute(
        "INSERT INTO kb_articles (id, title, body, tags, intents, lang, source, updated_at) "
        "VALUES (:id, :title, :body, :tags, :intents, :lang, :source, :now) "
        "ON CONFLICT (id) DO UPDATE SET title = excluded.title, body = excluded.body, tags = excluded.tags, "
        "intents = excluded.intents, lang = excluded.lang, source = excluded.source, "
        "updated_at = excluded.updated_at RETURNING rowid",
        {**article, "now": now},
    ).fetchall()[0][0]  # fetchall, as ingest does: run the RETURNING statement to its end
    kb.index_article(conn, rowid, article["title"], article["body"], article["tags"], article["intents"])
    return existed is None


def import_lines(conn: sqlite3.Connection, lines: Iterable[tuple[int, str | None, str]], where: str,
                 now: str) -> ImportReport:
    """Import decoded lines (see :func:`read_lines`); ``where`` names the file in error messages."""
    report = ImportReport()
    for number, text, problem in lines:
        if text is None:
            report.errors.append(f"{where}:{number}: {problem}")
            continue
        if not text:
            continue
        try:
            article = parse_article(json.loads(text))
        except json.JSONDecodeError as exc:
            report.errors.append(f"{where}:{number}: " + t("kb.import.bad_json", detail=f"{exc.msg}, column {exc.colno}"))
            continue
        except ArticleError as exc:
            report.errors.append(f"{where}:{number}: {exc}")
            continue
        if upsert(conn, article, now):
            report.added += 1
        else:
            report.updated += 1
    return report


def install_packaged(store: Any, now: str) -> ImportReport:
    """Load (or refresh) the packaged KB (``workbench/kbdata/*.jsonl``) in one transaction.

    ``store`` is a Store. The files are validated by :func:`workbench.kbdata.load_articles`, which
    raises KbDataError naming the file and line (a broken shipped file is a bug, not user input).
    """
    from workbench import kbdata

    report = ImportReport()
    with store.write() as conn:
        for record in kbdata.load_articles():
            if upsert(conn, parse_article(record), now):
                report.added += 1
            else:
                report.updated += 1
    return report


__all__ = ["ArticleError", "ImportReport", "import_lines", "install_packaged", "parse_article", "read_lines", "upsert"]
