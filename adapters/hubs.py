"""Opening a hub from its address, with credentials kept out of sight.

Where the address comes from, first match wins: an explicit argument, the environment variable
``WORKBENCH_HUB_URL``, then ``[hub] url`` in the config file. A password may sit in the URL only if the
config file is private (mode 0600); otherwise put it in ``hub.secret`` next to the config file (also
0600; the workbench refuses a secret file others can read) or in the environment. Every address shown
anywhere goes through :func:`workbench.sync.redact.url`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from workbench.authority.policy import builtin_text
from workbench.clock import Clock
from workbench.context import Context
from workbench.sync import redact
from workbench.sync.protocol import Hub, HubRefused
from workbench.sync.engine import SyncReport
from workbench.sync.runner import SyncRunner
from workbench.sync.status import ENV_URL

SECRET_FILE = "hub.secret"


class HubConfigError(HubRefused):
    """The hub address or its credentials are set up unsafely or wrongly; the message says how to fix it."""


def check_private(path: Path) -> None:
    """Refuse a credentials file that group or others can read."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise HubConfigError(f"{path} 可被其他用户读取,里面有密码 / can be read by other users and holds a password; "
                             f"run: chmod 600 {path}")


def _with_secret(url: str, config_dir: Path) -> str:
    """Add the password from ``hub.secret`` to a postgresql URL that names a user but no password."""
    secret_file = config_dir / SECRET_FILE
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres") or parts.password is not None or not parts.username \
            or not secret_file.exists():
        return url
    check_private(secret_file)
    password = secret_file.read_text("utf-8").strip()
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{parts.username}:{quote(password, safe='')}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def resolve_url(ctx: Context, explicit: str | None = None) -> str:
    """The hub address for this cache ('' when none is configured), credentials included."""
    if explicit:
        return _with_secret(explicit, ctx.paths.config_dir)
    env = os.environ.get(ENV_URL)
    if env:
        return _with_secret(env, ctx.paths.config_dir)
    url = ctx.settings.hub.url
    if not url:
        return ""
    if redact.password_of(url) and ctx.settings.source_path:
        check_private(Path(ctx.settings.source_path))
    return _with_secret(url, ctx.paths.config_dir)


def open_hub(url: str, *, agent_id: str = "", role: str = "agent", tier: str = "L1", name: str = "",
             clock: Clock | None = None, timezone: str = "Asia/Shanghai", policy_text: str | None = None) -> Hub:
    """A hub object for ``sqlite:///path`` or ``postgresql://…`` (nothing is contacted for SQLite yet)."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        from adapters.hub_sqlite import SqliteHub

        if not url.startswith("sqlite:///"):
            raise HubConfigError(f"{redact.url(url)}: write a SQLite hub as sqlite:///relative/path or "
                                 "sqlite:////absolute/path")
        hub = SqliteHub(url[len("sqlite:///"):], agent_id, clock=clock, role=role, tier=tier, name=name,
                        timezone=timezone)
        if hub.policy() is None and policy_text is not None:
            hub.set_policy(policy_text)
        return hub
    if scheme in ("postgresql", "postgres"):
        from adapters.hub_pg.hub import PgHub

        return PgHub(url)
    raise HubConfigError(f"不认识的同步地址 / unknown hub address {redact.url(url)!r}: "
                         "use sqlite:///path or postgresql://user@host/db")


def policy_text_for(ctx: Context) -> str:
    """The team's policy file if there is one, else the built-in policy (seeds a new SQLite hub)."""
    path = ctx.paths.policy_file
    return path.read_text("utf-8") if path.exists() else builtin_text()


def open_for(ctx: Context, url: str | None = None) -> Hub:
    """Open this cache's hub as its signed-in agent. Raises HubConfigError when none is configured."""
    address = resolve_url(ctx, url)
    if not address:
        raise HubConfigError("没有配置同步中心 / no hub configured: set WORKBENCH_HUB_URL or [hub] url in "
                             f"{ctx.paths.config_file}")
    agent = ctx.agent()
    return open_hub(address, agent_id=ctx.agent_id, role=str(agent.get("role") or "agent"),
                    tier=str(agent.get("tier") or "L1"), name=str(agent.get("name") or ""), clock=ctx.clock,
                    timezone=ctx.settings.shop.timezone, policy_text=policy_text_for(ctx))


def runner_for(ctx: Context, on_report: Callable[[SyncReport], None] | None = None) -> SyncRunner:
    """The background runner to inject into the App when a hub is configured.

    The App starts it on mount, ``request_sync`` calls ``trigger()``, and it is stopped on exit;
    ``on_report`` runs on the sync thread (use ``app.call_from_thread`` to refresh the header).
    """
    return SyncRunner(ctx, lambda: open_for(ctx), on_report=on_report, hub_label=redact.url(resolve_url(ctx)))
