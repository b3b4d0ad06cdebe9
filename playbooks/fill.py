"""Fill a phrasing's ``{fields}`` from the case, and say which ones had no value.

Rules that keep what the customer reads honest:

* One pass over the template. A value is inserted as plain text and never read again, so a customer
  called ``{eta}`` or ``[@click=app.quit]`` stays exactly that, literal, and cannot pull in other data.
* Values are cleaned (escape sequences and control characters removed, invisible characters shown)
  and cut to a sensible length, so a 1,000,000-character product title cannot flood the reply box.
* A field with no value stays as ``{eta}`` and is reported in ``missing``; the composer asks the agent
  for it and refuses to send until it is filled. We never guess an arrival date.
* ``{time}`` and ``{options}`` come from the playbook itself (trusted text written by the team), so they
  are expanded first and may contain data fields such as ``{eta}``.
"""

# No ``from __future__ import annotations`` in this module: its NamedTuple fields would then be strings,
# and typing compiles each one at import (about 3 ms over the modules on the way to the first frame).

import re
from typing import Any, NamedTuple

from playbooks.schema import PLACEHOLDERS, Playbook, ResolutionOption
from workbench.context import Context
from workbench.i18n import t
from workbench.money import format_fen
from workbench.sanitize import one_line
from workbench.timefmt import from_db, local, short_local

_FIELD = re.compile(r"\{([a-z_]+)\}")
MAX_VALUE = 40  # characters of one filled value; enough for a name, an order number or a product title
_ENUM = "①②③④"
# Shipment states that mean "arrives today"; anything else needs a real estimate from the agent.
_TODAY_STATES = {"out_for_delivery", "delivering", "派送中"}


class Filled(NamedTuple):
    """A filled phrasing and the field names that had no value (left as ``{name}`` in ``text``)."""

    text: str
    missing: list[str]


def customer_lang(view: Any, default: str = "zh") -> str:
    """The language to write to this customer in: the case's own, else what they wrote in."""
    lang = (view.case or {}).get("lang")
    if lang in ("zh", "en"):
        return str(lang)
    sample = "".join(m.get("body", "")[:300] for m in (view.messages or [])[:5] if m.get("author") == "customer")
    if not sample:
        return default
    # Plain comparisons, not a regex: a character class over the CJK range takes milliseconds to compile,
    # and this module is imported on the way to the first frame.
    if any("\u3400" <= ch <= "\u9fff" for ch in sample):
        return "zh"
    latin = sum(1 for ch in sample if "a" <= ch <= "z" or "A" <= ch <= "Z")
    return "en" if latin >= 3 else default


def focus_order(view: Any) -> dict[str, Any] | None:
    """The case's order, or the customer's latest order when the case names none."""
    orders = view.orders or []
    order_id = (view.case or {}).get("order_id")
    for order in orders:
        if order.get("id") == order_id:
            return dict(order)
    return dict(orders[0]) if orders else None


def option_amount_fen(option: ResolutionOption | None, view: Any) -> int | None:
    """What an option is worth in fen: its fixed sum, or the part of the order it refers to."""
    if option is None:
        return None
    if option.amount_fen is not None:
        return option.amount_fen
    order = focus_order(view)
    if option.amount_from == "order_paid" and order:
        return max(int(order.get("paid_fen") or 0) - int(order.get("refunded_fen") or 0), 0)
    if option.amount_from == "item_price" and view.items:
        return int(view.items[0].get("price_fen") or 0) * max(int(view.items[0].get("qty") or 1), 1)
    return None


def _date(ctx: Context, stamp: str | None, lang: str) -> str:
    """A stored UTC time as the customer's calendar day (11月20日 / 20 Nov); other text passes through."""
    if not stamp:
        return ""
    try:
        moment = local(from_db(stamp), ctx.tz)
    except ValueError:
        return stamp
    return f"{moment.month}月{moment.day}日" if lang == "zh" else f"{moment.day} {moment:%b}"


def _label(group: str, value: str, lang: str) -> str:
    key = f"playbook.{group}.{value}"
    text = t(key, lang)
    return value if text == key else text


