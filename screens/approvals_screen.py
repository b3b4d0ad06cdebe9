"""Approvals: a lead's queue of over-limit compensation requests from every agent, with their context.

A lead approves or rejects with a note; batch approval covers only requests at or below the policy's
second threshold (larger ones are approved one by one, and the service refuses them in a batch even if
the screen did not). Requests waiting longer than ``settings.approvals.stale_after_minutes`` are
highlighted. An agent who opens this screen sees their own requests and their decisions instead, and
is notified of decisions they have not seen yet.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from workbench import sanitize
from workbench.app import CaseChanged
from workbench.authority import PolicyError
from workbench.authority.decide import Reason
from workbench.authority.signals import Signal
from workbench.context import Context
from workbench.i18n import t
from workbench.money import format_fen
from workbench.services import compensation
from workbench.store import StoreError
from workbench.timefmt import short_local

STALE_STYLE = "bold red"


class Loaded(Message):
    def __init__(self, rows: list[dict[str, Any]], summary: dict[str, Any], lead: bool,
                 unseen: list[dict[str, Any]], threshold_fen: int) -> None:
        self.rows, self.summary, self.lead, self.unseen = rows, summary, lead, unseen
        self.threshold_fen = threshold_fen
        super().__init__()


class Done(Message):
    def __init__(self, results: list[compensation.Result], errors: list[str]) -> None:
        self.results, self.errors = results, errors
        super().__init__()


def waited(minutes: int) -> str:
    if minutes < 60:
        return t("authority.approvals.minutes", minutes=minutes)
    return t("authority.approvals.hours", hours=minutes // 60, minutes=minutes % 60)


def status_label(area: str, value: Any) -> str:
    """A stored status code (``refunding``, ``delivered``…) in the lead's language; unknown codes as they are."""
    code = sanitize.one_line(str(value or ""), 16)
    label = t(f"{area}.{code}")
    return code if label == f"{area}.{code}" else label


def render_context(row: dict[str, Any], tz: str) -> Text:
    """The request's context for the lead: case, order, shipment, transcript, history, signals, why."""
    ctx = row.get("context") or {}
    text = Text()

    def head(key: str) -> None:
        text.append(("\n" if text.plain else "") + t(f"authority.approvals.{key}") + "  ", style="bold")

    if row.get("context_error"):
        text.append(t("authority.approvals.ctx_unreadable", detail=row["context_error"]) + "\n", style="red")
    case = ctx.get("case") or {}
    head("ctx_case")
    text.append(sanitize.one_line(row.get("case_subject") or case.get("subject") or "", 60))
    order = ctx.get("order")
    head("ctx_order")
    if order:
        items = "、".join(f"{sanitize.one_line(i.get('title'), 24)}×{i.get('qty', 1)}" for i in order.get("items", []))
        status = status_label("data.order_status", order.get("status"))
        text.append(f"{sanitize.one_line(order.get('order_no'), 24)} · {status} · "
                    f"{format_fen(int(order.get('paid_fen') or 0))} · {items}")
    else:
        text.append(t("authority.approvals.ctx_none"), style="dim")
    shipment = ctx.get("shipment")
    if shipment:
        head("ctx_shipment")
        text.append(f"{sanitize.one_line(shipment.get('carrier'), 12)} {sanitize.one_line(shipment.get('tracking_no'), 24)}"
                    f" · {status_label('data.status', shipment.get('status'))}")
        if shipment.get("anomaly"):
            anomaly = "data.screen.issue_stalled" if shipment["anomaly"] == "stalled" else None
            text.append(" ⚠ " + (t(anomaly) if anomaly else status_label("data.anomaly", shipment["anomaly"])),
                        style="yellow")
        if shipment.get("delivered_at"):
            text.append(f" · {short_local(shipment['delivered_at'], tz)}")
    head("ctx_reason")
    text.append(sanitize.one_line(row.get("reason"), 200))
    transcript = ctx.get("transcript") or []
    if transcript:
        head("ctx_transcript")
        for message in transcript:
            who = t(f"authority.approvals.author_{message.get('author', 'customer')}")
            text.append(f"\n  {who} {short_local(message.get('at'), tz, '%H:%M')}  ", style="dim")
            text.append(sanitize.one_line(message.get("body"), 160))
    hist = ctx.get("history") or {}
    if hist:
        head("ctx_history")
        text.append(t("authority.modal.history", d30=format_fen(int(hist.get("d30_fen", 0))), n30=hist.get("d30_count", 0),
                      d90=format_fen(int(hist.get("d90_fen", 0))), n90=hist.get("d90_count", 0)))
    head("ctx_signals")
    signals = ctx.get("signals") or []
    if not signals:
        text.append(t("authority.modal.no_signals"), style="dim")
    for item in signals:
        text.append("\n  ⚠ " + sanitize.one_line(Signal(item.get("code", ""), item.get("fields", {})).message(), 120),
                    style="yellow")
    decision = ctx.get("decision") or {}
    head("ctx_decision")
    for reason in decision.get("reasons", []):
        text.append("\n  · " + sanitize.one_line(Reason(reason.get("code", ""), reason.get("fields", {})).message(), 160))
    if row.get("item_by_item"):
        text.append("\n  · " + t("authority.modal.item_by_item"), style="dim")
    if row.get("decided_by"):
        head("ctx_note")
        text.append(t("authority.approvals.decided", status=t(f"authority.status.{row['status']}"),
                      who=sanitize.one_line(row.get("decided_by_name") or row["decided_by"], 12),
                      at=short_local(row.get("decided_at"), tz)) + "  " + sanitize.one_line(row.get("decision_note"), 160))
    return text


