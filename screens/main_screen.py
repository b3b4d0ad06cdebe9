"""The one main screen (DESIGN.md section 2): queue, conversation + playbook + reply, customer 360.

All SQLite work runs in thread workers that report back with messages; the UI thread only renders.
Feature modals (compensation, follow-up, escalation, quick replies, KB search) are imported when first
opened so the first paint does not pay for them.
"""

from __future__ import annotations

import importlib
from typing import Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen

from widgets.composer import Composer
from widgets.conversation import ConversationView
from widgets.customer_panel import CustomerPanel
from widgets.first_frame import after_first_frame
from widgets.kb_suggestions import KbSuggestions
from widgets.key_bar import KeyBar
from widgets.on_demand import show_block
from widgets.queue_list import QueueList
from widgets.sizes import NARROW_BELOW, SHORT_BELOW, WIDE_FROM
from widgets.status_bar import StatusBar
from widgets.stepper import Stepper
from workbench import gcpause
from workbench.context import Context
from workbench.i18n import t
from workbench.services import cases, startup
from workbench.services.status import header_status
from workbench.store import StoreError
from screens import main_notices as notices
from screens.main_messages import (
    CaseLoaded, Notices, OrderLoaded, QueueLoaded, StatusLoaded, SuggestionsLoaded, WorkFailed,
)

# The open case's flows, by action argument: module and class, imported when first opened.
CASE_MODALS = {
    "compensate": ("screens.compensation_modal", "CompensationModal"),
    "follow_up": ("screens.followup_modal", "FollowUpModal"),
    "escalate": ("screens.escalation_modal", "EscalationModal"),
    "quick_replies": ("screens.quick_reply_modal", "QuickReplyModal"),
}
FIRST_SCREEN_WAIT_S = 0.5  # how long the first frame waits for the start-up data before drawing without it


