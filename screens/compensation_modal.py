"""Compensation modal: kind, amount, reason — with the limit, the history, the signals and a live decision.

The decision shown is the core's own (:func:`workbench.services.compensation.preview`), recomputed as
the agent types; the service decides again inside its write transaction on submit, so the button is a
convenience, never the enforcement. Over the limit the button becomes 「提交审批」 and the request
carries its context. Abuse signals are shown for judgement and never block anything.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from workbench import sanitize
from workbench.authority import ACTIONS, Decision, Policy, PolicyError
from workbench.context import Context
from workbench.i18n import t
from workbench.money import MoneyError, format_fen, parse_yuan
from workbench.services import compensation
from workbench.services.compensation_views import ModalInfo
from workbench.store import StoreError
from workbench.timefmt import short_local

RECENT_ROWS = 3
OUTCOME_STYLE = {"allowed": "bold green", "needs_approval": "bold yellow", "denied": "bold red"}
OUTCOME_MARK = {"allowed": "✓ ", "needs_approval": "⧗ ", "denied": "✗ "}


class InfoLoaded(Message):
    def __init__(self, info: ModalInfo) -> None:
        self.info = info
        super().__init__()


class PreviewReady(Message):
    def __init__(self, key: tuple[str, int], decision: Decision) -> None:
        self.key, self.decision = key, decision
        super().__init__()


class Submitted(Message):
    def __init__(self, result: compensation.Result) -> None:
        self.result = result
        super().__init__()


class Failed(Message):
    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__()


def _yuan_text(amount_fen: int | None) -> str:
    if amount_fen is None:
        return ""
    return format_fen(amount_fen, symbol="").replace(",", "")


class CompensationModal(ModalScreen[dict[str, Any] | None]):
    """Give a compensation on ``case_id``; dismisses with ``{id, status, action, amount_fen}`` or None."""

    CSS_PATH = "compensation_modal.tcss"
    BINDINGS = [
        Binding("escape", "cancel", t("authority.modal.cancel"), id="compensation.cancel"),
        Binding("ctrl+s", "submit", t("authority.modal.issue"), id="compensation.submit"),
    ]

    def __init__(self, ctx: Context, case_id: str, action: str | None = None, amount_fen: int | None = None,
                 reason: str = "") -> None:
        super().__init__()
        self.ctx, self.case_id = ctx, case_id
        self.initial_action = action if action in ACTIONS else "coupon"
        self.initial_amount, self.initial_reason = amount_fen, reason
        self.info: ModalInfo | None = None
        self.decision: Decision | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="comp-dialog"):
            with Horizontal(classes="comp-row"):
                yield Label(t("authority.modal.kind"), classes="comp-label")
                yield Select([(t(f"authority.action.{a}"), a) for a in ACTIONS], value=self.initial_action,
                             allow_blank=False, compact=True, id="comp-action")
                yield Label(t("authority.modal.amount"), classes="comp-label comp-amount-label")
                yield Input(_yuan_text(self.initial_amount), placeholder=t("authority.modal.amount_placeholder"),
                            compact=True, id="comp-amount")
            with Horizontal(classes="comp-row"):
                yield Label(t("authority.modal.reason"), classes="comp-label")
                yield Input(self.initial_reason, placeholder=t("authority.modal.reason_placeholder"),
                            compact=True, max_length=500, id="comp-reason")
            with VerticalScroll(id="comp-body"):
                yield Static(Text(t("authority.modal.loading")), id="comp-authority")
                yield Static(id="comp-history")
                yield Static(id="comp-signals")
            yield Static(id="comp-preview")
            with Horizontal(id="comp-buttons"):
                yield Button(t("authority.modal.issue"), variant="primary", compact=True, id="comp-submit",
                             disabled=True)
                yield Button(t("authority.modal.cancel"), compact=True, id="comp-cancel")

    def on_mount(self) -> None:
        # A Text, never a str: a border title string is parsed as markup, and the customer's name is data.
        dialog = self.query_one("#comp-dialog")
        dialog.border_title = Text(t("authority.modal.title", customer="…"))
        dialog.border_subtitle = Text(t("authority.modal.keys"))
        self.query_one("#comp-amount", Input).focus()
        self.load_info()

    # ----- loading ------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="comp-info")
    def load_info(self) -> None:
        try:
            self.post_message(InfoLoaded(compensation.modal_info(self.ctx, self.case_id)))
        except PolicyError as exc:
            self.post_message(Failed(t("authority.modal.policy_error", detail=str(exc))))
        except (LookupError, StoreError, sqlite3.Error) as exc:
            self.post_message(Failed(str(exc)))

    def on_info_loaded(self, message: InfoLoaded) -> None:
        info = self.info = message.info
        customer = sanitize.one_line(info.customer.get("name") or "", 24)
        order = (t("authority.modal.order", order_no=sanitize.one_line(info.order["order_no"], 24))
                 if info.order else t("authority.modal.no_order"))
        self.query_one("#comp-dialog").border_title = Text(f"{t('authority.modal.title', customer=customer)} · {order}")
        amount = self.query_one("#comp-amount", Input)
        if not amount.value and self.action_name in info.default_amounts_fen:
            amount.value = _yuan_text(info.default_amounts_fen[self.action_name])
        self._show_history(info)
        self._show_signals(info)
        self.refresh_preview()

    def _show_history(self, info: ModalInfo) -> None:
        hist = info.history
        text = Text(t("authority.modal.history", d30=format_fen(hist["d30_fen"]), n30=hist["d30_count"],
                      d90=format_fen(hist["d90_fen"]), n90=hist["d90_count"]))
        if hist["pending"]:
            text.append(t("authority.modal.pending", count=hist["pending"]))
        for row in hist["recent"][:RECENT_ROWS]:
            who = sanitize.one_line(row.get("agent_name") or row["agent_id"], 8)
            text.append(f"\n  {short_local(row['created_at'], self.ctx.tz)} "
                        f"{t('authority.action.' + row['action'])} {format_fen(row['amount_fen'])} "
                        f"{t('authority.status.' + row['status'])} · {who}", style="dim")
        self.query_one("#comp-history", Static).update(text)

    def _show_signals(self, info: ModalInfo) -> None:
        if not info.signals:
            self.query_one("#comp-signals", Static).update(Text(t("authority.modal.no_signals"), style="dim"))
            return
        text = Text(t("authority.modal.signals"), style="bold")
        for signal in info.signals:
            text.append("\n  ⚠ " + sanitize.one_line(signal.message(), 120), style="yellow")
        self.query_one("#comp-signals", Static).update(text)

    # ----- live decision ------------------------------------------------------------------------
    @property
    def action_name(self) -> str:
        value = self.query_one("#comp-action", Select).value
        return value if isinstance(value, str) else "coupon"

    @on(Select.Changed, "#comp-action")
    def _action_changed(self) -> None:
        if self.info is not None:
            amount = self.query_one("#comp-amount", Input)
            default = self.info.default_amounts_fen.get(self.action_name)
            if default is not None and not amount.value:
                amount.value = _yuan_text(default)
        self.refresh_preview()

    @on(Input.Changed, "#comp-amount")
    def _amount_changed(self) -> None:
        self.refresh_preview()

    def _amount_empty(self) -> bool:
        return not self.query_one("#comp-amount", Input).value.strip()

    def _amount(self) -> tuple[int | None, str]:
        raw = self.query_one("#comp-amount", Input).value.strip()
        if not raw:
            return None, t("authority.modal.enter_amount")
        try:
            return parse_yuan(raw), ""
        except MoneyError as exc:
            return None, str(exc)

    def refresh_preview(self) -> None:
        if self.info is None:
            return
        self._show_authority()
        amount, problem = self._amount()
        if amount is None:
            self.decision = None
            # Nothing typed yet is a prompt, not a mistake: only a wrong amount is shown in red.
            style = "dim" if self._amount_empty() else "bold red"
            self.query_one("#comp-preview", Static).update(Text(problem, style=style))
            self._set_button(None)
            return
        self.run_preview(self.action_name, amount, self.info.policy)

    @work(thread=True, exclusive=True, group="comp-preview")
    def run_preview(self, action: str, amount: int, policy: Policy) -> None:
        try:
            decision = compensation.preview(self.ctx, self.case_id, action, amount, policy=policy)
            self.post_message(PreviewReady((action, amount), decision))
        except PolicyError as exc:
            self.post_message(Failed(t("authority.modal.policy_error", detail=str(exc))))
        except (LookupError, MoneyError, StoreError, sqlite3.Error) as exc:
            self.post_message(Failed(str(exc)))

    def on_preview_ready(self, message: PreviewReady) -> None:
        amount, _ = self._amount()
        if message.key != (self.action_name, amount):
            return  # an older keystroke's answer: the newer one is on its way
        decision = self.decision = message.decision
        text = Text(OUTCOME_MARK[decision.outcome] + decision.headline(), style=OUTCOME_STYLE[decision.outcome])
        for line in decision.messages():
            text.append("\n  · " + sanitize.one_line(line, 160))
        if decision.item_by_item and not decision.denied:
            text.append("\n  · " + t("authority.modal.item_by_item"), style="dim")
        self.query_one("#comp-preview", Static).update(text)
        self._set_button(decision)

    def _show_authority(self) -> None:
        info = self.info
        if info is None or info.tier is None:
            return
        action = self.action_name
        line = t("authority.modal.authority", limit=format_fen(info.tier.limits_fen[action]),
                 used=format_fen(info.case_used_fen.get(action, 0)), left=format_fen(info.budget_left_fen),
                 budget=format_fen(info.budget_fen))
        if info.offline_left_fen is not None:
            line += t("authority.modal.offline", left=format_fen(info.offline_left_fen))
        self.query_one("#comp-authority", Static).update(Text(line, style="bold"))

    def _set_button(self, decision: Decision | None) -> None:
        button = self.query_one("#comp-submit", Button)
        needs = decision is not None and decision.needs_approval
        if self.busy:
            button.label = t("authority.modal.working")
        else:
            button.label = t("authority.modal.request") if needs else t("authority.modal.issue")
        button.variant = "warning" if needs else "primary"
        button.disabled = self.busy or decision is None or decision.denied

    # ----- submit -------------------------------------------------------------------------------
    @on(Button.Pressed, "#comp-submit")
    def action_submit(self) -> None:
        if self.busy or self.decision is None or self.decision.denied:
            return
        amount, problem = self._amount()
        reason = self.query_one("#comp-reason", Input).value.strip()
        if amount is None:
            self.notify(problem, severity="error")
            return
        if not reason:
            self.notify(t("authority.error.reason_required"), severity="error")
            self.query_one("#comp-reason", Input).focus()
            return
        self.busy = True
        self._set_button(self.decision)
        self.submit(self.action_name, amount, reason)

    @work(thread=True, exclusive=True, group="comp-submit")
    def submit(self, action: str, amount: int, reason: str) -> None:
        try:
            self.post_message(Submitted(compensation.issue(self.ctx, self.case_id, action, amount, reason)))
        except compensation.AuthorityError as exc:
            self.post_message(Failed(exc.message()))
        except PolicyError as exc:
            self.post_message(Failed(t("authority.modal.policy_error", detail=str(exc))))
        except (LookupError, MoneyError, StoreError, sqlite3.Error) as exc:
            self.post_message(Failed(str(exc)))

    def on_submitted(self, message: Submitted) -> None:
        self.busy = False
        result = message.result
        if result.status == "refused":
            self.notify(result.message(), severity="error")
            self.refresh_preview()
            return
        self.notify(result.message(), severity="information" if result.status == "issued" else "warning")
        self.dismiss({"id": result.compensation_id, "status": result.status, "action": result.action,
                      "amount_fen": result.amount_fen, "case_id": self.case_id})

    def on_failed(self, message: Failed) -> None:
        self.busy = False
        self.query_one("#comp-preview", Static).update(Text(sanitize.clean(message.text), style="bold red"))
        self._set_button(None)

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        reason = self.query_one("#comp-reason", Input)
        if event.input.id == "comp-amount" and not reason.value.strip():
            reason.focus()  # amount first, then the reason: Enter moves on instead of scolding
            return
        self.action_submit()

    @on(Button.Pressed, "#comp-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
