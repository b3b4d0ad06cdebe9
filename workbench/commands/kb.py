"""``workbench kb``: search, show, import and install knowledge-base articles from the command line.

``kb search`` uses exactly the search the UI uses (Chinese bigrams + English words, intent boost), so
an admin can check what agents will see. Article text is untrusted: it is cleaned before printing
and ``--json`` output escapes terminal control characters.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from workbench.i18n import t


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("kb", parents=[common], help=t("kb.cli.help"), description=t("kb.cli.help"))
    actions = parser.add_subparsers(dest="kb_command", metavar="ACTION", required=True)
    search = actions.add_parser("search", parents=[common], help=t("kb.cli.help_search"))
    search.add_argument("query", nargs="+", help=t("kb.cli.help_query"))
    search.add_argument("--intent", help=t("kb.cli.help_intent"))
    search.add_argument("--limit", type=int, default=10, help=t("kb.cli.help_limit"))
    search.set_defaults(func=run_search)
    show = actions.add_parser("show", parents=[common], help=t("kb.cli.help_show"))
    show.add_argument("article_id")
    show.set_defaults(func=run_show)
    load = actions.add_parser("import", parents=[common], help=t("kb.cli.help_import"))
    load.add_argument("file", metavar="FILE.jsonl")
    load.set_defaults(func=run_import)
    install = actions.add_parser("install", parents=[common], help=t("kb.cli.help_install"))
    install.set_defaults(func=run_install)


def _context(args: argparse.Namespace) -> Any:
    from workbench.cli import context_from

    return context_from(args)


def run_search(args: argparse.Namespace) -> int:
    from workbench import sanitize
    from workbench.commands.triage import json_line
    from workbench.services import kb
    from workbench.triage.model import INTENTS

    if args.intent and args.intent not in INTENTS:
        print(t("kb.cli.unknown_intent", intent=args.intent, known=", ".join(INTENTS)), file=sys.stderr)
        return 2
    ctx = _context(args)
    hits = kb.search(ctx.store.conn, " ".join(args.query), intent=args.intent, limit=max(1, min(args.limit, 100)))
    if getattr(args, "json", False):
        for hit in hits:
            print(json_line({"id": hit.id, "title": hit.title, "score": hit.score, "snippet": hit.snippet,
                             "intents": list(hit.intents), "matched": list(hit.matched)}))
        return 0
    if not hits:
        print(t("kb.cli.no_results"))
        if not kb.count(ctx.store.conn):
            print(t("triage.cli.kb_empty"), file=sys.stderr)
        return 0
    for number, hit in enumerate(hits, start=1):
        print(f"{number:>2}. {hit.title}  [{sanitize.one_line(hit.id, 60)} · {hit.score:.2f}]")
        print(f"    {hit.snippet}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from workbench import sanitize, timefmt
    from workbench.commands.triage import json_line
    from workbench.services import kb

    ctx = _context(args)
    article = kb.get(ctx.store.conn, args.article_id)
    if article is None:
        print(t("kb.cli.not_found", id=sanitize.one_line(args.article_id, 80)), file=sys.stderr)
        return 1
    if getattr(args, "json", False):
        print(json_line({**article.__dict__, "intents": list(article.intents)}))
        return 0
    print(sanitize.clean(article.title))
    try:
        updated = timefmt.short_local(article.updated_at, ctx.tz, "%Y-%m-%d %H:%M")
    except ValueError:
        updated = sanitize.one_line(article.updated_at, 20)
    print(t("kb.article.meta", source=sanitize.one_line(article.source, 40), updated=updated,
            intents=", ".join(article.intents) or "-"))
    print()
    print(sanitize.clean(article.body))
    return 0


def run_import(args: argparse.Namespace) -> int:
    from workbench.services import kb_import
    from workbench.timefmt import to_db

    ctx = _context(args)
    try:
        stream = open(args.file, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        print(t("triage.cli.cannot_open", path=args.file, detail=exc.strerror or exc), file=sys.stderr)
        return 2
    with stream, ctx.store.write() as conn:
        report = kb_import.import_lines(conn, kb_import.read_lines(stream), args.file, to_db(ctx.clock.now()))
    for message in report.errors:
        print(message, file=sys.stderr)
    print(t("kb.cli.imported", path=args.file, added=report.added, updated=report.updated, errors=len(report.errors)))
    return 1 if report.errors else 0


def run_install(args: argparse.Namespace) -> int:
    from workbench.services import kb_import
    from workbench.timefmt import to_db

    ctx = _context(args)
    report = kb_import.install_packaged(ctx.store, to_db(ctx.clock.now()))
    print(t("kb.cli.installed", added=report.added, updated=report.updated))
    return 0