class ApprovalsScreen(Screen[None]):
    """Pending compensation requests (lead) or the agent's own requests (agent)."""

    CSS_PATH = "approvals_screen.tcss"
    BINDINGS = [
        Binding("a", "approve", t("authority.approvals.approve"), id="approvals.approve"),
        Binding("r", "reject", t("authority.approvals.reject"), id="approvals.reject"),
        Binding("space", "mark", t("authority.approvals.mark"), id="approvals.mark"),
        Binding("b", "batch", t("authority.approvals.batch"), id="approvals.batch"),
        Binding("n", "focus_note", t("authority.approvals.note"), id="approvals.note"),
        Binding("o", "open_case", t("authority.approvals.open_case"), id="approvals.open_case"),
        Binding("ctrl+l", "reload", t("authority.approvals.refresh"), id="approvals.refresh", show=False),
        Binding("escape", "back", t("authority.approvals.back"), id="approvals.back"),
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.rows: list[dict[str, Any]] = []
        self.marked: set[str] = set()
        self.lead = False
        self.summary: dict[str, Any] = {}
        self.threshold_fen = 0  # the policy's second threshold, read by the loader (no file read on the UI thread)
        self.reject_pending = False  # `r` without a note: Enter in the note box then rejects

    def compose(self) -> ComposeResult:
        yield Static(Text(t("authority.approvals.title"), style="bold"), id="ap-title")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="ap-table")
        with VerticalScroll(id="ap-detail"):
            yield Static(id="ap-context")
        yield Input(placeholder=t("authority.approvals.note_placeholder"), compact=True, max_length=500, id="ap-note")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#ap-table", DataTable).focus()
        self.action_reload()

    # ----- loading ------------------------------------------------------------------------------
    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="approvals-load")
    def load(self) -> None:
        try:
            lead = self.ctx.agent().get("role") == "lead"
            rows = compensation.pending(self.ctx) if lead else compensation.my_requests(self.ctx)
            unseen = [] if lead else compensation.unseen_decisions(self.ctx)
            if unseen:
                compensation.mark_decisions_seen(self.ctx, [u["id"] for u in unseen])
            threshold = compensation.current_policy(self.ctx).second_threshold_fen
            self.post_message(Loaded(rows, compensation.authority_summary(self.ctx), lead, unseen, threshold))
        except (PolicyError, StoreError, sqlite3.Error) as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")

    def on_loaded(self, message: Loaded) -> None:
        self.rows, self.summary, self.lead = message.rows, message.summary, message.lead
        self.threshold_fen = message.threshold_fen
        self.marked &= {r["id"] for r in self.rows}
        self._fill_table()
        if message.unseen:
            sep = t("authority.approvals.list_sep")
            items = sep.join(f"{t('authority.action.' + u['action'])} {format_fen(u['amount_fen'])} "
                             f"{t('authority.status.' + u['status'])}" for u in message.unseen)
            self.notify(t("authority.approvals.decision_seen", items=items), timeout=8)

    def _fill_table(self) -> None:
        table = self.query_one("#ap-table", DataTable)
        keep = self._current_id()
        table.clear(columns=True)
        stale = sum(1 for r in self.rows if r["stale"])
        if self.lead:
            title = t("authority.approvals.title") + "  " + t(
                "authority.approvals.summary", count=len(self.rows), stale=stale,
                left=format_fen(int(self.summary.get("approval_left_fen", 0))))
        else:
            title = t("authority.approvals.title_mine") + "  " + t("authority.approvals.summary_mine", count=len(self.rows))
        self.query_one("#ap-title", Static).update(Text(title, style="bold"))
        self.query_one("#ap-note", Input).display = self.lead
        columns = ["col_mark", "col_waited", "col_agent", "col_customer", "col_action", "col_amount", "col_reason"]
        if not self.lead:
            columns = ["col_waited", "col_status", "col_customer", "col_action", "col_amount", "col_reason"]
        cells = [self._cells(row, columns) for row in self.rows]
        for index, key in enumerate(columns):
            label = t(f"authority.approvals.{key}")
            # Widths computed here, not on the table's next idle, so the first paint is already right.
            width = max([cell_len(label), *(row[index].cell_len for row in cells)])
            table.add_column(label, key=key, width=width)
        for row, row_cells in zip(self.rows, cells):
            table.add_row(*row_cells, key=row["id"])
        if not self.rows:
            empty = "authority.approvals.empty" if self.lead else "authority.approvals.empty_mine"
            self.query_one("#ap-context", Static).update(Text(t(empty), style="dim"))
            return
        if keep is not None and any(r["id"] == keep for r in self.rows):
            table.move_cursor(row=table.get_row_index(keep))
        self._show_detail()

    def _cells(self, row: dict[str, Any], columns: list[str]) -> list[Text]:
        style = STALE_STYLE if row["stale"] else ""
        amount = Text(format_fen(row["amount_fen"]), style=style or "bold")
        if row["item_by_item"]:
            amount.append(" " + t("authority.approvals.item_by_item"), style="italic")
        wait = waited(row["waited_minutes"]) + (" " + t("authority.approvals.stale") if row["stale"] else "")
        values = {
            "col_mark": Text("☑" if row["id"] in self.marked else "☐"),
            "col_waited": Text(wait, style=style),
            "col_agent": Text(sanitize.one_line(row.get("agent_name") or row["agent_id"], 8), style=style),
            "col_customer": Text(sanitize.one_line(row.get("customer_name") or "", 10), style=style),
            "col_action": Text(t(f"authority.action.{row['action']}"), style=style),
            "col_amount": amount,
            "col_reason": Text(sanitize.one_line(row.get("reason"), 28), style=style),
            "col_status": Text(t(f"authority.status.{row['status']}"),
                               style={"approved": "green", "rejected": "red"}.get(row["status"], "")),
        }
        return [values[c] for c in columns]

    def _current_id(self) -> str | None:
        table = self.query_one("#ap-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(key) if key is not None else None

    def _current(self) -> dict[str, Any] | None:
        current = self._current_id()
        return next((r for r in self.rows if r["id"] == current), None)

    @on(DataTable.RowHighlighted, "#ap-table")
    def _show_detail(self) -> None:
        row = self._current()
        if row is not None:
            self.query_one("#ap-context", Static).update(render_context(row, self.ctx.tz))

    # ----- decisions ----------------------------------------------------------------------------
    def _lead_only(self) -> bool:
        if not self.lead:
            self.notify(t("authority.approvals.lead_only"), severity="warning")
        return self.lead

    def action_approve(self) -> None:
        row = self._current()
        if row is not None and self._lead_only():
            self.decide("approve", [row["id"]], self.query_one("#ap-note", Input).value)

    def action_reject(self) -> None:
        row = self._current()
        if row is None or not self._lead_only():
            return
        box = self.query_one("#ap-note", Input)
        note = box.value.strip()
        if not note:
            self.notify(t("authority.error.note_required"), severity="error")
            self.reject_pending = True
            box.placeholder = t("authority.approvals.reject_placeholder")
            box.focus()
            return
        self._end_reject()
        self.decide("reject", [row["id"]], note)

    def _end_reject(self) -> None:
        self.reject_pending = False
        self.query_one("#ap-note", Input).placeholder = t("authority.approvals.note_placeholder")

    def action_mark(self) -> None:
        row = self._current()
        if row is None or not self._lead_only():
            return
        self.marked ^= {row["id"]}
        table = self.query_one("#ap-table", DataTable)
        table.update_cell(row["id"], "col_mark", Text("☑" if row["id"] in self.marked else "☐"))

    def action_batch(self) -> None:
        if not self._lead_only():
            return
        if not self.marked:
            self.notify(t("authority.approvals.nothing_marked"), severity="warning")
            return
        chosen = [r for r in self.rows if r["id"] in self.marked]
        large = [r for r in chosen if r["item_by_item"]]
        if large:
            items = "、".join(f"{sanitize.one_line(r.get('customer_name'), 8)} {format_fen(r['amount_fen'])}"
                             for r in large)
            self.notify(t("authority.approvals.batch_skipped", threshold=format_fen(self.threshold_fen), items=items),
                        severity="warning", timeout=8)
        ids = [r["id"] for r in chosen if not r["item_by_item"]]
        if ids:
            self.decide("batch", ids, self.query_one("#ap-note", Input).value)

    @work(thread=True, exclusive=True, group="approvals-decide")
    def decide(self, verb: str, ids: list[str], note: str) -> None:
        results: list[compensation.Result] = []
        errors: list[str] = []
        for comp_id in ids:
            try:
                if verb == "reject":
                    results.append(compensation.reject(self.ctx, comp_id, note))
                else:
                    results.append(compensation.approve(self.ctx, comp_id, note, batch=verb == "batch"))
            except compensation.AuthorityError as exc:
                errors.append(exc.message())
            except (LookupError, PolicyError, StoreError, sqlite3.Error) as exc:
                errors.append(str(exc))
        self.post_message(Done(results, errors))

    def on_done(self, message: Done) -> None:
        ok = [r for r in message.results if r.status in ("approved", "rejected")]
        refused = [r for r in message.results if r.status not in ("approved", "rejected")]
        if len(message.results) + len(message.errors) > 1:
            self.notify(t("authority.approvals.batch_done", ok=len(ok), failed=len(refused) + len(message.errors)))
        else:
            for result in ok:
                self.notify(result.message())
        for result in refused:
            self.notify(result.message(), severity="error", timeout=8)
        for error in message.errors:
            self.notify(error, severity="error", timeout=8)
        self.marked -= {r.compensation_id for r in ok}
        cases = {r["id"]: r.get("case_id") for r in self.rows}
        for result in ok:
            if cases.get(result.compensation_id):  # the main screen reloads the case if it shows it
                self.app.post_message(CaseChanged(str(cases[result.compensation_id])))
        if ok:
            self.query_one("#ap-note", Input).value = ""
        self.load()

    # ----- navigation ---------------------------------------------------------------------------
    def action_focus_note(self) -> None:
        if self._lead_only():
            self.query_one("#ap-note", Input).focus()

    @on(Input.Submitted, "#ap-note")
    def _note_done(self) -> None:
        self.query_one("#ap-table", DataTable).focus()
        if self.reject_pending and self.query_one("#ap-note", Input).value.strip():
            self.action_reject()  # the lead pressed r, was asked why, typed it: finish the rejection

    def action_open_case(self) -> None:
        row = self._current()
        open_case = getattr(self.app, "open_case", None)
        if row is not None and row.get("case_id") and callable(open_case):
            open_case(row["case_id"])

    def action_back(self) -> None:
        if self.focused is self.query_one("#ap-note", Input):
            self._end_reject()
            self.query_one("#ap-table", DataTable).focus()
            return
        self.app.pop_screen()