class MainScreen(Screen[None]):
    """Queue on the left, the case in the middle, the customer on the right."""

    # Styles: main_screen.tcss, loaded by the App (this screen is its default screen, see workbench/app.py).

    # Priority: these must work while typing in the reply box, whose TextArea binds ctrl+k/ctrl+e itself.
    BINDINGS = [
        Binding("ctrl+k", "case_modal('compensate')", t("main.compensate"), id="case.compensate", priority=True),
        Binding("ctrl+f", "case_modal('follow_up')", t("main.follow_up"), id="case.follow_up", priority=True),
        Binding("ctrl+e", "case_modal('escalate')", t("main.escalate"), id="case.escalate", priority=True),
        Binding("ctrl+r", "case_modal('quick_replies')", t("main.quick_replies"), id="composer.quick_replies",
                priority=True),
        Binding("ctrl+b", "kb_search", t("main.kb_search"), id="kb.search", priority=True),
        Binding("ctrl+t", "focus_stepper", t("main.focus_stepper"), id="main.focus_stepper", priority=True),
        Binding("ctrl+o", "toggle_customer", t("main.toggle_customer"), id="main.toggle_customer", priority=True),
        Binding("escape", "focus_queue", t("main.focus_queue"), id="main.focus_queue", show=False),
        Binding("ctrl+l", "refresh", t("main.refresh"), id="main.refresh", show=False),
    ]

    def __init__(self, ctx: Context, first: startup.Pending | None = None) -> None:
        """``first`` is the queue/first case/header preload the CLI starts while the UI is imported."""
        super().__init__()
        self.ctx = ctx
        self.view: cases.CaseView | None = None
        self._wanted: str | None = None
        self._first = first
        self._resumed = False
        self.started = False  # True once the work that waits for the first frame has begun
        self._rest_of_queue = False  # the preload listed one page of the queue: load the rest

    def compose(self) -> ComposeResult:
        # Size classes before the children exist: set later, they would restyle the whole tree once more.
        self._apply_size_classes(self.app.size.width, self.app.size.height)
        yield StatusBar(id="status")
        with Horizontal(id="body"):
            queue = QueueList(id="queue")
            queue.border_title = t("main.queue")
            yield queue
            with Vertical(id="center"):
                yield ConversationView(id="conversation")
                yield Stepper(self.ctx, id="stepper")
                yield Composer(self.ctx, id="composer")
            yield CustomerPanel(id="customer")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        self.query_one(QueueList).focus()
        first, self._first = self._first, None
        data = startup.wait_for(first, FIRST_SCREEN_WAIT_S)
        if data is not None:
            # The first frame is drawn complete, with no empty frame before it.
            self.on_status_loaded(StatusLoaded(data.status))
            self._rest_of_queue = data.queue.partial  # loaded once the first frame is out
            self.on_queue_loaded(QueueLoaded(data.queue.rows, data.queue.due, data.queue.first))
        else:
            self.refresh_queue()
            self.refresh_status()
        self.set_interval(1, self._tick)
        self.set_interval(15, self._periodic)

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        """Skip Textual's whole-tree restyle when the screen first becomes active.

        Every widget was styled as it mounted a moment ago, and later class changes restyle their own
        widgets; restyling all of them again cost about as much as drawing the first frame. Later
        resumes (back from a modal) restyle as usual, since the theme may have changed meanwhile.
        """
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    def on_resize(self) -> None:
        self._apply_size_classes(self.app.size.width, self.app.size.height)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The customer-pane toggle only exists (and shows in the footer) in the narrow layout."""
        if action == "toggle_customer":
            return self.has_class("narrow")
        return True

    def _apply_size_classes(self, width: int, height: int) -> None:
        narrow = width < NARROW_BELOW
        if narrow != self.has_class("narrow"):
            self.set_class(narrow, "narrow")
            self.refresh_bindings()
        self.set_class(width >= WIDE_FROM, "wide")
        self.set_class(height < SHORT_BELOW, "short")

    # ----- workers: every query off the UI thread --------------------------------------------
    @work(thread=True, exclusive=True, group="queue")
    def refresh_queue(self) -> None:
        """Reload the queue; while no case is open, the top case comes in the same round trip."""
        try:
            data = startup.queue_data(self.ctx, with_first=self.view is None and self._wanted is None)
        except (StoreError, LookupError) as exc:
            self.post_message(WorkFailed("queue", str(exc)))
            return
        self.post_message(QueueLoaded(data.rows, data.due, data.first))

    @work(thread=True, exclusive=True, group="status")
    def refresh_status(self) -> None:
        try:
            status = header_status(self.ctx)
        except (StoreError, LookupError) as exc:
            self.post_message(WorkFailed("status", str(exc)))
            return
        self.post_message(StatusLoaded(status))

    @work(thread=True, exclusive=True, group="notices")
    def check_notices(self) -> None:
        from workbench.services import compensation, followups  # off the first paint's path

        try:
            decisions = compensation.unseen_decisions(self.ctx)
            due = followups.refresh_states(self.ctx)
            if decisions:
                compensation.mark_decisions_seen(self.ctx, [d["id"] for d in decisions])
        except (StoreError, LookupError) as exc:
            self.post_message(WorkFailed("notices", str(exc)))
            return
        if decisions or due:
            self.post_message(Notices(decisions, due))

    @work(thread=True, exclusive=True, group="case")
    def load_case(self, case_id: str) -> None:
        try:
            view = cases.load(self.ctx, case_id, with_kb=False)
            if cases.needs_triage(view.case) and view.messages:
                from workbench.triage.service import triage_case

                triage_case(self.ctx, case_id)
                view = cases.load(self.ctx, case_id, with_kb=False)
        except (StoreError, LookupError) as exc:
            self.post_message(WorkFailed("case", str(exc)))
            return
        self.post_message(CaseLoaded(view))
        self.load_suggestions(view)

    @work(thread=True, exclusive=True, group="kb")
    def load_suggestions(self, view: cases.CaseView) -> None:
        try:
            hits = cases.suggestions(self.ctx, view)
        except (StoreError, LookupError) as exc:
            self.post_message(WorkFailed("kb", str(exc)))
            return
        self.post_message(SuggestionsLoaded(view.case["id"], hits))

    @work(thread=True, exclusive=True, group="order")
    def load_order(self, order_id: str) -> None:
        try:
            detail = cases.order_detail(self.ctx, order_id)
        except (StoreError, LookupError) as exc:
            self.post_message(WorkFailed("order", str(exc)))
            return
        self.post_message(OrderLoaded(detail))

    @work(thread=True, group="reply")
    def send_reply(self, case_id: str, body: str) -> None:
        try:
            cases.add_reply(self.ctx, case_id, body)
        except (StoreError, LookupError, ValueError) as exc:
            self.post_message(WorkFailed("reply", str(exc)))
            return
        self.app.call_from_thread(self._reply_stored, case_id)

    # ----- results --------------------------------------------------------------------------
    def on_queue_loaded(self, message: QueueLoaded) -> None:
        queue = self.query_one(QueueList)
        queue.due_followups = message.due
        if message.first is not None and self.view is None:
            self._show_case(message.first)
        keep = self._wanted or self._case_id()
        queue.set_rows(message.rows, self.ctx.clock.now(), keep=keep)
        if not message.rows:
            self.query_one(ConversationView).clear()

    def on_notices(self, message: Notices) -> None:
        for decision in message.decisions:
            text, severity = notices.decision_notice(decision)
            self.notify(text, severity=severity, timeout=12, markup=False)
        for text in notices.due_notices(message.due):
            self.notify(text, severity="warning", timeout=12, markup=False)
        if message.due and self.ctx.settings.ui.bell:
            self.app.bell()
        self.refresh_all()

    def on_status_loaded(self, message: StatusLoaded) -> None:
        self.query_one(StatusBar).show(message.status, self.ctx.clock.now(), self.ctx.tz)

    def on_case_loaded(self, message: CaseLoaded) -> None:
        self._show_case(message.view)

    def _show_case(self, view: cases.CaseView) -> None:
        first = self.view is None
        self.view = view
        self._wanted = None
        now = self.ctx.clock.now()
        self.query_one(ConversationView).show(view, self.ctx.tz)
        self.query_one(CustomerPanel).show(view, now, self.ctx.tz)
        self.query_one(Composer).set_case(view)
        self.query_one(Stepper).show_case(view)
        if first:
            after_first_frame(self, self._first_frame_out)

    def _first_frame_out(self) -> None:
        """The first complete frame is on the terminal: start what waited for it, in one place.

        The first case's KB suggestions, the rest of the queue, notifications (due follow-ups, approval
        decisions) and the garbage collector paused for start-up (workbench.gcpause) would otherwise
        compete with that frame. Starting them together also means ``started`` is only set once all
        of their workers exist.
        """
        gcpause.resume()
        if self.view is not None and not self.view.kb_hits:
            self.load_suggestions(self.view)
        if self._rest_of_queue:
            self._rest_of_queue = False
            self.refresh_queue()
        self.check_notices()
        self.started = True

    def on_suggestions_loaded(self, message: SuggestionsLoaded) -> None:
        if self.view is not None and self.view.case["id"] == message.case_id:
            self.view.kb_hits = message.hits
            self.query_one(CustomerPanel).show_suggestions(message.hits)

    def on_order_loaded(self, message: OrderLoaded) -> None:
        items, shipments, events = message.detail
        self.query_one(CustomerPanel).show_order(items, shipments, events, self.ctx.clock.now(), self.ctx.tz)

    def on_work_failed(self, message: WorkFailed) -> None:
        key = "main.reply_failed" if message.key == "reply" else "main.load_failed"
        self.notify(t(key, error=message.error), severity="error", timeout=8, markup=False)

    def _reply_stored(self, case_id: str) -> None:
        self.query_one(Composer).clear()
        self.notify(t("main.reply_sent"), timeout=2, markup=False)
        self.refresh_all()

    # ----- events from widgets --------------------------------------------------------------
    @on(QueueList.Highlighted)
    def _case_highlighted(self, event: QueueList.Highlighted) -> None:
        if self.view is None or self.view.case["id"] != event.case_id:
            self.load_case(event.case_id)

    @on(QueueList.Opened)
    def _case_opened(self, event: QueueList.Opened) -> None:
        self.query_one(Composer).focus_editor()

    @on(Stepper.InsertPhrase)
    def _insert_phrase(self, event: Stepper.InsertPhrase) -> None:
        self.query_one(Composer).insert_text(event.text)

    @on(Stepper.StageChanged)
    def _stage_changed(self, event: Stepper.StageChanged) -> None:
        self.refresh_all()

    @on(Stepper.OpenCompensation)
    def _stepper_compensation(self, event: Stepper.OpenCompensation) -> None:
        from screens.compensation_modal import CompensationModal

        modal = CompensationModal(self.ctx, event.case_id, action=event.action, amount_fen=event.amount_fen)
        self.app.push_screen(modal, event.on_done)  # the stepper records the choice, then reloads the case

    @on(Stepper.OpenFollowUp)
    def _stepper_follow_up(self, event: Stepper.OpenFollowUp) -> None:
        from screens.followup_modal import FollowUpModal

        modal = FollowUpModal(self.ctx, event.case_id, kind=event.kind, when=event.when, note=event.note)
        self.app.push_screen(modal, event.on_done)

    @on(Stepper.AskReason)
    def _stepper_reason(self, event: Stepper.AskReason) -> None:
        from screens.skip_reason_modal import SkipReasonModal

        self.app.push_screen(SkipReasonModal(self.ctx, event.prompt), event.on_done)

    @on(Stepper.ChoosePlaybook)
    def _stepper_playbook(self, event: Stepper.ChoosePlaybook) -> None:
        from screens.playbook_switch_modal import PlaybookSwitchModal

        self.app.push_screen(PlaybookSwitchModal(self.ctx, event.current_id), event.on_done)

    @on(Composer.Submitted)
    def _reply_submitted(self, event: Composer.Submitted) -> None:
        if self.view is not None:
            self.send_reply(self.view.case["id"], event.text)

    @on(CustomerPanel.OrderChosen)
    def _order_chosen(self, event: CustomerPanel.OrderChosen) -> None:
        self.load_order(event.order_id)

    @on(KbSuggestions.OpenArticle)
    def _open_article(self, event: KbSuggestions.OpenArticle) -> None:
        self._push("screens.kb_article_modal", "KbArticleModal", event.article_id)

    @on(KbSuggestions.InsertArticle)
    def _insert_article(self, event: KbSuggestions.InsertArticle) -> None:
        self.load_snippet(event.article_id)

    @work(thread=True, exclusive=True, group="snippet")
    def load_snippet(self, article_id: str) -> None:
        from workbench.services import kb

        try:
            snippet = kb.reply_snippet(self.ctx.store.conn, article_id)
        except (StoreError, LookupError) as exc:
            self.post_message(WorkFailed("kb", str(exc)))
            return
        if snippet:
            self.app.call_from_thread(self.query_one(Composer).insert_text, snippet)

    @on(ConversationView.ReadFull)
    def _read_full(self, event: ConversationView.ReadFull) -> None:
        from screens.text_modal import TextModal

        self.app.push_screen(TextModal(event.body))

    # ----- public API for the app, other screens and tests ------------------------------------
    def select_case(self, case_id: str) -> None:
        """Open a case (from the follow-up board, approvals, a notification…)."""
        self._wanted = case_id
        if not self.query_one(QueueList).select_case(case_id):
            self.load_case(case_id)

    def show_source_banner(self, errors: dict[str, str]) -> None:
        """A clear banner while a data source fails; the cached data below stays visible.

        The banner is mounted under the header the first time a source fails (most shifts never need
        it, and every widget on the first frame costs start-up time), then shown and hidden.
        """
        show_block(self, "banner", notices.source_banner(errors) if errors else None,
                   after=self.query_one(StatusBar))

    def reload_case(self) -> None:
        if self.view is not None:
            self.load_case(self.view.case["id"])

    def refresh_all(self) -> None:
        """Reload everything a change may have touched: the open case, the queue and the header."""
        self.reload_case()
        self.refresh_queue()
        self.refresh_status()

    def _tick(self) -> None:
        self.query_one(QueueList).tick(self.ctx.clock.now())

    def _periodic(self) -> None:
        self.refresh_queue()
        self.refresh_status()
        self.check_notices()

    def _push(self, module: str, name: str, *args: Any, **kwargs: Any) -> None:
        """Open a modal by module/class name; when it closes, reload what it may have changed."""
        screen_class = getattr(importlib.import_module(module), name)
        self.app.push_screen(screen_class(self.ctx, *args, **kwargs), self._after_modal)

    def _after_modal(self, result: Any) -> None:
        if isinstance(result, str) and result.strip():
            self.query_one(Composer).insert_text(result)
        self.refresh_all()

    def _case_id(self) -> str | None:
        return self.view.case["id"] if self.view is not None else None

    # ----- actions ---------------------------------------------------------------------------
    def action_case_modal(self, name: str) -> None:
        """Open one of the open case's flows (compensation, follow-up, escalation, quick replies)."""
        if case_id := self._case_id():
            self._push(*CASE_MODALS[name], case_id)

    def action_kb_search(self) -> None:
        intent = self.view.case["intent"] if self.view is not None else None
        self._push("screens.kb_search_modal", "KbSearchModal", "", intent)

    def action_toggle_customer(self) -> None:
        self.toggle_class("show-customer")

    def action_focus_stepper(self) -> None:
        self.query_one(Stepper).focus()

    def action_focus_queue(self) -> None:
        self.query_one(QueueList).focus()

    def action_refresh(self) -> None:
        self._periodic()
        self.reload_case()
