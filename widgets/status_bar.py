"""The one-line header: who is signed in, their authority, online state, pending sync and alarms.

Built as a ``rich.text.Text`` with styled spans; nothing here is parsed as markup, so an agent name or
an error message containing brackets shows literally. Below 110 columns a compact wording keeps the
alarms (SLA breaches, overdue follow-ups) on screen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual.widgets import Static

from workbench import sanitize, timefmt
from workbench.i18n import t
from workbench.money import format_fen
from workbench.services.status import HeaderStatus

COMPACT_BELOW = 110


class StatusBar(Static):
    """Header line; ``show(status, now, tz)`` redraws it from a HeaderStatus."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[HeaderStatus, datetime, str] | None = None
        self._compact: bool | None = None

    def on_resize(self) -> None:
        """A terminal resized across the compact width gets the other wording now, not at the next refresh."""
        if self._shown is not None and (self.app.size.width < COMPACT_BELOW) != self._compact:
            self.show(*self._shown)

    def show(self, status: HeaderStatus, now: datetime, tz: str) -> None:
        compact = self.app.size.width < COMPACT_BELOW
        self._shown, self._compact = (status, now, tz), compact
        sep = (" │ ", "dim") if compact else ("  │  ", "dim")
        suffix = "_short" if compact else ""
        agent = status.agent
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(sanitize.one_line(str(agent.get("name", "")), 12), "bold")
        text.append(f" {agent.get('tier', '')}")
        if not compact:
            role = t("main.role_lead") if agent.get("role") == "lead" else t("main.role_agent")
            text.append(f" · {role}")
        if status.sla_breaches:
            text.append(*sep)
            text.append(t("main.sla_breaches" + suffix, count=status.sla_breaches), "bold red")
        if status.overdue_followups:
            text.append(*sep)
            text.append(t("main.overdue" + suffix, count=status.overdue_followups), "bold yellow")
        auth = status.authority
        if auth:
            text.append(*sep)
            text.append(t("main.authority" + suffix, per_case=format_fen(auth.get("per_case_limit_fen", 0)),
                          left=format_fen(auth.get("budget_left_fen", 0)),
                          budget=format_fen(auth.get("budget_fen", 0))))
        text.append(*sep)
        if not status.sync.get("hub"):
            text.append("● " + t("main.standalone"), "bold cyan")
        elif status.sync.get("online") is False:
            text.append("● " + t("common.offline"), "bold red")
        else:
            text.append("● " + t("common.online"), "bold green")
        text.append(" ")
        text.append(t("main.pending", count=status.pending), "yellow" if status.pending else "")
        if status.sync.get("hub") and not compact:
            last = status.sync.get("last_sync_at")
            text.append(" · ")
            text.append(t("main.last_sync", time=timefmt.short_local(last, tz, "%H:%M")) if last
                        else t("main.never_synced"), "dim")
        if status.sync.get("last_error"):
            text.append(" ⚠", "bold red")
        # Alarms and authority matter more than the clock on a narrow terminal.
        if not compact or text.cell_len + 8 <= self.app.size.width:
            text.append(*sep)
            text.append(timefmt.local(now, tz).strftime("%H:%M"), "dim")
        self.update(text)
