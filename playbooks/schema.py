"""What a playbook is, as typed data, plus the fixed vocabularies a file is checked against.

A playbook file says how to handle one kind of after-sales case in the four stages the seeds teach:
共情 (acknowledge the feeling first), 定位 (get the facts that decide the fix), 解决 (a few clear options,
each with the time the customer can count on) and 闭环 (come back later and check). The vocabularies
below are contracts shared with triage, the authority service and follow-ups, so a typo in a file is
an error at load time instead of a silently dead button in the middle of a shift.
"""

# No ``from __future__ import annotations`` in this module: its NamedTuple fields would then be strings,
# and typing compiles each one at import (about 3 ms over the modules on the way to the first frame).

from typing import NamedTuple

from workbench.record import Record

STAGES: tuple[str, ...] = ("empathize", "locate", "resolve", "close")
INTENTS: tuple[str, ...] = (
    "where_is_order", "delivery_problem", "damaged_item", "wrong_or_missing_item", "size_or_exchange",
    "return_refund_request", "refund_status", "warranty_repair", "product_usage", "invoice",
    "price_promo", "order_change", "complaint", "other",
)
# Authority actions (the compensation service decides allowed / needs approval / denied for these).
ACTIONS: tuple[str, ...] = (
    "coupon", "partial_refund", "full_refund", "reship", "exchange", "return_shipping",
    "goodwill_payment", "repair_visit",
)
# A resolution that needs no authority (explain, guide, re-issue an invoice): recorded, nothing paid.
NO_ACTION = "none"
FOLLOWUP_KINDS: tuple[str, ...] = (
    "call_back", "check_delivery", "check_satisfaction", "confirm_refund", "promised_action",
)
# Where an option's amount comes from when it is not a fixed sum.
AMOUNT_SOURCES: tuple[str, ...] = ("order_paid", "item_price")
# Placeholders a phrasing may use; workbench data fills them (playbooks.fill). Anything else is a typo.
PLACEHOLDERS: tuple[str, ...] = (
    "name", "order_no", "product", "carrier", "tracking_no", "eta", "status", "amount", "paid",
    "agent", "shop", "time", "options", "delivered",
)


# The records below are NamedTuples rather than frozen dataclasses: just as immutable and typed, and
# defining them costs a tenth as much, which counts because this module loads before the first frame.
class Text2(NamedTuple):
    """A phrase in both languages; ``get`` falls back to Chinese, the language every file must have."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" and self.en else self.zh


class ChecklistItem(NamedTuple):
    """One thing to do in a stage (核对订单号, 请顾客拍照 …); ``id`` is what the case state stores."""

    id: str
    label: Text2


class ResolutionOption(NamedTuple):
    """One clear choice offered in 解决, with the authority action it needs and the time to promise.

    ``amount_fen`` is a fixed sum; ``amount_from`` takes it from the case (the paid amount, an item's
    price). Neither means the agent enters the amount in the compensation flow.
    """

    id: str
    label: Text2
    action: str
    time: Text2
    say: Text2
    amount_fen: int | None = None
    amount_from: str | None = None

    @property
    def needs_authority(self) -> bool:
        return self.action != NO_ACTION


class FollowUpSpec(NamedTuple):
    """The 闭环 default: which follow-up to propose and when (``+2d``, ``+4h``, ``3d_after_delivery``)."""

    kind: str
    when: str
    note: Text2


class Stage(NamedTuple):
    key: str
    say: Text2
    checklist: tuple[ChecklistItem, ...] = ()
    options: tuple[ResolutionOption, ...] = ()
    followup: FollowUpSpec | None = None

    def item(self, item_id: str) -> ChecklistItem | None:
        return next((i for i in self.checklist if i.id == item_id), None)

    def option(self, option_id: str) -> ResolutionOption | None:
        return next((o for o in self.options if o.id == option_id), None)


class Playbook(NamedTuple):
    id: str
    title: Text2
    intents: tuple[str, ...]
    stages: dict[str, Stage]
    source: str = ""
    builtin: bool = True
    notes: Text2 | None = None

    def stage(self, key: str) -> Stage:
        return self.stages[key]


class Issue(NamedTuple):
    """One problem found in a file: where (file, line, field) and what to do about it."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        return f"{where}: [{self.field}] {self.message}" if self.field else f"{where}: {self.message}"


class Registry(Record):
    """The playbooks in force: built-ins overridden/extended by team files, plus what went wrong."""

    __slots__ = ("playbooks", "warnings", "by_intent")

    def __init__(self) -> None:
        self.playbooks: dict[str, Playbook] = {}
        self.warnings: list[Issue] = []
        self.by_intent: dict[str, str] = {}

    def get(self, playbook_id: str | None) -> Playbook | None:
        return self.playbooks.get(playbook_id or "")

    def for_intent(self, intent: str | None) -> Playbook:
        """The playbook for an intent; unknown or unmapped intents get the general one (``other``)."""
        chosen = self.by_intent.get(intent or "other") or self.by_intent.get("other")
        if chosen and chosen in self.playbooks:
            return self.playbooks[chosen]
        return next(iter(self.playbooks.values()))

    def ordered(self) -> list[Playbook]:
        return sorted(self.playbooks.values(), key=lambda p: p.id)
