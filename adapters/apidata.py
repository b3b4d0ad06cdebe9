"""Reading fields out of API answers (Shopify, WooCommerce, Kuaidi100) without trusting them.

Answers miss fields, carry ``null`` where a string was documented, or send amounts as numbers; each
helper returns a clean value or raises :class:`RecordError` naming the field, so the adapter can
report that one record and keep the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from workbench.context import Context
from workbench.i18n import t
from workbench.money import MoneyError, parse_yuan
from workbench.services import ingest
from workbench.services.ingest import CustomerIn, OrderIn, Problem


class RecordError(ValueError):
    """One API record that cannot be stored: ``field`` names what was missing or wrong."""

    def __init__(self, field: str, reason: str):
        self.field = field
        super().__init__(reason)


#: What reading one API record may raise when the answer has an unexpected shape (a string where an
#: object was documented, "abc" as a quantity): reported for that record, never fatal to the pull.
BAD_RECORD = (RecordError, ValueError, TypeError, AttributeError, KeyError)


def problem(ref: str, exc: Exception) -> Problem:
    """The per-record problem for an exception from :data:`BAD_RECORD`."""
    if isinstance(exc, RecordError):
        return Problem(ref, exc.field, str(exc))
    return Problem(ref, "", t("data.api.bad_shape", detail=f"{type(exc).__name__}: {exc}"))


def when(value: Any, field: str, naive_tz: str | None = None) -> datetime:
    """An ISO-8601 time as an aware datetime. Naive times are read in ``naive_tz`` (else refused)."""
    if not isinstance(value, str) or not value:
        raise RecordError(field, t("data.api.missing", field=field))
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RecordError(field, t("data.api.bad_time", field=field, value=value[:40])) from None
    if parsed.tzinfo is None:
        if naive_tz is None:
            raise RecordError(field, t("data.api.bad_time", field=field, value=value[:40]))
        parsed = parsed.replace(tzinfo=timezone.utc if naive_tz == "UTC" else ZoneInfo(naive_tz))
    return parsed


def money(value: Any, field: str, default: int | None = None, *, absolute: bool = False) -> int:
    """An amount ("598.94", 12, "-10.00" when ``absolute``) in minor units."""
    if value is None or value == "":
        if default is not None:
            return default
        raise RecordError(field, t("data.api.missing", field=field))
    text = str(value).strip()
    if absolute and text.startswith("-"):
        text = text[1:]
    try:
        return parse_yuan(text)
    except MoneyError as exc:
        raise RecordError(field, str(exc)) from None


def joined(*parts: Any) -> str:
    """Non-empty parts joined by spaces (names, addresses)."""
    return " ".join(str(p).strip() for p in parts if p is not None and str(p).strip())


@dataclass
class PullOutcome:
    """What one pull stored and what it could not: ``problems`` are per record, never fatal."""

    count: int = 0
    problems: list[Problem] = field(default_factory=list)
    cursor: str | None = None


async def store_orders(ctx: Context, orders: Sequence[OrderIn], outcome: PullOutcome, guides: set[str]) -> None:
    """Upsert a page of orders in a worker thread (SQLite never blocks the event loop)."""
    if not orders:
        return
    result = await asyncio.to_thread(ingest.upsert_orders, ctx, list(orders), guides=guides)
    outcome.count += result.created + result.updated + result.unchanged
    outcome.problems += result.problems


async def store_customers(ctx: Context, page: Sequence[Any], read: Callable[[Any, str], CustomerIn], label: str,
                          platform: str, outcome: PullOutcome) -> None:
    """Read and upsert a page of customers (a bad one is reported by id, the rest stored)."""
    records, refs = [], []
    for row in page:
        ref = f"{label} {row.get('id', '?') if isinstance(row, dict) else '?'}"
        try:
            records.append(read(row, platform))
            refs.append(ref)
        except BAD_RECORD as exc:
            outcome.problems.append(problem(ref, exc))
    result = await asyncio.to_thread(ingest.upsert_customers, ctx, records, refs)
    outcome.count += result.created + result.updated + result.unchanged
    outcome.problems += result.problems
