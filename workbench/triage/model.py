"""Triage labels and the result every caller gets (queue, case view, CLI, evaluation)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

INTENTS: tuple[str, ...] = (
    "where_is_order", "delivery_problem", "damaged_item", "wrong_or_missing_item", "size_or_exchange",
    "return_refund_request", "refund_status", "warranty_repair", "product_usage", "invoice", "price_promo",
    "order_change", "complaint", "other",
)
EMOTIONS: tuple[str, ...] = ("calm", "anxious", "angry")


@dataclass(frozen=True)
class Cue:
    """One rule that fired: ``kind`` (intent/angry/anxious/threat/safety/money_twice), the intent it
    voted for (intent cues only), the text that matched and its weight."""

    kind: str
    text: str
    weight: float = 1.0
    intent: str = ""

    def label(self) -> str:
        """Short machine-readable form used in JSON and stored on the case: ``damaged_item:碎了``."""
        return f"{self.intent or self.kind}:{self.text}"


@dataclass(frozen=True)
class TriageResult:
    """What triage decided about a customer's opening messages, and why (``cues``)."""

    intent: str
    emotion: str
    urgent: bool
    priority: int
    playbook: str
    lang: str
    cues: tuple[Cue, ...] = field(default_factory=tuple)
    scores: tuple[tuple[str, float], ...] = ()

    @property
    def cue_labels(self) -> list[str]:
        return [c.label() for c in self.cues]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the CLI output and what is stored on a case)."""
        data = asdict(self)
        data["cues"] = self.cue_labels
        data["scores"] = dict(self.scores)
        return data
