"""``workbench hub init DSN`` and ``workbench hub add-agent NAME --role agent|lead --tier L1``.

``init`` creates the hub (PostgreSQL: schema, SQL functions, row-level security, group roles; SQLite:
the hub file) and uploads the team's policy limits (``--policy FILE``, default: the config dir's
policy.toml, else the built-in policy). ``add-agent`` registers an agent; on PostgreSQL it also creates
the agent's own login role (``--password-env VAR`` reads its password from the environment, so it never
appears in the shell history or the process list). Addresses are printed redacted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("hub", parents=[common], help="set up the team sync hub / 同步中心管理")
    verbs = parser.add_subparsers(dest="hub_command", metavar="VERB", required=True)
    init = verbs.add_parser("init", parents=[common], help="create the hub schema and functions")
    init.add_argument("dsn", help="admin address: postgresql://owner@host/db or sqlite:///path")
    init.add_argument("--policy", help="policy file to upload (default: config dir policy.toml or built-in)")
    init.add_argument("--role-prefix", default="wb", help="prefix of the database roles (default wb)")
    init.set_defaults(func=run_init)
    add = verbs.add_parser("add-agent", parents=[common], help="register an agent and their database role")
    add.add_argument("name", help="agent id, e.g. a-lina")
    add.add_argument("--role", choices=("agent", "lead"), default="agent")
    add.add_argument("--tier", default="L1")
    add.add_argument("--display-name", default="", help="name shown to the team (e.g. 李娜)")
    add.add_argument("--hub", help="admin address (default: env WORKBENCH_HUB_URL)")
    add.add_argument("--login", help="database login role (default <prefix>_<agent id>)")
    add.add_argument("--password-env", help="environment variable holding the login password")
    add.set_defaults(func=run_add_agent)


def _policy_text(args: argparse.Namespace, ctx: Any) -> str:
    from adapters.hubs import policy_text_for
    from workbench.authority import PolicyError, parse_policy
    from workbench.i18n import t

    if not args.policy:
        return policy_text_for(ctx)
    try:
        text = Path(args.policy).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(args.policy, t("sync.hub.policy_read_error", path=args.policy, detail=exc)) from exc
    parse_policy(text, args.policy)
    return text


def run_init(args: argparse.Namespace) -> int:
    from adapters.hub_pg import admin
    from adapters.hub_sqlite import SqliteHub
    from workbench.cli import context_from
    from workbench.i18n import t
    from workbench.sync import redact
    from workbench.sync.protocol import HubError

    ctx = context_from(args)
    text = _policy_text(args, ctx)
    try:
        if args.dsn.startswith("sqlite:///"):
            hub = SqliteHub(args.dsn[len("sqlite:///"):], "", clock=ctx.clock, timezone=ctx.settings.shop.timezone)
            version = hub.set_policy(text).version
            hub.close()
            info = {"hub": redact.url(args.dsn), "agent_role": "-", "lead_role": "-", "policy_version": version}
        else:
            info = admin.init_hub(args.dsn, text, prefix=args.role_prefix, timezone=ctx.settings.shop.timezone)
    except HubError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return _done(args, info, t("sync.hub.init_done", hub=info["hub"], agent_role=info["agent_role"],
                               lead_role=info["lead_role"], version=info["policy_version"]))


def run_add_agent(args: argparse.Namespace) -> int:
    from adapters.hub_pg import admin
    from adapters.hub_sqlite import SqliteHub
    from workbench.i18n import t
    from workbench.sync.protocol import HubError
    from workbench.sync.status import ENV_URL

    _use_config_language(args)
    dsn = args.hub or os.environ.get(ENV_URL, "")
    if not dsn:
        print(t("sync.hub.address_missing", env=ENV_URL), file=sys.stderr)
        return 2
    password = os.environ.get(args.password_env) if args.password_env else None
    if args.password_env and password is None:
        print(t("sync.hub.password_env_missing", var=args.password_env, agent=args.name), file=sys.stderr)
        return 2
    try:
        if dsn.startswith("sqlite:///"):
            hub = SqliteHub(dsn[len("sqlite:///"):], "")
            hub.add_agent(args.name, args.role, args.tier, args.display_name)
            hub.close()
            info = {"agent_id": args.name, "login": "-", "role": args.role, "tier": args.tier}
        else:
            info = admin.add_agent(dsn, args.name, args.role, args.tier, name=args.display_name, login=args.login,
                                   password=password)
    except HubError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return _done(args, info, t("sync.hub.agent_added", agent=info["agent_id"], role=info["role"], tier=info["tier"],
                               login=info["login"]))


def _use_config_language(args: argparse.Namespace) -> None:
    """Speak the config's ``ui.lang`` when ``--lang`` was not given.

    ``add-agent`` needs no cache, so it never builds a Context (which is where other commands pick up
    the configured language); without this a lead whose config says ``lang = "en"`` would get Chinese
    errors. Only the config file is read; a broken one raises ConfigError, which the CLI reports.
    """
    if getattr(args, "lang", None):
        return
    from workbench import config, i18n, paths

    settings = config.load(paths.resolve(None, getattr(args, "config", None)).config_file)
    i18n.set_language(settings.ui.lang)


def _done(args: argparse.Namespace, info: dict[str, Any], message: str) -> int:
    """Print what was set up: the JSON record with ``--json``, else the translated sentence."""
    print(json.dumps(info, ensure_ascii=False, indent=2) if getattr(args, "json", False) else message)
    return 0
