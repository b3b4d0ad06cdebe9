"""``workbench pull shopify|woocommerce|kuaidi100|all|NAME``: refresh configured sources now.

``workbench pull kuaidi100 --carrier yuantong --tracking YT… [--phone …]`` queries one parcel and
prints its scans (and stores them when that parcel is in the cache). Exit code 0 = every source
refreshed cleanly, 1 = refreshed with per-record problems, 2 = a source failed or is not configured.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("pull", parents=[common], help="refresh orders / parcels from configured sources / 拉取订单和物流")
    parser.add_argument("target", help="shopify, woocommerce, kuaidi100, all, or a [sources.NAME] name")
    parser.add_argument("--carrier", help="kuaidi100 company code for a one-off query (yuantong, zhongtong, …)")
    parser.add_argument("--tracking", help="tracking number for a one-off kuaidi100 query")
    parser.add_argument("--phone", help="receiver phone (顺丰 requires it; last 4 digits are enough)")
    parser.set_defaults(func=run)


def _selected(sources: list[Any], target: str) -> list[Any]:
    if target == "all":
        return sources
    return [s for s in sources if s.name == target] or [s for s in sources if s.kind == target]


def run(args: argparse.Namespace) -> int:
    from adapters.sources import build_sources
    from workbench.cli import context_from
    from workbench.i18n import t

    ctx = context_from(args)
    chosen = _selected(build_sources(ctx.settings), args.target)
    if not chosen:
        print(t("data.cli.no_source", target=args.target, config=ctx.paths.config_file), file=sys.stderr)
        return 2
    if args.tracking:
        return _one_parcel(ctx, chosen, args)
    results = [source.refresh_sync(ctx) for source in chosen]
    if getattr(args, "json", False):
        print(json.dumps([{"source": r.source, "ok": r.ok, "count": r.count, "errors": r.errors, "error": r.error,
                           "finished_at": r.finished_at.isoformat()} for r in results], ensure_ascii=False, indent=2))
    else:
        _print(results)
    if any(not r.ok for r in results):
        return 2
    return 1 if any(r.errors for r in results) else 0


def _print(results: list[Any]) -> None:
    from workbench.i18n import t
    from workbench.sanitize import one_line

    for r in results:
        if r.ok:
            print(t("data.cli.pull_ok", source=r.source, count=r.count, problems=len(r.errors)))
            for line in r.errors[:20]:
                print("  " + one_line(line, 200))
            if len(r.errors) > 20:
                print(t("data.cli.reject_more", count=len(r.errors) - 20))
        else:
            print(t("data.cli.pull_failed", source=r.source, error=one_line(r.error, 300)), file=sys.stderr)


def _one_parcel(ctx: Any, chosen: list[Any], args: argparse.Namespace) -> int:
    """One Kuaidi100 query, printed (and stored when the parcel is already in the cache)."""
    import asyncio

    from adapters import kuaidi100
    from adapters.apidata import RecordError
    from adapters.http import HttpError
    from adapters.sources import SourceError
    from workbench import logistics, timefmt
    from workbench.i18n import t
    from workbench.sanitize import one_line
    from workbench.services import ingest

    source = next((s for s in chosen if s.kind == "kuaidi100"), None)
    if source is None:
        print(t("data.cli.no_source", target="kuaidi100", config=ctx.paths.config_file), file=sys.stderr)
        return 2
    carrier = args.carrier or logistics.carrier_code(None, args.tracking) or ""

    async def query() -> tuple[list[Any], str | None, str | None]:
        secrets = [source.secret("customer"), source.secret("key")]
        async with source.client(secrets) as http:
            return await kuaidi100.track(http, secrets[0], secrets[1], carrier, args.tracking, args.phone)

    try:
        events, status, state = asyncio.run(query())
    except (SourceError, HttpError, kuaidi100.TrackingError, RecordError) as exc:
        print(one_line(str(exc), 300), file=sys.stderr)
        return 2
    stored = ctx.store.one("SELECT id FROM shipments WHERE tracking_no = ?", (args.tracking,))
    if stored is not None:
        ingest.record_scans(ctx, stored["id"], events, args.tracking)
    if getattr(args, "json", False):
        print(json.dumps({"carrier": carrier, "tracking": args.tracking, "state": state, "status": status,
                          "stored": stored is not None,
                          "events": [{"at": e.at.isoformat(), "text": e.description, "location": e.location}
                                     for e in events]}, ensure_ascii=False, indent=2))
        return 0
    print(t("data.cli.parcel", carrier=carrier, tracking=args.tracking, status=t(f"data.status.{status or 'pending'}")))
    for event in reversed(events):
        print(f"  {timefmt.local(event.at, ctx.tz).strftime('%m-%d %H:%M')}  {one_line(event.description, 120)}")
    return 0
