"""Reports: the team lead's dashboard for one shop-timezone day (or the last 7 days up to it).

Eight headline cards (opened/closed, first-reply SLA, FCR, average first reply, compensation spend,
approvals, follow-ups, proactive contacts), a per-agent table, the top contact reasons and the spend by
kind. ``←``/``→`` move a day back or forward, ``t`` returns to today, ``w`` switches between the day and
the seven days ending with it. The figures come from :mod:`workbench.services.reports` in a thread
worker; a result for a day the lead has already moved away from is dropped. Everything on screen is
built as rich ``Text`` (agent names arrive by sync and are untrusted), never as markup.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from workbench.config import ConfigError
from workbench.context import Context
from workbench.i18n import t
from workbench.money import format_fen
from workbench.services import report_labels as labels
from workbench.services import reports
from workbench.store import StoreError
from workbench.timefmt import short_local

CARDS = ("cases", "sla", "fcr", "response", "spend", "approvals", "followups", "proactive")
BAR_CELLS = 12
WEEK = 7


class Loaded(Message):
    """A finished report (posted from the worker thread)."""

    def __init__(self, report: reports.Report) -> None:
        self.report = report
        super().__init__()


class Failed(Message):
    """The report could not be computed: what to tell the lead."""

    def __init__(self, last: date, days: int, detail: str) -> None:
        self.last, self.days, self.detail = last, days, detail
        super().__init__()


def rate_style(value: float | None) -> str:
    """Green from 90 %, yellow from 70 %, red below: how a lead reads an SLA or FCR share at a glance."""
    if value is None:
        return "dim"
    return "bold green" if value >= 90 else "bold yellow" if value >= 70 else "bold red"


def card(head: labels.Headline, style: str = "bold") -> Text:
    """A headline card: small label, big value, small print."""
    text = Text(head.label, style="dim")
    text.append("\n" + head.value, style=style)
    text.append("\n" + head.sub, style="dim")
    return text


def card_styles(report: reports.Report) -> dict[str, str]:
    """Colour where a lead should look: poor rates, requests waiting, overdue follow-ups."""
    total = report.totals
    return {"sla": rate_style(total.sla_pct), "fcr": rate_style(total.fcr_pct),
            "approvals": "bold yellow" if report.approvals_pending_now else "bold",
            "followups": "bold red" if total.followups_overdue else "bold"}


def agent_row(row: reports.AgentFigures, total: bool = False) -> list[Text]:
    """One row of the per-agent table; breaches and overdue follow-ups in red when there are any."""
    strong = "bold" if total else ""
    cells = labels.agent_cells(row)
    if total:
        cells[0] = t("reports.total")
    styles = [strong or ("dim" if row.agent_id == reports.UNASSIGNED else ""), strong, strong,
              rate_style(row.sla_pct), "bold red" if row.sla_breached else strong, rate_style(row.fcr_pct),
              strong, strong, strong, "bold red" if row.followups_overdue else strong]
    return [Text(cell, style=style, justify="left" if index == 0 else "right")
            for index, (cell, style) in enumerate(zip(cells, styles))]


def reasons_text(report: reports.Report) -> Text:
    """Top contact reasons with a bar scaled to the largest, so the shape is visible at a glance."""
    text = Text(t("reports.reasons", n=reports.TOP_INTENTS), style="bold")
    if not report.intents:
        text.append("\n" + t("reports.reasons_empty"), style="dim")
        return text
    names = [labels.intent_text(intent) for intent, _ in report.intents]
    width = max(Text(name).cell_len for name in names)
    top = max(count for _, count in report.intents)
    for name, (_, count) in zip(names, report.intents):
        bar = "█" * max(1, round(BAR_CELLS * count / top))
        text.append("\n" + name + " " * (width - Text(name).cell_len) + " ")
        text.append(bar, style="cyan")
        text.append(f" {count}")
    return text


def spend_text(report: reports.Report) -> Text:
    """Spend by kind of compensation: count and amount, largest first."""
    text = Text(t("reports.spend_by_action"), style="bold")
    if not report.spend_by_action:
        text.append("\n" + t("reports.spend_empty"), style="dim")
        return text
    names = [labels.action_text(action) for action, _, _ in report.spend_by_action]
    width = max(Text(name).cell_len for name in names)
    for name, (_, count, fen) in zip(names, report.spend_by_action):
        text.append("\n" + name + " " * (width - Text(name).cell_len) + "  ")
        text.append(t("reports.spend_line", count=count), style="dim")
        text.append("  " + format_fen(fen), style="bold")
    return text


class ReportsScreen(Screen[None]):
    """The lead's figures for one day (or the week up to it), with keys to move through the days."""

    CSS_PATH = "reports_screen.tcss"
    BINDINGS = [
        Binding("left", "prev_day", t("reports.key.prev_day"), id="reports.prev_day", priority=True),
        Binding("right", "next_day", t("reports.key.next_day"), id="reports.next_day", priority=True),
        Binding("t", "today", t("reports.key.today"), id="reports.today"),
        Binding("w", "toggle_range", t("reports.key.range"), id="reports.range"),
        Binding("ctrl+l", "reload", t("reports.key.refresh"), id="reports.refresh", show=False),
        Binding("escape", "back", t("reports.key.back"), id="reports.back"),
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.day: date = reports.today(ctx)
        self.days = 1
        self.report: reports.Report | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="rp-title")
        with VerticalScroll(id="rp-body"):
            with Grid(id="rp-cards"):
                for name in CARDS:
                    yield Static(classes="rp-card", id=f"rp-card-{name}")
            yield DataTable(cursor_type="row", zebra_stripes=True, id="rp-agents")
            with Horizontal(id="rp-lower"):
                yield Static(id="rp-reasons")
                yield Static(id="rp-spend")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#rp-agents", DataTable).focus()
        self.action_reload()

    # ----- loading ------------------------------------------------------------------------------
    def _title(self, status: Text | None = None) -> None:
        span = reports.period(self.ctx, self.day, self.days)
        text = Text(t("reports.title"), style="bold")
        text.append("  " + labels.period_text(span), style="bold")
        text.append("  " + t("reports.scope_all"))
        if status is not None:
            text.append("  ")
            text.append_text(status)
        self.query_one("#rp-title", Static).update(text)

    def action_reload(self) -> None:
        self._title(Text(t("reports.loading"), style="dim italic"))
        self.load(self.day, self.days)

    @work(thread=True, exclusive=True, group="reports-load")
    def load(self, last: date, days: int) -> None:
        try:
            report = reports.build(self.ctx, last, days)
        except (reports.ReportError, ConfigError, StoreError, sqlite3.Error) as exc:
            self.post_message(Failed(last, days, str(exc)))
            return
        self.post_message(Loaded(report))

    def _current(self, last: date, days: int) -> bool:
        return (last, days) == (self.day, self.days)

    def on_loaded(self, message: Loaded) -> None:
        report = message.report
        if not self._current(report.period.last, report.period.days):
            return  # the lead already moved to another day; that load is on its way
        self.report = report
        self._title(Text(t("reports.as_of", time=short_local(report.generated_at, self.ctx.tz)), style="dim"))
        styles = card_styles(report)
        for head in labels.headlines(report):
            self.query_one(f"#rp-card-{head.name}", Static).update(card(head, styles.get(head.name, "bold")))
        table = self.query_one("#rp-agents", DataTable)
        table.clear(columns=True)
        rows = [agent_row(r) for r in report.agents]
        if len(rows) > 1:
            rows.append(agent_row(report.totals, total=True))
        for index, key in enumerate(labels.COLUMNS):
            label = Text(t(f"reports.col.{key}"), justify="left" if index == 0 else "right")
            # Widths computed here so the first paint is already right (no re-layout on idle).
            width = max([label.cell_len, *(row[index].cell_len for row in rows)])
            table.add_column(label, key=key, width=width)
        for number, row in enumerate(rows):
            table.add_row(*row, key=str(number))
        self.query_one("#rp-reasons", Static).update(reasons_text(report))
        self.query_one("#rp-spend", Static).update(spend_text(report))

    def on_failed(self, message: Failed) -> None:
        if self._current(message.last, message.days):
            self._title(Text(t("reports.load_failed", detail=message.detail), style="bold red"))
            self.notify(t("reports.load_failed", detail=message.detail), severity="error", timeout=8)

    # ----- moving through days ------------------------------------------------------------------
    def _go(self, day: date) -> None:
        self.day = day
        self.action_reload()

    def action_prev_day(self) -> None:
        self._go(self.day - timedelta(days=1))

    def action_next_day(self) -> None:
        if self.day >= reports.today(self.ctx):
            self.notify(t("reports.no_later"), severity="warning")
            return
        self._go(self.day + timedelta(days=1))

    def action_today(self) -> None:
        self._go(reports.today(self.ctx))

    def action_toggle_range(self) -> None:
        self.days = WEEK if self.days == 1 else 1
        self.action_reload()

    def action_back(self) -> None:
        self.app.pop_screen()
