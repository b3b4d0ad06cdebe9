"""Schedule a follow-up from a case: quick choices, a typed time with a live preview, kind, owner, note.

The preview is computed as the agent types, in the shop timezone, so "明天下午3点" is confirmed as
"2026-11-24 周二 15:00（Asia/Shanghai）" before it is saved. Times are pure parsing; a delivery or stall
trigger ("签收后3天") needs the case's parcels, which a thread worker reads once when the modal opens
(:class:`ParcelFacts`), so no keystroke touches SQLite; until they arrive the preview says it is loading.
Saving rebuilds the trigger from the store inside the write, so a scan that arrived meanwhile still
counts. Unreadable text shows which formats work; a time in the past asks once more before saving.
The write runs in a thread worker; the modal dismisses with the stored row (a dict) or None.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static

from screens.followup_format import plan_text, trigger_text, untrusted
from workbench.context import Context
from workbench.dateparse import DateParseError
from workbench.i18n import t
from workbench.services import followup_triggers as triggers
from workbench.services import followups
from workbench.services.followup_model import KINDS, NOTE_LIMIT, FollowUpError, case_guard, past_error
from workbench.store import StoreError
from workbench.timefmt import short_local


@dataclass(frozen=True)
class ParcelFacts:
    """The case's order and parcels, read once when the modal opens (the preview's only data).

    ``order_id`` is None when the case has no order or the order is not in this cache; ``shipments``
    are the order's parcels newest first; ``newest`` is what the events say about the first of them
    (the one a "latest" trigger follows; a "next" trigger follows none of the known ones).
    """

    order_id: str | None
    shipments: tuple[str, ...] = ()
    newest: triggers.Facts | None = None


def read_parcels(ctx: Context, order_id: str | None) -> ParcelFacts:
    """The parcel facts for ``order_id`` (a worker thread: a few indexed rows)."""
    conn = ctx.store.conn
    if not order_id or conn.execute("SELECT 1 FROM orders WHERE id = ?", (order_id,)).fetchone() is None:
        return ParcelFacts(None)
    shipments = tuple(triggers.order_shipments(conn, order_id))
    newest = triggers.shipment_facts(conn, ctx, shipments[0]) if shipments else None
    return ParcelFacts(order_id, shipments, newest)


def trigger_plan(ctx: Context, spec: dict[str, Any], parcels: ParcelFacts) -> followups.Plan:
    """The plan saving would give for trigger ``spec``, from the facts read once (no SQL: every keystroke).

    Raises FollowUpError as the service would (no order, a day or hour count out of range).
    """
    if parcels.order_id is None:
        raise FollowUpError("no_order")
    # A new trigger follows the order's newest parcel, or none yet ("next"): the one whose facts were read.
    facts = {parcels.shipments[0]: parcels.newest} if parcels.shipments else {}
    trigger, outcome = triggers.new_trigger(
        spec["type"], parcels.order_id, list(parcels.shipments), facts.get, ctx.clock.now(), ctx.tz,
        days=spec.get("days"), hours=spec.get("hours"), wait_for=spec.get("wait_for", "latest"))
    return followups.Plan(outcome.due_at, "trigger", trigger_spec=spec, trigger=trigger)


class InfoLoaded(Message):
    def __init__(self, case: dict[str, Any] | None, agents: list[tuple[str, str]], error: str = "") -> None:
        self.case, self.agents, self.error = case, agents, error
        super().__init__()


class ParcelsLoaded(Message):
    """The case's parcel facts (or why they could not be read), for the trigger previews."""

    def __init__(self, parcels: ParcelFacts | None, error: str = "") -> None:
        self.parcels, self.error = parcels, error
        super().__init__()


class Saved(Message):
    def __init__(self, row: dict[str, Any] | None, error: FollowUpError | None = None, text: str = "") -> None:
        self.row, self.error, self.text = row, error, text
        super().__init__()


