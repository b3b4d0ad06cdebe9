"""The one way adapters talk HTTP: deadlines, retries with backoff, JSON checks, secrets never shown.

Measured on this machine: httpx's read timeout is per chunk, so a server dripping one byte every
0.8 s kept a ``read=2`` call open 16 s. Every call here therefore runs under an overall deadline
(``asyncio.timeout``) that covers connecting, waiting, reading the body and all retries.
429 and 5xx answers are retried with exponential backoff and jitter, honouring ``Retry-After``;
401/403 and other 4xx are not (retrying a rejected token only locks the account). Every message
that leaves this module (exceptions, logs) has the source's secrets and credential-looking query
parameters replaced by ``***``.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from workbench.i18n import t

log = logging.getLogger("adapters.http")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BODY = 32 * 1024 * 1024
_SECRET_PARAMS = re.compile(
    r"(?i)\b(access_token|token|consumer_key|consumer_secret|key|secret|sign|customer|password|api_key)"
    r"(=|%3D|\"?\s*:\s*\"?)([^&\s\"',;]+)")
_AUTH_HEADER = re.compile(r"(?i)\b(authorization|x-shopify-access-token)(\"?\s*[:=]\s*\"?)(basic |bearer )?[^\s\"',]+")


class Redactor:
    """Replaces known secrets and credential-looking parameters in any text by ``***``."""

    def __init__(self, secrets: Iterable[str] = ()):
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: object) -> str:
        out = str(text)
        for secret in self.secrets:
            out = out.replace(secret, "***")
        out = _SECRET_PARAMS.sub(lambda m: f"{m.group(1)}{m.group(2)}***", out)
        return _AUTH_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}***", out)


class HttpError(Exception):
    """A failed call. ``kind``: deadline, timeout, network, auth, rate_limited, server, client,
    malformed, content_type, too_large. ``str()`` is a user-facing sentence with secrets removed."""

    def __init__(self, kind: str, url: str, detail: str = "", status: int | None = None,
                 retry_after: float | None = None):
        self.kind, self.url, self.detail, self.status, self.retry_after = kind, url, detail, status, retry_after
        super().__init__(t(f"data.http.{kind}", url=url, status=status or "-", detail=detail))

    @property
    def retryable(self) -> bool:
        return self.kind in ("timeout", "network", "rate_limited", "server")


@dataclass
class RetryPolicy:
    """How hard to try. ``deadline`` bounds one logical call including every retry and wait."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 20.0
    deadline: float = 30.0
    timeout: httpx.Timeout = field(default_factory=lambda: httpx.Timeout(10.0, connect=5.0))

    def backoff(self, attempt: int, rand: Callable[[], float]) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random (spreads retrying clients)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return ceiling / 2 + rand() * ceiling / 2


@dataclass
class JsonResponse:
    status: int
    headers: httpx.Headers
    data: Any
    url: str


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date); None if absent/garbled."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def same_origin(a: str, b: str) -> bool:
    """Whether two URLs share scheme, host and port (never send a token to a host a server named)."""
    left, right = urlsplit(a), urlsplit(b)
    return (left.scheme, left.hostname, left.port) == (right.scheme, right.hostname, right.port)


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


class HttpClient:
    """An ``httpx.AsyncClient`` for one source and one pull (connections are reused across pages)."""

    def __init__(self, base_url: str, *, headers: dict[str, str] | None = None, auth: httpx.Auth | None = None,
                 secrets: Iterable[str] = (), policy: RetryPolicy | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, rand: Callable[[], float] = random.random,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        self.redact = Redactor(secrets)
        self.policy = policy or RetryPolicy()
        self.sleep, self.rand = sleep, rand
        self.calls = 0
        self._client = httpx.AsyncClient(base_url=self.base_url, headers=headers, auth=auth, transport=transport,
                                         follow_redirects=False, timeout=self.policy.timeout)

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    def _error(self, kind: str, url: str, detail: object = "", status: int | None = None,
               wait: float | None = None) -> HttpError:
        return HttpError(kind, self.redact(url), self.redact(detail), status, wait)

    async def get_json(self, url: str, params: dict[str, Any] | None = None) -> JsonResponse:
        return await self.request_json("GET", url, params=params)

    async def post_form_json(self, url: str, data: dict[str, str]) -> JsonResponse:
        """POST a form for a read-only query (safe to retry, e.g. Kuaidi100 实时查询)."""
        return await self.request_json("POST", url, data=data)

    async def request_json(self, method: str, url: str, *, params: dict[str, Any] | None = None,
                           data: dict[str, str] | None = None) -> JsonResponse:
        """One logical call: attempts until success, a final error, or the overall deadline."""
        loop = asyncio.get_running_loop()
        deadline_at = loop.time() + self.policy.deadline
        clean = {k: v for k, v in (params or {}).items() if v is not None} or None
        shown = self.redact(url if url.startswith("http") else self.base_url + url)
        for attempt in range(1, self.policy.attempts + 1):
            remaining = deadline_at - loop.time()
            if remaining <= 0:
                raise self._error("deadline", shown, f"{self.policy.deadline:g}")
            try:
                async with asyncio.timeout(remaining):
                    result = await self._attempt(method, url, clean, data, shown)
            except TimeoutError:
                raise self._error("deadline", shown, f"{self.policy.deadline:g}") from None
            if isinstance(result, JsonResponse):
                return result
            if attempt == self.policy.attempts:
                raise result
            wait = result.retry_after + self.rand() * 0.25 if result.retry_after is not None \
                else self.policy.backoff(attempt, self.rand)
            if wait >= deadline_at - loop.time():
                if result.kind == "rate_limited":
                    raise self._error("rate_limited", shown, f"{wait:.0f}", result.status, wait)
                raise result
            log.warning("retrying %s %s in %.1fs after: %s", method, shown, wait, result)
            await self.sleep(wait)
        raise AssertionError("unreachable: the loop returns or raises")

    async def _attempt(self, method: str, url: str, params: dict[str, Any] | None, data: dict[str, str] | None,
                       shown: str) -> JsonResponse | HttpError:
        """One try. Returns the response, or the (retryable) error; raises final errors."""
        self.calls += 1
        try:
            async with self._client.stream(method, url, params=params, data=data) as response:
                body = await self._read(response, shown)
        except httpx.TimeoutException as exc:
            return self._error("timeout", shown, type(exc).__name__)
        except httpx.TransportError as exc:
            return self._error("network", shown, f"{type(exc).__name__}: {exc}")
        status = response.status_code
        if status in RETRY_STATUSES:
            kind = "rate_limited" if status == 429 else "server"
            return self._error(kind, shown, body[:200].decode("utf-8", "replace"), status,
                               retry_after(response.headers.get("retry-after")))
        if status in (401, 403):
            raise self._error("auth", shown, body[:200].decode("utf-8", "replace"), status)
        if status >= 300:
            raise self._error("client", shown, body[:200].decode("utf-8", "replace"), status)
        content_type = response.headers.get("content-type", "")
        if "json" not in content_type.lower():
            raise self._error("content_type", shown, content_type or "-", status)
        try:
            payload = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise self._error("malformed", shown, f"{exc} ({len(body)} bytes)", status) from None
        return JsonResponse(status, response.headers, payload, str(response.url))

    async def _read(self, response: httpx.Response, shown: str) -> bytes:
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > MAX_BODY:
                raise self._error("too_large", shown, f"> {MAX_BODY // 1024 // 1024} MiB", response.status_code)
            chunks.append(chunk)
        return b"".join(chunks)