def _status(view: Any, order: dict[str, Any] | None, lang: str, tz: str) -> str:
    """Where things stand: the latest courier scan (its own words, for Chinese), else a status label."""
    events, shipments = view.events or [], view.shipments or []
    if events and lang == "zh":
        latest = events[0]
        when = short_local(latest.get("at"), tz) if latest.get("at") else ""
        return f"{when} {latest.get('description') or latest.get('status') or ''}".strip()
    if shipments and shipments[0].get("status"):
        label = _label("ship_status", str(shipments[0]["status"]), lang)
        if events and events[0].get("at"):
            label += f" ({short_local(events[0]['at'], tz)})"
        return label
    if order and order.get("status"):
        return _label("order_status", str(order["status"]), lang)
    return ""


def case_values(ctx: Context, view: Any, lang: str, amount_fen: int | None = None) -> dict[str, str]:
    """Every field the case can fill (absent keys = no value). Values are cleaned and shortened."""
    raw: dict[str, str] = {}
    customer = view.customer or {}
    raw["name"] = str(customer.get("name") or "")
    order = focus_order(view)
    if order:
        raw["order_no"] = str(order.get("order_no") or "")
        raw["paid"] = format_fen(int(order.get("paid_fen") or 0))
    items = view.items or []
    if items:
        title = one_line(str(items[0].get("title") or ""), 30)
        more = len(items) - 1
        if more > 0:
            title += f" 等 {len(items)} 件" if lang == "zh" else f" and {more} more"
        raw["product"] = title
    shipments = view.shipments or []
    if shipments:
        ship = shipments[0]
        raw["carrier"] = str(ship.get("carrier") or "")
        raw["tracking_no"] = str(ship.get("tracking_no") or "")
        raw["delivered"] = _date(ctx, ship.get("delivered_at"), lang)
        if ship.get("eta"):
            raw["eta"] = _date(ctx, str(ship["eta"]), lang)
        elif ship.get("status") in _TODAY_STATES and not ship.get("delivered_at"):
            raw["eta"] = "今天" if lang == "zh" else "today"
    raw["status"] = _status(view, order, lang, ctx.tz)
    if amount_fen is None and order and int(order.get("refunded_fen") or 0) > 0:
        amount_fen = int(order["refunded_fen"])
    if amount_fen is not None:
        raw["amount"] = format_fen(amount_fen)
    agent = ctx.agent()
    raw["agent"] = str(agent.get("name") or "")
    raw["shop"] = ctx.settings.shop.name
    return {k: one_line(v, MAX_VALUE) for k, v in raw.items() if v and v.strip()}


def options_text(playbook: Playbook, lang: str) -> str:
    """The resolve stage's options as one line the customer can choose from (① … ② …)."""
    parts = []
    for n, option in enumerate(playbook.stage("resolve").options):
        sep = "," if lang == "zh" else ", "
        parts.append(f"{_ENUM[n]} {option.label.get(lang)}{sep}{option.time.get(lang)}")
    return (";" if lang == "zh" else "; ").join(parts)


def fill(template: str, values: dict[str, str], *, time: str | None = None, options: str | None = None) -> Filled:
    """Fill ``template`` in one pass; unknown-valued known fields stay visible and are reported."""
    trusted = {"time": time, "options": options}

    def expand(match: re.Match[str]) -> str:
        return trusted.get(match.group(1)) or match.group(0)

    template = _FIELD.sub(expand, template)
    missing: list[str] = []

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        if name in PLACEHOLDERS and name not in missing:
            missing.append(name)
        return match.group(0)

    return Filled(_FIELD.sub(one, template), missing)


def fill_stage(ctx: Context, view: Any, playbook: Playbook, stage_key: str, lang: str,
               amount_fen: int | None = None) -> Filled:
    """The suggested phrasing of one stage, filled for this case."""
    values = case_values(ctx, view, lang, amount_fen)
    return fill(playbook.stage(stage_key).say.get(lang), values, options=options_text(playbook, lang))


def fill_option(ctx: Context, view: Any, option: ResolutionOption, lang: str,
                amount_fen: int | None = None) -> Filled:
    """What to tell the customer once an option is chosen, with its time expectation."""
    amount = amount_fen if amount_fen is not None else option_amount_fen(option, view)
    values = case_values(ctx, view, lang, amount)
    return fill(option.say.get(lang), values, time=option.time.get(lang))


def fill_values(template: str, values: dict[str, str]) -> str:
    """Replace the given fields only (the composer uses it when the agent types a missing value)."""
    clean = {k: one_line(v, MAX_VALUE) for k, v in values.items()}
    return _FIELD.sub(lambda m: clean.get(m.group(1), m.group(0)), template)
