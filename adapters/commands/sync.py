"""``workbench sync``: push the outbox to the hub and pull the team's changes now, with a progress bar.

Exit code 0 = synced, 1 = synced but the hub rejected or merged some entries (listed), 2 = the hub could
not be reached or refused us (nothing is lost: pending entries stay in the outbox for the next try).
``--json`` prints the report instead (no progress bar). The hub address is always shown redacted.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("sync", parents=[common], help="sync with the team hub now / 立即同步")
    parser.add_argument("--hub", help="hub address (default: env WORKBENCH_HUB_URL, then [hub] url)")
    parser.add_argument("--batch", type=int, default=200, help="entries per push batch (default 200)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from adapters.hubs import open_for
    from workbench.cli import context_from
    from workbench.i18n import t
    from workbench.sync.engine import record_error, sync_once
    from workbench.sync.protocol import HubError, HubUnavailable

    ctx = context_from(args, require_agent=True)
    as_json = getattr(args, "json", False)
    try:
        hub = open_for(ctx, args.hub)
    except HubError as exc:
        if ctx.settings.hub.url or args.hub:
            record_error(ctx, "", str(exc), not isinstance(exc, HubUnavailable))
        _fail(as_json, t("sync.cli.failed", error=str(exc)))
        return 2
    try:
        if as_json:
            report = sync_once(ctx, hub, batch_size=args.batch)
        else:
            report = _with_progress(ctx, hub, args.batch)
    finally:
        hub.close()
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print(report, ctx.tz)
    if not report.ok:
        return 2
    return 1 if report.rejected or report.conflicts else 0


def _fail(as_json: bool, message: str) -> None:
    if as_json:
        print(json.dumps({"ok": False, "error": message}, ensure_ascii=False))
    else:
        print(message, file=sys.stderr)


def _with_progress(ctx: Any, hub: Any, batch: int) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from workbench.i18n import t
    from workbench.sync.engine import sync_once

    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console,
                  transient=True) as bar:
        tasks: dict[str, Any] = {}

        def progress(phase: str, done: int, total: int | None) -> None:
            label = t("sync.cli.pushing") if phase == "push" else t("sync.cli.pulling")
            if phase not in tasks:
                tasks[phase] = bar.add_task(label, total=total)
            bar.update(tasks[phase], completed=done, total=total if total is not None else max(done, 1))

        return sync_once(ctx, hub, progress, batch_size=batch)


def _print(report: Any, tz: str) -> None:
    from rich.console import Console
    from rich.text import Text

    from workbench import sanitize
    from workbench.i18n import t, t_or
    from workbench.money import format_fen
    from workbench.sync.status import next_step_key, reason_code
    from workbench.timefmt import short_local

    out = Console(highlight=False)
    if not report.ok:
        Console(stderr=True, highlight=False).print(
            Text(t("sync.cli.failed", error=sanitize.one_line(report.error, 300)), style="bold red"))
    out.print(Text(t("sync.cli.summary", pushed=report.pushed, accepted=report.accepted, rejected=report.rejected,
                     conflicts=report.conflicts, pulled=report.pulled)))
    for issue in report.issues:
        reason = t_or(f"sync.reason.{reason_code(issue['reason'])}", issue["reason"])
        entity = t_or(f"sync.entity.{issue['entity']}", t("sync.entity.other"))
        out.print(Text(t("sync.cli.issue", status=t(f"sync.status.{issue['status']}"), entity=entity,
                         id=sanitize.one_line(issue["entity_id"], 40), reason=sanitize.one_line(reason, 200)),
                       style="yellow"))
        if issue["status"] == "rejected":
            step = t(next_step_key(reason_code(issue["reason"])))
            out.print(Text("    " + t("sync.next_step", step=step), style="dim"))
    if report.parked:
        out.print(Text(t("sync.cli.parked", count=report.parked), style="dim"))
    if report.allowance:
        out.print(Text(t("sync.cli.allowance", amount=format_fen(report.allowance["granted_fen"]),
                         until=short_local(report.allowance["expires_at"], tz)), style="dim"))
