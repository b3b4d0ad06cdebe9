"""``workbench`` / ``workbench run``: open the app, creating the demo cache on first run.

Kept apart from ``workbench.app`` so the language is chosen (``--lang`` or the config) before any
screen or widget module is imported: their key labels are read from the catalog when defined.
"""

from __future__ import annotations

import argparse

from workbench.context import UnknownAgent


def launch(args: argparse.Namespace) -> int:
    from workbench.cli import context_from
    from workbench.demo.bootstrap import ensure_demo

    ctx = context_from(args)
    ensure_demo(ctx, force=bool(getattr(args, "demo", False)))
    known = [r[0] for r in ctx.store.query("SELECT id FROM agents ORDER BY id")]
    ctx.agent_id = getattr(args, "agent", None) or ctx.settings.agent.id or "a-lina"
    if ctx.agent_id not in known:
        raise UnknownAgent(ctx.agent_id, known)
    from workbench.app import create_app

    sources, hub = _sources_and_hub(ctx)
    create_app(ctx, sources=sources, hub=hub).run()
    return 0


def _sources_and_hub(ctx: object) -> tuple[list[object], object]:
    """Commerce/courier sources and the sync hub from the config (wired in by the adapters)."""
    return [], None
