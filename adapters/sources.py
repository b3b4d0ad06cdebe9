"""Configured order and courier sources (``[sources.NAME]`` tables) and their refresh.

Example config::

    [sources.myshop]
    kind = "shopify"                 # shopify | woocommerce | kuaidi100
    base_url = "https://myshop.myshopify.com"
    token_env = "MYSHOP_TOKEN"       # or token_file = "~/.config/…/myshop.token" (mode 0600)
    interval_minutes = 15

Secrets (Shopify ``token``; WooCommerce ``consumer_key``/``consumer_secret``; Kuaidi100 ``customer``/
``key``) come from ``<secret>_env`` (default ``WORKBENCH_<NAME>_<SECRET>``), from ``<secret>_file``,
or inline in the config file. A file holding a secret must not be readable by others (``chmod 600``).

``await source.refresh(ctx)`` never raises for bad records or for an unreachable or refusing source:
it returns a :class:`RefreshResult` (``ok=False`` + ``error`` for a whole-source failure, per-record
``errors`` otherwise) and remembers the outcome for the screen (``workbench.services.source_state``).
"""

from __future__ import annotations

import asyncio
import os
import re
import stat
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from adapters import kuaidi100, shopify, woocommerce
from adapters.apidata import PullOutcome
from adapters.http import HttpClient, HttpError, Redactor, RetryPolicy, is_loopback
from workbench.config import ConfigError, Settings
from workbench.context import Context
from workbench.i18n import t
from workbench.services import source_state

KINDS = ("shopify", "woocommerce", "kuaidi100")
SECRETS = {"shopify": ("token",), "woocommerce": ("consumer_key", "consumer_secret"), "kuaidi100": ("customer", "key")}
DEFAULT_URL = {"kuaidi100": "https://poll.kuaidi100.com"}
_COMMON = {"kind", "enabled", "base_url", "interval_minutes", "timeout_seconds", "platform"}
_EXTRA = {"shopify": {"api_version", "max_event_calls"}, "woocommerce": set(),
          "kuaidi100": {"batch", "min_interval_minutes"}}


class SourceError(Exception):
    """A whole-source problem found before any call (missing or exposed secret); ``str()`` says what to do."""


@dataclass
class RefreshResult:
    """How one refresh went. ``errors``: per-record messages; ``error``: the whole-source failure."""

    ok: bool
    count: int
    errors: list[str]
    finished_at: datetime
    source: str = ""
    error: str | None = None


@dataclass
class Source:
    """One configured source. ``transport`` and ``sleep`` let tests and benchmarks replace the network
    and the waits between retries."""

    name: str
    kind: str
    options: dict[str, Any]
    config_path: str = ""
    interval: timedelta = timedelta(minutes=15)
    transport: httpx.AsyncBaseTransport | None = field(default=None, repr=False)
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)

    @property
    def base_url(self) -> str:
        return str(self.options.get("base_url") or DEFAULT_URL.get(self.kind, "")).rstrip("/")

    def secret(self, key: str) -> str:
        """Resolve one secret from env, a 0600 file, or the (0600) config file. Raises SourceError."""
        env = self.options.get(f"{key}_env") or re.sub(r"\W", "_", f"WORKBENCH_{self.name}_{key}").upper()
        if os.environ.get(env):
            return os.environ[env].strip()
        if self.options.get(f"{key}_file"):
            path = Path(str(self.options[f"{key}_file"])).expanduser()
            _private(path, self.name)
            try:
                return path.read_text("utf-8").strip()
            except OSError as exc:
                raise SourceError(t("data.source.secret_unreadable", source=self.name, file=str(path),
                                    detail=exc.strerror or exc)) from exc
        if self.options.get(key):
            _private(Path(self.config_path), self.name)
            return str(self.options[key])
        raise SourceError(t("data.source.secret_missing", source=self.name, secret=key, env=env))

    def policy(self) -> RetryPolicy:
        return RetryPolicy(deadline=float(self.options.get("timeout_seconds", 30)))

    async def refresh(self, ctx: Context) -> RefreshResult:
        """Pull and store; record the outcome. Only cancellation and programming errors escape."""
        secrets: list[str] = []
        try:
            secrets = [self.secret(k) for k in SECRETS[self.kind]]
            cursor = await asyncio.to_thread(source_state.saved_cursor, ctx, self.name)
            outcome = await self._pull(ctx, secrets, cursor)
        except (SourceError, HttpError) as exc:
            message = Redactor(secrets)(exc)
            await asyncio.to_thread(source_state.record, ctx, self.name, self.kind, ok=False, count=0, error=message)
            return RefreshResult(False, 0, [], ctx.clock.now(), self.name, message)
        redact = Redactor(secrets)
        errors = [redact(p) for p in outcome.problems]
        await asyncio.to_thread(source_state.record, ctx, self.name, self.kind, ok=True, count=outcome.count,
                                problems=errors, cursor=outcome.cursor)
        return RefreshResult(True, outcome.count, errors, ctx.clock.now(), self.name)

    def refresh_sync(self, ctx: Context) -> RefreshResult:
        """The same refresh for the command line (its own event loop)."""
        return asyncio.run(self.refresh(ctx))

    def client(self, secrets: list[str], headers: dict[str, str] | None = None,
               auth: httpx.Auth | None = None) -> HttpClient:
        return HttpClient(self.base_url, headers={"Accept": "application/json", **(headers or {})}, auth=auth,
                          secrets=secrets, policy=self.policy(), transport=self.transport, sleep=self.sleep)

    async def _pull(self, ctx: Context, secrets: list[str], cursor: str | None) -> PullOutcome:
        platform = str(self.options.get("platform") or self.kind)
        if self.kind == "shopify":
            async with self.client(secrets, {"X-Shopify-Access-Token": secrets[0]}) as http:
                api = shopify.ShopifyApi(http, str(self.options.get("api_version", shopify.API_VERSION)))
                return await shopify.pull(ctx, api, platform, cursor, int(self.options.get("max_event_calls", 40)))
        if self.kind == "woocommerce":
            async with self.client(secrets, auth=httpx.BasicAuth(secrets[0], secrets[1])) as http:
                return await woocommerce.pull(ctx, woocommerce.WooApi(http), platform, cursor)
        async with self.client(secrets) as http:
            return await kuaidi100.pull(ctx, http, secrets[0], secrets[1], batch=int(self.options.get("batch", 50)),
                                        min_interval=timedelta(minutes=int(self.options.get("min_interval_minutes", 30))))


