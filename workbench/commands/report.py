"""``workbench report``: the lead's figures for a day or a range, as an aligned table or JSON.

``workbench report [--date YYYY-MM-DD] [--days N] [--agent A] [--json]``

Without ``--date`` the period ends today in the shop's timezone; ``--days 7`` means the seven days up to
and including that date. ``--agent`` narrows every figure to one agent (the common option, so the same
id also signs in); without it the whole team is reported. Plain text, no Rich: the output is meant for
a terminal, a mail or a pipe, and CJK columns are padded by display width so they line up.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from typing import TYPE_CHECKING, Any

from workbench.i18n import t

if TYPE_CHECKING:
    from workbench.services.reports import Report


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("report", parents=[common],
                            help="team figures: first-reply SLA, FCR, compensation, reasons / 组长报表")
    parser.add_argument("--date", default=None, help="last day, shop timezone (YYYY-MM-DD; default today)")
    parser.add_argument("--days", type=int, default=1, help="number of days ending with --date (default 1)")
    parser.set_defaults(func=run)


def width(text: str) -> int:
    """Terminal cells: CJK and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, cells: int, right: bool = False) -> str:
    fill = " " * max(cells - width(text), 0)
    return fill + text if right else text + fill


def table(header: list[str], rows: list[list[str]], numeric_from: int = 1) -> list[str]:
    """Aligned columns: the first ``numeric_from`` left, the rest right-aligned (numbers)."""
    widths = [max(width(line[i]) for line in [header, *rows]) for i in range(len(header))]
    return ["  ".join(pad(cell, widths[i], right=i >= numeric_from) for i, cell in enumerate(line)).rstrip()
            for line in [header, *rows]]


def render(report: Report) -> str:
    """The whole report as plain text: headline figures, the per-agent table, reasons and spend."""
    from workbench.money import format_fen
    from workbench.services import report_labels as labels
    from workbench.services.reports import TOP_INTENTS
    from workbench.timefmt import short_local

    scope = (t("reports.scope_agent", name=labels.agent_text(report.agents[0]))
             if report.agent_filter and report.agents else t("reports.scope_all"))
    lines = [f"{t('reports.title')}  {labels.period_text(report.period)}  {scope}  "
             f"{t('reports.as_of', time=short_local(report.generated_at, report.period.tz))}", ""]
    heads = labels.headlines(report)
    label_width = max(width(h.label) for h in heads)
    lines += [f"{pad(h.label, label_width)}  {h.value}  {h.sub}" for h in heads]
    lines.append("")
    rows = [labels.agent_cells(r) for r in report.agents]
    if len(rows) > 1:
        rows.append([t("reports.total"), *labels.agent_cells(report.totals)[1:]])
    lines += table([t(f"reports.col.{c}") for c in labels.COLUMNS], rows)
    lines += ["", t("reports.reasons", n=TOP_INTENTS)]
    reasons = [[labels.intent_text(i), str(n)] for i, n in report.intents]
    lines += ["  " + line for line in table(["", ""], reasons)[1:]] or ["  " + t("reports.reasons_empty")]
    lines += ["", t("reports.spend_by_action")]
    spend = [[labels.action_text(a), t("reports.spend_line", count=n), format_fen(f)]
             for a, n, f in report.spend_by_action]
    lines += ["  " + line for line in table(["", "", ""], spend)[1:]] or ["  " + t("reports.spend_empty")]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from workbench.cli import context_from
    from workbench.services import reports

    ctx = context_from(args)
    try:
        last = reports.parse_day(args.date) if args.date else None
        report = reports.build(ctx, last, args.days, getattr(args, "agent", None))
    except reports.ReportError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if getattr(args, "json", False):
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(render(report))
    return 0