class FollowUpModal(ModalScreen[dict[str, Any] | None]):
    """Schedule a follow-up on ``case_id``; ``kind``/``when``/``note`` pre-fill (e.g. from a playbook)."""

    CSS_PATH = "followup_modal.tcss"
    BINDINGS = [
        Binding("escape", "cancel", t("followups.ui.cancel"), id="followup.cancel"),
        Binding("ctrl+s", "save", t("followups.ui.save"), id="followup.save"),
    ]

    def __init__(self, ctx: Context, case_id: str, kind: str | None = None, when: str | None = None,
                 note: str = "") -> None:
        super().__init__()
        self.ctx, self.case_id = ctx, case_id
        self.initial_kind = kind if kind in KINDS else "call_back"
        when = followups.readable_when(when, ctx.lang)  # playbooks say "3d_after_delivery"
        self.initial_choice = when if when in followups.QUICK_CHOICES else ("custom" if when else "plus_2h")
        self.initial_text = "" if when in followups.QUICK_CHOICES else (when or "")
        self.initial_note = note
        self.choice = self.initial_choice
        self.plan: followups.Plan | None = None
        self.parcels: ParcelFacts | None = None  # None until the worker has read them
        self.parcels_error = ""
        self.confirm_past = False
        self.ready = False
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="fu-dialog"):
            yield Static(Text(t("common.loading")), id="fu-case")
            with RadioSet(id="fu-quick", compact=True):
                for choice in followups.QUICK_CHOICES:
                    yield RadioButton(t(f"followups.quick.{choice}"), value=choice == self.initial_choice,
                                      id=f"fu-quick-{choice}", compact=True)
            with Horizontal(classes="fu-row"):
                yield Label(t("followups.ui.when"), classes="fu-label")
                yield Input(self.initial_text, placeholder=t("followups.ui.when_placeholder"), compact=True,
                            id="fu-when")
            yield Static(id="fu-preview")
            with Horizontal(classes="fu-row"):
                yield Label(t("followups.ui.kind"), classes="fu-label")
                yield Select([(t(f"followups.kind.{k}"), k) for k in KINDS], value=self.initial_kind,
                             allow_blank=False, compact=True, id="fu-kind")
                yield Label(t("followups.ui.owner"), classes="fu-label fu-owner-label")
                yield Select([], allow_blank=True, compact=True, id="fu-owner")
            with Horizontal(classes="fu-row"):
                yield Label(t("followups.ui.note"), classes="fu-label")
                yield Input(self.initial_note, placeholder=t("followups.ui.note_placeholder"), compact=True,
                            max_length=NOTE_LIMIT, id="fu-note")
            yield Static(id="fu-message")
            with Horizontal(id="fu-buttons"):
                yield Button(t("followups.ui.save"), variant="primary", compact=True, id="fu-save", disabled=True)
                yield Button(t("followups.ui.cancel"), compact=True, id="fu-cancel")

    def on_mount(self) -> None:
        dialog = self.query_one("#fu-dialog")
        dialog.border_title = t("followups.ui.modal_title")
        dialog.border_subtitle = t("followups.ui.modal_keys")
        self.query_one("#fu-when" if self.choice == "custom" else "#fu-quick").focus()
        self.load_info()

    @work(thread=True, exclusive=True, group="fu-info")
    def load_info(self) -> None:
        agents: list[tuple[str, str]] = []
        try:
            agents = [(r["id"], r["name"]) for r in self.ctx.store.query(
                "SELECT id, name FROM agents WHERE active = 1 ORDER BY role, id")]
            case = case_guard(self.ctx.store.conn, self.case_id)
            case["customer_name"] = self.ctx.store.scalar("SELECT name FROM customers WHERE id = ?",
                                                          (case["customer_id"],))
            self.post_message(InfoLoaded(case, agents))
        except (FollowUpError, StoreError) as exc:
            self.post_message(InfoLoaded(None, agents, str(exc)))
            self.post_message(ParcelsLoaded(None, str(exc)))  # a trigger preview must not say "loading" forever
            return
        try:  # after the case line is on screen: the parcels are only needed for trigger previews
            self.post_message(ParcelsLoaded(read_parcels(self.ctx, case.get("order_id"))))
        except (StoreError, sqlite3.Error) as exc:
            self.post_message(ParcelsLoaded(None, str(exc)))

    @on(InfoLoaded)
    def _info(self, message: InfoLoaded) -> None:
        owner = self.query_one("#fu-owner", Select)
        owner.set_options([(f"{name} ({agent_id})", agent_id) for agent_id, name in message.agents])
        if any(agent_id == self.ctx.agent_id for agent_id, _ in message.agents):
            owner.value = self.ctx.agent_id
        case_line = self.query_one("#fu-case", Static)
        if message.case is None:
            case_line.update(Text(message.error, style="bold red"))
            return
        case = message.case
        line = Text(t("followups.ui.for_case", case=case["id"]) + " ", style="bold")
        line.append_text(untrusted(case.get("customer_name"), 16))
        line.append(" · ")
        line.append_text(untrusted(case.get("subject"), 40))
        if case["status"] == "closed":
            line.append("  " + t("followups.warning.case_closed"), style="yellow")
        case_line.update(line)
        if not case.get("order_id"):
            self.query_one("#fu-quick-after_delivery_3d", RadioButton).disabled = True
        self.ready = True
        self._update_preview()

    @on(ParcelsLoaded)
    def _parcels(self, message: ParcelsLoaded) -> None:
        self.parcels, self.parcels_error = message.parcels, message.error
        self._update_preview()

    # ----- live preview -------------------------------------------------------------------------
    @on(RadioSet.Changed, "#fu-quick")
    def _quick(self, event: RadioSet.Changed) -> None:
        self.choice = (event.pressed.id or "fu-quick-custom").removeprefix("fu-quick-")
        if self.choice == "custom":
            self.query_one("#fu-when", Input).focus()
        self._update_preview()

    @on(Input.Changed, "#fu-when")
    def _typed(self, event: Input.Changed) -> None:
        if event.value.strip() and self.choice != "custom":
            self.query_one("#fu-quick-custom", RadioButton).value = True
            self.choice = "custom"
        self._update_preview()

    def _update_preview(self) -> None:
        """Recompute the preview; never reads the store (times are parsed, triggers use the cached facts)."""
        self.confirm_past = False
        self.query_one("#fu-message", Static).update("")
        self.query_one("#fu-save", Button).label = t("followups.ui.save")
        preview = self.query_one("#fu-preview", Static)
        text = self.query_one("#fu-when", Input).value
        self.plan = None
        try:
            spec = followups.trigger_spec(self.choice, text)
            if spec is None:
                # case_id=None: a time never needs the case, and this call must not query for it.
                self.plan = followups.plan(self.ctx, None, self.choice, text)
            elif self.parcels_error:
                preview.update(Text(t("followups.ui.preview_parcels_failed", detail=self.parcels_error),
                                    style="red"))
            elif self.parcels is None:
                preview.update(Text(t("followups.ui.preview_loading"), style="dim"))
            else:
                self.plan = trigger_plan(self.ctx, spec, self.parcels)
        except (DateParseError, FollowUpError) as exc:
            preview.update(Text(str(exc), style="red"))
        if self.plan is not None:
            preview.update(plan_text(self.plan, self.ctx.clock.now(), self.ctx.tz))
        self.query_one("#fu-save", Button).disabled = self.plan is None or not self.ready

    # ----- saving -------------------------------------------------------------------------------
    @on(Button.Pressed, "#fu-save")
    def action_save(self) -> None:
        if self.plan is None or self.busy or not self.ready:
            return
        if self.plan.due_at < self.ctx.clock.now() and not self.plan.trigger_spec and not self.confirm_past:
            self.confirm_past = True
            self.query_one("#fu-message", Static).update(
                Text(str(past_error(self.plan.due_at, self.ctx.tz)), style="bold yellow"))
            self.query_one("#fu-save", Button).label = t("followups.ui.save_anyway")
            return
        owner = self.query_one("#fu-owner", Select).value
        self.busy = True
        self._save(self.plan, str(self.query_one("#fu-kind", Select).value),
                   self.query_one("#fu-note", Input).value, owner if isinstance(owner, str) else None,
                   self.confirm_past)

    @work(thread=True, exclusive=True, group="fu-save")
    def _save(self, plan: followups.Plan, kind: str, note: str, owner: str | None, allow_past: bool) -> None:
        try:
            row = followups.schedule(self.ctx, self.case_id, kind, when=plan, note=note, owner_id=owner,
                                     allow_past=allow_past)
        except FollowUpError as exc:
            self.post_message(Saved(None, exc))
        except StoreError as exc:
            self.post_message(Saved(None, None, str(exc)))
        else:
            self.post_message(Saved(row))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self.busy = False
        if message.row is not None:
            row = message.row
            when = short_local(row["due_at"], self.ctx.tz) if row.get("due_at") else trigger_text(row.get("trigger"))
            self.notify(t("followups.ui.saved", kind=t(f"followups.kind.{row['kind']}"), when=when), markup=False)
            self.dismiss(row)
            return
        if message.error is not None and message.error.code == "past":
            self.confirm_past = True
            self.query_one("#fu-save", Button).label = t("followups.ui.save_anyway")
        text = str(message.error) if message.error is not None else message.text
        self.query_one("#fu-message", Static).update(Text(text, style="bold red"))

    @on(Input.Submitted, "#fu-when")
    def _when_entered(self) -> None:
        """Enter after the time goes on to the note (the usual order), not nowhere."""
        self.query_one("#fu-note", Input).focus()

    @on(Input.Submitted, "#fu-note")
    def _note_entered(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#fu-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
