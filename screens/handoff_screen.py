"""Shift hand-off: everything one agent has open, handed to a colleague in one go.

Shows the agent's open follow-ups, promised actions, compensation requests waiting for a lead, and
cases whose SLA is about to run out (counting down every second from times already loaded: no query
per tick). Ctrl+S shows the totals for a last look, and Enter then moves all of it to the chosen
colleague in one transaction
(:func:`workbench.services.handoff.reassign_all`), leaving a hand-off note on every case moved.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Input, Label, Select, Static

from screens.followup_columns import NARROW_BELOW, fit
from screens.followup_format import case_cell, due_text, status_text, untrusted
from workbench import sla
from workbench.context import Context
from workbench.i18n import t
from workbench.money import format_fen
from workbench.services import handoff
from workbench.services.followup_model import FollowUpError
from workbench.store import StoreError

SECTIONS = ("followups", "promised", "approvals", "sla_risk")
# Cell budgets (terminal cells, CJK double width) per column: (below NARROW_BELOW, above).
BUDGET = {"case": (14, 36), "customer": (8, 10), "note": (12, 40), "reason": (12, 30), "kind": (12, 18)}
SLA_STYLE = {"breached": "bold red", "due_soon": "bold yellow", "ok": "", "none": "dim"}


class ItemsLoaded(Message):
    def __init__(self, items: handoff.OpenItems | None, agents: list[tuple[str, str, str]], is_lead: bool,
                 error: str = "") -> None:
        self.items, self.agents, self.is_lead, self.error = items, agents, is_lead, error
        super().__init__()


class HandedOff(Message):
    def __init__(self, result: handoff.HandoffResult | None, error: str = "") -> None:
        self.result, self.error = result, error
        super().__init__()


class HandoffScreen(Screen[None]):
    """Hand-off view for ``agent_id`` (default: the signed-in agent; a lead may pick anyone)."""

    CSS_PATH = "handoff_screen.tcss"
    BINDINGS = [
        Binding("escape", "close", t("followups.ui.back"), id="handoff.close"),
        Binding("ctrl+s", "handoff", t("followups.handoff_ui.go"), id="handoff.confirm"),
        Binding("ctrl+r", "reload", t("followups.ui.reload"), id="handoff.reload", show=False),
    ]

    def __init__(self, ctx: Context, agent_id: str | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.agent_id = agent_id or ctx.agent_id
        self.items: handoff.OpenItems | None = None
        self.agents: list[tuple[str, str, str]] = []  # (id, name, role) of the active agents
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Static(id="ho-title")
        with Horizontal(id="ho-pick"):
            yield Label(t("followups.handoff_ui.from"), classes="ho-label")
            yield Select([(self.agent_id, self.agent_id)], value=self.agent_id, allow_blank=False, compact=True,
                         id="ho-agent")
            yield Label(t("followups.handoff_ui.to"), classes="ho-label")
            yield Select([], prompt=t("followups.handoff_ui.pick_target"), compact=True, id="ho-target")
        with Horizontal(id="ho-actions"):
            yield Input(placeholder=t("followups.handoff_ui.note_placeholder"), compact=True, id="ho-note")
            yield Button(t("followups.handoff_ui.go"), variant="warning", compact=True, id="ho-go")
        yield Static(id="ho-counts")
        with VerticalScroll(id="ho-body"):
            for section in SECTIONS:
                yield Static(id=f"ho-head-{section}", classes="ho-head")
                yield DataTable(cursor_type="row", id=f"ho-{section}", classes="ho-table")
        yield Footer()

    def on_mount(self) -> None:
        columns = {
            "followups": ("status", "due", "kind", "case", "customer", "note"),
            "promised": ("status", "due", "case", "customer", "note"),
            "approvals": ("action", "amount", "case", "customer", "reason"),
            "sla_risk": ("countdown", "case", "customer", "sla_kind"),
        }
        for section, keys in columns.items():
            table = self.query_one(f"#ho-{section}", DataTable)
            for key in keys:
                table.add_column(t(f"followups.handoff_ui.col_{key}"), key=key)
        self.reload()
        self.set_interval(1, self._tick)

    def action_reload(self) -> None:
        self.reload()

    def reload(self) -> None:
        self._load(self.agent_id)

    @work(thread=True, exclusive=True, group="ho-load")
    def _load(self, agent_id: str) -> None:
        agents: list[tuple[str, str, str]] = []
        is_lead = False
        try:  # every read here, off the UI thread
            is_lead = self.ctx.agent().get("role") == "lead"
            agents = [(r["id"], r["name"], r["role"]) for r in self.ctx.store.query(
                "SELECT id, name, role FROM agents WHERE active = 1 ORDER BY role, id")]
            self.post_message(ItemsLoaded(handoff.open_items(self.ctx, agent_id), agents, is_lead))
        except (FollowUpError, StoreError) as exc:
            self.post_message(ItemsLoaded(None, agents, is_lead, str(exc)))

    @on(ItemsLoaded)
    def _loaded(self, message: ItemsLoaded) -> None:
        self.agents = message.agents
        chooser = self.query_one("#ho-agent", Select)
        allowed = message.agents if message.is_lead else [a for a in message.agents if a[0] == self.ctx.agent_id]
        with self.prevent(Select.Changed):
            if allowed:  # the chooser cannot be blank: with no rows (read failed) keep what it shows
                chooser.set_options([(f"{name} ({agent_id})", agent_id) for agent_id, name, _ in allowed])
            if any(a[0] == self.agent_id for a in allowed):
                chooser.value = self.agent_id
            chooser.mutate_reactive(Select.value)  # same id as before: still show the name, not the id
            target = self.query_one("#ho-target", Select)
            previous = target.value
            target.set_options([(f"{name} ({agent_id})", agent_id) for agent_id, name, _ in message.agents
                                if agent_id != self.agent_id])
            if isinstance(previous, str) and previous != self.agent_id:
                target.value = previous
        if message.items is None:
            self.query_one("#ho-counts", Static).update(Text(message.error, style="bold red"))
            return
        self.items = message.items
        name = str(self.items.agent.get("name") or self.agent_id)
        self.query_one("#ho-title", Static).update(Text(t("followups.handoff_ui.title", name=name), style="bold"))
        counts = Text(t("followups.handoff_ui.counts", **self.items.counts))
        if any(self.items.truncated(section) for section in SECTIONS):
            # "全部交接" moves the rows on screen; say so, and that the rest shows up afterwards.
            counts.append("\n" + t("followups.handoff_ui.truncated_hint", limit=handoff.LIMIT), style="yellow")
        self.query_one("#ho-counts", Static).update(counts)
        for section in SECTIONS:
            total, shown = self.items.counts.get(section, 0), len(getattr(self.items, section))
            head = self.query_one(f"#ho-head-{section}", Static)
            if self.items.truncated(section):
                head.update(Text(t(f"followups.handoff_ui.{section}_truncated", shown=shown, n=total), style="bold"))
            else:
                head.update(Text(t(f"followups.handoff_ui.{section}", n=total), style="bold"))
        self._fill()

    def _cut(self, text: Text, column: str) -> Text:
        """Fit a cell to its budget at this width (80 columns keep every table inside the screen)."""
        return fit(text, BUDGET[column][0 if self.app.size.width < NARROW_BELOW else 1])

    def on_resize(self) -> None:
        if self.items is not None:
            self._fill()

    def _fill(self) -> None:
        assert self.items is not None
        now, tz, cut = self.ctx.clock.now(), self.ctx.tz, self._cut
        for section in ("followups", "promised"):
            table = self.query_one(f"#ho-{section}", DataTable)
            table.clear()
            for row in getattr(self.items, section):
                cells = {"status": status_text(row["display_status"]), "due": due_text(row, now, tz),
                         "kind": cut(Text(t(f"followups.kind.{row['kind']}")), "kind"),
                         "case": cut(case_cell(row, 40), "case"),
                         "customer": cut(untrusted(row.get("customer_name"), 20), "customer"),
                         "note": cut(untrusted(row["note"], 60), "note")}
                table.add_row(*[cells[str(c.key.value)] for c in table.ordered_columns], key=row["id"])
        approvals = self.query_one("#ho-approvals", DataTable)
        approvals.clear()
        for row in self.items.approvals:
            approvals.add_row(Text(t(f"authority.action.{row['action']}")), Text(format_fen(row["amount_fen"])),
                              cut(untrusted(f"{row['case_id']} {row.get('case_subject') or ''}", 40), "case"),
                              cut(untrusted(row.get("customer_name"), 20), "customer"),
                              cut(untrusted(row["reason"], 60), "reason"), key=row["id"])
        risk = self.query_one("#ho-sla_risk", DataTable)
        risk.clear()
        for row in self.items.sla_risk:
            kind = t(f"followups.sla_kind.{row['sla_kind']}")  # a team's own SLA kind has no label: show its id
            risk.add_row(self._countdown(row, now), cut(untrusted(f"{row['id']} {row['subject']}", 40), "case"),
                         cut(untrusted(row.get("customer_name"), 20), "customer"),
                         untrusted(row["sla_kind"] if kind.startswith("followups.") else kind, 16), key=row["id"])

    @staticmethod
    def _countdown(row: dict[str, Any], now: datetime) -> Text:
        tick = sla.countdown(row["sla_due_at"], now)
        return Text(tick.text or "-", style=SLA_STYLE.get(tick.state, ""))

    def _tick(self) -> None:
        """Every second: recompute countdowns from the loaded due times (pure, no database)."""
        if self.items is None:
            return
        table, now = self.query_one("#ho-sla_risk", DataTable), self.ctx.clock.now()
        for row in self.items.sla_risk:
            table.update_cell(row["id"], "countdown", self._countdown(row, now))

    @on(Select.Changed, "#ho-agent")
    def _agent_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.agent_id:
            self.agent_id = event.value
            self.reload()

    @on(Button.Pressed, "#ho-go")
    def action_handoff(self) -> None:
        target = self.query_one("#ho-target", Select).value
        if not isinstance(target, str):
            self.notify(t("followups.handoff_ui.pick_target"), severity="warning")
            return
        if self.items is None or self.busy:
            return
        from screens.confirm_modal import ConfirmModal  # opened once per hand-off, not at start

        counts, source = self.items.counts, self.items.agent
        target_name = next((name for agent_id, name, _ in self.agents if agent_id == target), target)
        question = t("followups.handoff_ui.confirm_question", source=source.get("name") or self.agent_id,
                     target=target_name, followups=counts.get("followups", 0), promised=counts.get("promised", 0),
                     approvals=counts.get("approvals", 0), sla_risk=counts.get("sla_risk", 0))
        note = self.query_one("#ho-note", Input).value
        self.app.push_screen(
            ConfirmModal(t("followups.handoff_ui.confirm_title"), question, t("followups.handoff_ui.confirm_go")),
            lambda confirmed: self._confirmed(bool(confirmed), self.agent_id, target, note))

    def _confirmed(self, confirmed: bool, source: str, target: str, note: str) -> None:
        """Everything moves only after the agent or lead has seen the totals and said yes."""
        if not confirmed or self.busy:
            return
        self.busy = True
        self._handoff(source, target, note)

    @work(thread=True, exclusive=True, group="ho-go")
    def _handoff(self, source: str, target: str, note: str) -> None:
        try:
            # Everything open when the hand-off runs, not only the rows listed (each list stops at LIMIT).
            result = handoff.reassign_all(self.ctx, source, target, note=note)
        except (FollowUpError, StoreError) as exc:
            self.post_message(HandedOff(None, str(exc)))
            return
        self.post_message(HandedOff(result))

    @on(HandedOff)
    def _handed_off(self, message: HandedOff) -> None:
        self.busy = False
        if message.result is None:
            self.notify(message.error, severity="error", timeout=8)
            return
        result = message.result
        skipped = len(result.followups.skipped) + len(result.skipped_cases)
        key = "followups.handoff_ui.done_skipped" if skipped else "followups.handoff_ui.done"  # no "跳过 0 项"
        self.notify(t(key, followups=len(result.followups.changed), cases=len(result.cases), skipped=skipped),
                    severity="warning" if skipped else "information")
        self.reload()

    def action_close(self) -> None:
        self.app.pop_screen()
