"""``workbench triage``: JSON lines (or plain text lines) in, one triage JSON object out per line.

Input is streamed: a 10 GB log is processed in constant memory, a bad line (invalid JSON, not UTF-8,
longer than 1 MiB, no ``text``) is reported on stderr with its line number and skipped, and the run
goes on. The exit code is 1 when any line was skipped, so a pipeline notices.

``--eval FILE.jsonl`` scores triage against labelled lines (``text``, ``intent``, ``emotion``,
``urgent``, optional ``kb_intent``/``kb_ids``) and prints per-intent accuracy, a confusion table,
angry recall/precision, urgent accuracy, KB top-3 relevance and throughput.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
from collections.abc import Iterator
from typing import Any, BinaryIO, TextIO

from workbench.i18n import t

_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff]")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("triage", parents=[common], help=t("triage.cli.help"), description=t("triage.cli.help"))
    parser.add_argument("--eval", metavar="FILE.jsonl", help=t("triage.cli.help_eval"))
    parser.add_argument("--no-kb", action="store_true", help=t("triage.cli.help_no_kb"))
    parser.add_argument("--input", "-i", metavar="FILE", help=t("triage.cli.help_input"))
    parser.set_defaults(func=run)


def json_line(data: dict[str, Any]) -> str:
    """One JSON line, readable Chinese, with DEL/C1/bidi/line-separator characters escaped.

    ``json.dumps(ensure_ascii=False)`` leaves 8-bit C1 controls (0x9b is a terminal CSI) and bidi
    overrides as raw characters; customer text and KB titles must not reach a terminal that way.
    """
    text = json.dumps(data, ensure_ascii=False)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _error(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_record(number: int, text: str) -> tuple[dict[str, Any] | None, str]:
    """A message record from one input line, or (None, error message). Plain text is a message."""
    if not text.startswith("{"):
        return {"id": f"line-{number}", "text": text}, ""
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, t("triage.cli.bad_json", line=number, detail=f"{exc.msg}, column {exc.colno}")
    if not isinstance(record, dict):
        return None, t("triage.cli.not_object", line=number)
    if not isinstance(record.get("text"), str):
        return None, t("triage.cli.no_text", line=number)
    for name in ("vip_level", "waited_minutes"):
        value = record.get(name, 0)
        if value is None:
            record[name] = 0
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            return None, t("triage.cli.bad_number", line=number, field=name)
    record.setdefault("id", f"line-{number}")
    return record, ""


def _kb_connection(args: argparse.Namespace) -> sqlite3.Connection:
    """The cache's connection for KB suggestions; the packaged KB in memory when the cache has none."""
    from workbench.cli import context_from
    from workbench.services import kb, kb_import
    from workbench.store import Store
    from workbench.store.migrate import migrate
    from workbench.timefmt import to_db

    ctx = context_from(args)
    conn = ctx.store.conn
    if kb.count(conn):
        return conn
    memory = Store(":memory:")
    migrate(memory)
    report = kb_import.install_packaged(memory, to_db(ctx.clock.now()))
    _error(t("triage.cli.kb_fallback", count=report.added))
    return memory.conn


def _suggest(conn: sqlite3.Connection, text: str, intent: str) -> list[Any]:
    from workbench.services import kb

    return kb.suggest(conn, text, None if intent == "other" else intent, 3)


def _open_input(path: str | None) -> BinaryIO:
    return open(path, "rb") if path else sys.stdin.buffer  # noqa: SIM115 - closed by the caller


def run(args: argparse.Namespace) -> int:
    if args.eval:
        return run_eval(args)
    from workbench.triage import triage
    from workbench.triage.stream import read_lines

    try:
        stream = _open_input(args.input)
    except OSError as exc:
        _error(t("triage.cli.cannot_open", path=args.input, detail=exc.strerror or exc))
        return 2
    conn = None if args.no_kb else _kb_connection(args)
    out: TextIO = sys.stdout
    ok = bad = 0
    try:
        for number, text, problem in read_lines(stream):
            if text is None:
                _error(t("triage.cli.bad_line", line=number, detail=problem))
                bad += 1
                continue
            if not text:
                continue
            record, error = parse_record(number, text)
            if record is None:
                _error(error)
                bad += 1
                continue
            result = triage(record["text"], int(record.get("vip_level") or 0), float(record.get("waited_minutes") or 0))
            data: dict[str, Any] = {"id": record["id"], "intent": result.intent, "emotion": result.emotion,
                                    "urgent": result.urgent, "priority": result.priority, "cues": result.cue_labels,
                                    "playbook": result.playbook, "lang": result.lang}
            if conn is not None:
                data["kb"] = [{"id": h.id, "title": h.title, "score": h.score}
                              for h in _suggest(conn, record["text"], result.intent)]
            out.write(json_line(data) + "\n")
            ok += 1
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    out.flush()
    if bad:
        _error(t("triage.cli.summary", ok=ok, bad=bad))
    return 1 if bad else 0


def labelled(lines: Iterator[tuple[int, str | None, str]]) -> Iterator[dict[str, Any]]:
    """Valid labelled records from decoded lines; each bad line is reported on stderr and skipped."""
    from workbench.triage.model import EMOTIONS, INTENTS

    for number, text, problem in lines:
        if text is None:
            _error(t("triage.cli.bad_line", line=number, detail=problem))
            continue
        if not text:
            continue
        record, error = parse_record(number, text)
        if record is None or not text.startswith("{"):
            _error(error or t("triage.cli.not_object", line=number))
            continue
        for name, known in (("intent", INTENTS), ("emotion", EMOTIONS)):
            if name not in record:
                _error(t("triage.cli.missing_label", line=number, field=name))
                break
            if record[name] not in known:
                _error(t("triage.cli.bad_label", line=number, field=name, value=repr(record[name])[:40],
                         known=", ".join(known)))
                break
        else:
            if not isinstance(record.get("urgent"), bool):
                _error(t("triage.cli.missing_label", line=number, field="urgent (true/false)"))
                continue
            yield record


def run_eval(args: argparse.Namespace) -> int:
    from workbench.triage.evaluate import as_dict, evaluate, format_report
    from workbench.triage.stream import read_lines

    try:
        stream = open(args.eval, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        _error(t("triage.cli.cannot_open", path=args.eval, detail=exc.strerror or exc))
        return 2
    conn = None if args.no_kb else _kb_connection(args)
    lookup = None if conn is None else (lambda text, intent: _suggest(conn, text, intent))
    with stream:
        report = evaluate(labelled(read_lines(stream)), lookup)
    if not report.total:
        _error(t("triage.cli.no_records", path=args.eval))
        return 1
    if getattr(args, "json", False):
        print(json.dumps(as_dict(report), ensure_ascii=False, indent=2))
    else:
        print(format_report(report))
    return 0