def _private(path: Path, source: str) -> None:
    """Refuse a secret in a file that group or others can read."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise SourceError(t("data.source.secret_unreadable", source=source, file=str(path),
                            detail=exc.strerror or exc)) from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SourceError(t("data.source.secret_exposed", source=source, file=str(path), mode=oct(mode & 0o777)))


def _line(path: str, name: str, key: str) -> int | None:
    """Line of ``key`` inside ``[sources.NAME]`` (or of the table header) for the error message."""
    try:
        lines = Path(path).read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    inside, header = False, None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            inside = stripped.strip("[] ").replace('"', "") == f"sources.{name}"
            header = number if inside else header
        elif inside and re.match(rf"{re.escape(key)}\s*=", stripped):
            return number
    return header


def _check(settings: Settings, name: str, table: Any) -> None:
    path = settings.source_path or "config.toml"

    def fail(message: str, key: str = "") -> ConfigError:
        return ConfigError(path, message, _line(path, name, key), f"sources.{name}" + (f".{key}" if key else ""))

    if not isinstance(table, dict):
        raise fail(t("data.source.not_a_table"))
    kind = table.get("kind")
    if kind not in KINDS:
        raise fail(t("data.source.bad_kind", known=", ".join(KINDS)), "kind")
    allowed = _COMMON | _EXTRA[kind] | {f"{s}{suffix}" for s in SECRETS[kind] for suffix in ("", "_env", "_file")}
    for key in table:
        if key not in allowed:
            raise fail(t("data.source.unknown_key", known=", ".join(sorted(allowed))), key)
    url = str(table.get("base_url") or DEFAULT_URL.get(kind, ""))
    if not url:
        raise fail(t("data.source.need_url"), "base_url")
    if not url.startswith("https://") and not (url.startswith("http://") and is_loopback(url)):
        raise fail(t("data.source.need_https", url=url), "base_url")
    for key in ("interval_minutes", "timeout_seconds", "max_event_calls", "batch", "min_interval_minutes"):
        low = 1 if key in ("interval_minutes", "timeout_seconds") else 0
        if key in table and (not isinstance(table[key], int) or isinstance(table[key], bool) or table[key] < low):
            raise fail(t("data.source.need_number", low=low), key)


def build_sources(settings: Settings) -> list[Source]:
    """Every enabled ``[sources.*]`` table as a Source. Raises ConfigError naming the bad key."""
    out = []
    for name, table in (settings.sources or {}).items():
        _check(settings, name, table)
        if table.get("enabled", True) is False:
            continue
        out.append(Source(name, table["kind"], dict(table), settings.source_path,
                          timedelta(minutes=int(table.get("interval_minutes", 15)))))
    return out
