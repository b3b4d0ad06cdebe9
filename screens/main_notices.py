"""The main screen's notification and banner wording, kept apart from its layout and workers.

Every piece of customer or lead text passes through :mod:`workbench.sanitize` and is shown with
``markup=False``: a customer's name or a lead's note is never read as Rich markup.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from workbench import sanitize
from workbench.i18n import t
from workbench.money import format_fen

MAX_TOASTS = 3  # more newly due follow-ups than this become one summary notification


def decision_notice(decision: dict[str, Any]) -> tuple[str, str]:
    """(text, severity) telling the agent a lead approved or rejected their request."""
    approved = decision["status"] == "approved"
    text = t("main.decision_approved" if approved else "main.decision_rejected",
             action=t(f"authority.action.{decision['action']}"), amount=format_fen(decision["amount_fen"]),
             customer=sanitize.one_line(decision.get("customer_name"), 12),
             lead=sanitize.one_line(decision.get("decided_by_name"), 12),
             note=sanitize.one_line(decision.get("decision_note") or "", 60))
    return text, "information" if approved else "warning"


def due_notices(due: list[dict[str, Any]]) -> list[str]:
    """One line per newly due follow-up, or one summary line when there are many."""
    if len(due) > MAX_TOASTS:
        return [t("main.followups_due_many", count=len(due))]
    return [t("main.followup_due", kind=t(f"followups.kind.{item['kind']}"),
              customer=sanitize.one_line(item.get("customer_name"), 12),
              note=sanitize.one_line(item.get("note"), 60)) for item in due]


def source_banner(errors: dict[str, str]) -> Text:
    """The banner shown while commerce/courier sources fail (one line each)."""
    text = Text()
    for name, error in errors.items():
        text.append(t("main.source_failed", source=sanitize.one_line(name, 20),
                      error=sanitize.one_line(error, 160)) + "\n")
    text.rstrip()
    return text
