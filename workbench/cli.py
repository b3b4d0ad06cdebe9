"""The ``workbench`` command line: shared conventions, sub-command discovery and error reporting.

Conventions every command follows: ``--db PATH`` (env WORKBENCH_DB), ``--config PATH`` (env
WORKBENCH_CONFIG), ``--agent ID``, ``--lang zh|en``, ``--json`` where output is data. Problems with the
cache or config end with a clear message naming the file and what to do, and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from typing import Any

from workbench import i18n
from workbench.config import ConfigError
from workbench.context import Context, UnknownAgent, open_context
from workbench.store import StoreError

EXIT_USAGE = 2


def common_options() -> argparse.ArgumentParser:
    """Options accepted before or after any sub-command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help="cache file (env WORKBENCH_DB)")
    common.add_argument("--config", default=argparse.SUPPRESS, help="config file (env WORKBENCH_CONFIG)")
    common.add_argument("--agent", default=argparse.SUPPRESS, help="signed-in agent id")
    common.add_argument("--lang", choices=i18n.LANGS, default=argparse.SUPPRESS, help="zh (default) or en")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
    return common


def _command_modules() -> list[Any]:
    modules = []
    for package_name in ("workbench.commands", "adapters.commands"):
        try:
            package = importlib.import_module(package_name)
        except ModuleNotFoundError:
            continue
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            modules.append(importlib.import_module(f"{package_name}.{info.name}"))
    return modules


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    parser = argparse.ArgumentParser(
        prog="workbench",
        parents=[common],
        description="售后坐席工作台 · after-sales agent workbench. Without a command: open the workbench.",
    )
    parser.set_defaults(func=run_app)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", parents=[common], help="open the workbench (default)")
    run.add_argument("--demo", action="store_true", help="(default when no cache exists) create demo data first")
    run.set_defaults(func=run_app)
    for module in _command_modules():
        module.register(sub, common)
    return parser


def opt(args: argparse.Namespace, name: str, default: Any = None) -> Any:
    return getattr(args, name, default)


def context_from(args: argparse.Namespace, require_agent: bool = False, **kwargs: Any) -> Context:
    """Build the Context from the common options (the same path the App factory takes).

    Also switches the catalog to the context's language (``--lang`` or the config's ``ui.lang``).
    """
    ctx = open_context(opt(args, "db"), opt(args, "config"), opt(args, "agent"), opt(args, "lang"),
                       require_agent=require_agent, **kwargs)
    i18n.set_language(ctx.lang)
    return ctx


def run_app(args: argparse.Namespace) -> int:
    """Open the Textual workbench; on first run creates the small demo dataset in the data dir.

    This is the composition root: the language is chosen before any screen module is imported (their
    key labels come from the catalog), and the configured commerce/courier sources and the sync hub
    are built here and injected into the App.
    """
    from workbench import gcpause
    from workbench.demo.bootstrap import ensure_demo
    from workbench.switching import quick_switching

    # The agent is checked only after the demo data exists: `workbench --agent a-zhaomin` on a fresh
    # cache must create the demo team first, not refuse an agent that is about to exist.
    ctx = open_context(opt(args, "db"), opt(args, "config"), None, opt(args, "lang"))
    i18n.set_language(ctx.lang)
    ensure_demo(ctx, force=bool(opt(args, "demo", False)))
    known = [r[0] for r in ctx.store.query("SELECT id FROM agents ORDER BY id")]
    ctx.agent_id = opt(args, "agent") or ctx.settings.agent.id or "a-lina"
    if ctx.agent_id not in known:
        raise UnknownAgent(ctx.agent_id, known)
    gcpause.pause()  # the App resumes it once the first frame is drawn
    try:
        from workbench.services import startup

        first = startup.preload(ctx)  # runs while the UI toolkit below is imported
        from workbench.app import create_app

        app = create_app(ctx, sources=_sources(ctx), sync_runner=_sync_runner(ctx), first=first)
        with quick_switching():
            app.run()
    finally:
        gcpause.resume()
    return app.return_code or 0


def _sources(ctx: Context) -> list[Any]:
    """Configured commerce/courier sources (the HTTP stack is only imported when there are some)."""
    if not ctx.settings.sources:
        return []
    from adapters.sources import build_sources

    return list(build_sources(ctx.settings))


def _sync_runner(ctx: Context) -> Any:
    """The background sync runner when a hub is configured (config [hub] url or WORKBENCH_HUB_URL)."""
    from workbench.sync.status import configured_url

    if not configured_url(ctx):
        return None
    from adapters.hubs import resolve_url, runner_for

    return runner_for(ctx) if resolve_url(ctx) else None


def explain(exc: BaseException) -> str:
    """A user-facing message for the errors every command may meet."""
    if isinstance(exc, StoreError):
        key = {"corrupt": "cli.db_corrupt", "locked": "cli.db_locked", "newer": "cli.db_newer",
               "unwritable": "cli.db_unwritable"}[exc.kind]
        return i18n.t(key, path=exc.path, detail=exc.detail, **exc.extra)
    if isinstance(exc, ConfigError):
        return i18n.t("cli.config_error", detail=str(exc))
    if isinstance(exc, UnknownAgent):
        return i18n.t("cli.unknown_agent", agent=exc.agent, known=", ".join(exc.known) or "-")
    return str(exc)


def _app_only(argv: Sequence[str]) -> argparse.Namespace | None:
    """Parse a plain ``workbench [--db …] [--agent …] [--lang …] [--demo]`` without loading every command.

    Building the full parser imports all command modules (~50 ms); opening the workbench, the most
    common call, does not need them. Anything else (a command, ``--help``) goes to the full parser.
    """
    parser = argparse.ArgumentParser(prog="workbench", parents=[common_options()], add_help=False)
    parser.add_argument("--demo", action="store_true")
    args, rest = parser.parse_known_args(list(argv))
    if rest:
        return None
    args.func = run_app
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _app_only(argv) or build_parser().parse_args(argv)
    lang = opt(args, "lang")
    if lang:
        i18n.set_language(lang)
    try:
        return int(args.func(args) or 0)
    except (StoreError, ConfigError, UnknownAgent) as exc:
        print(explain(exc), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
