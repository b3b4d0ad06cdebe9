"""Follow-ups: an agent's own (due / today / upcoming) and, for a lead, every agent's board.

Paged: the table holds one page (50 rows) read by a thread worker from the partial indexes of migration
0040, so 100k follow-ups open as fast as 100 (``bench/followups.py``). Selection is by id and survives
paging; bulk actions (done with a note, reassign, cancel) run in one transaction and report skips.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Select, Static, Tab, Tabs

from screens.followup_columns import COLUMNS, NARROW_BELOW, fit, label_width
from screens.followup_format import case_cell, due_text, status_text, trigger_text, untrusted
from workbench import sla
from workbench.context import Context
from workbench.i18n import t
from workbench.services import followup_board as board
from workbench.services import followups
from workbench.services.followup_model import KINDS, BulkResult, FollowUpError
from workbench.store import StoreError

AGENT_VIEWS = ("due", "today", "upcoming", "open", "closed")
LEAD_VIEWS = ("overdue", "today", "upcoming", "open", "agents", "closed")


class PageLoaded(Message):
    def __init__(self, query: board.BoardQuery, offset: int, rows: list[dict[str, Any]], total: int,
                 summary: list[dict[str, Any]] | None) -> None:
        self.board_query, self.offset, self.rows, self.total, self.summary = query, offset, rows, total, summary
        super().__init__()


class ActionDone(Message):
    def __init__(self, result: BulkResult | None, error: str = "", case_id: str | None = None) -> None:
        self.result, self.error, self.case_id = result, error, case_id
        super().__init__()


class FollowUpsScreen(Screen[None]):
    """Mine (agent) or the team board (lead): views, filters, sort, paging, multi-select, bulk actions."""

    CSS_PATH = "followups_screen.tcss"
    BINDINGS = [
        Binding("escape", "close", t("followups.ui.back"), id="followups.close"),
        Binding("space", "toggle_select", t("followups.ui.select"), id="followups.select"),
        Binding("a", "select_page", t("followups.ui.select_page"), id="followups.select_page", show=False),
        Binding("ctrl+a", "select_all", t("followups.ui.select_all"), id="followups.select_all", show=False),
        Binding("d", "done", t("followups.ui.done"), id="followups.done"),
        Binding("r", "reassign", t("followups.ui.reassign"), id="followups.reassign"),
        Binding("x", "cancel_selected", t("followups.ui.cancel_fu"), id="followups.cancel", show=False),
        Binding("o", "open_case", t("followups.ui.open_case"), id="followups.open_case"),
        Binding("n", "page(1)", t("followups.ui.next_page"), id="followups.next_page"),
        Binding("p", "page(-1)", t("followups.ui.prev_page"), id="followups.prev_page"),
        Binding("s", "cycle_sort", t("followups.ui.sort"), id="followups.sort"),
        Binding("slash", "focus('#fu-filter')", t("followups.ui.filter"), id="followups.filter"),
        Binding("h", "handoff", t("followups.ui.handoff"), id="followups.handoff", show=False),
        Binding("ctrl+r", "reload", t("followups.ui.reload"), id="followups.reload", show=False),
        *[Binding(str(n), f"view({n})", t("followups.ui.view_n", n=n), id=f"followups.view_{n}", show=False)
          for n in range(1, 7)],
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.is_lead = ctx.agent().get("role") == "lead"
        self.views = LEAD_VIEWS if self.is_lead else AGENT_VIEWS
        self.current_view = self.views[0]
        self.query_state = board.BoardQuery(view=self.current_view, owner_id=None if self.is_lead else ctx.agent_id)
        self.page_offset, self.total = 0, 0
        self.rows: list[dict[str, Any]] = []
        self.selected: set[str] = set()
        self.narrow: bool | None = None
        self.agents: list[tuple[str, str, str]] = []
        self.widths: dict[str, int | None] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="fu-title")
        yield Tabs(*[Tab(t(f"followups.view.{v}"), id=f"view-{v}") for v in self.views], id="fu-tabs")
        with Horizontal(id="fu-filters"):
            yield Input(placeholder=t("followups.ui.filter_placeholder"), compact=True, id="fu-filter")
            yield Select([(t(f"followups.kind.{k}"), k) for k in KINDS], prompt=t("followups.ui.all_kinds"),
                         compact=True, id="fu-kind-filter")
            if self.is_lead:
                yield Select([], prompt=t("followups.ui.all_agents"), compact=True, id="fu-agent-filter")
        yield DataTable(cursor_type="row", id="fu-table")
        yield DataTable(cursor_type="row", id="fu-agents", classes="hidden")
        yield Static(id="fu-detail")
        yield Static(id="fu-pager")
        yield Footer()

    def on_mount(self) -> None:
        title = "followups.ui.board_title" if self.is_lead else "followups.ui.mine_title"
        self.query_one("#fu-title", Static).update(Text(t(title), style="bold"))
        agents = self.query_one("#fu-agents", DataTable)
        for key in ("agent", "overdue", "due_today", "upcoming", "open", "sla_breaching"):
            agents.add_column(t(f"followups.col.{key}"), key=key)
        self._layout()
        self.query_one("#fu-table", DataTable).focus()
        self.load_agents()
        self.action_reload()
        self.set_interval(30, self.action_reload)

    def on_resize(self) -> None:
        if self._layout() and self.rows:
            self._render_rows()

    def _layout(self) -> bool:
        """Pick columns for the width (80 columns drop the case subject); True when they changed."""
        narrow = self.app.size.width < NARROW_BELOW
        if narrow == self.narrow:
            return False
        self.narrow = narrow
        table = self.query_one("#fu-table", DataTable)
        table.clear(columns=True)
        self.widths = {}
        for key, narrow_width, wide_width in COLUMNS:
            width = narrow_width if narrow else wide_width
            if width != 0 and (key != "owner" or self.is_lead):
                header = t(f"followups.col.{key}")
                self.widths[key] = width and max(width, cell_len(header), label_width(key, narrow))
                table.add_column(header, key=key, width=self.widths[key])
        return True

    @work(thread=True, exclusive=True, group="fu-agents-list")
    def load_agents(self) -> None:
        rows = self.ctx.store.query("SELECT id, name, role FROM agents WHERE active = 1 ORDER BY role, id")
        self.app.call_from_thread(self._agents_loaded, [(r["id"], r["name"], r["role"]) for r in rows])

    def _agents_loaded(self, agents: list[tuple[str, str, str]]) -> None:
        self.agents = agents
        if self.is_lead:
            self.query_one("#fu-agent-filter", Select).set_options([(f"{n} ({a})", a) for a, n, _ in agents])

    def action_reload(self) -> None:
        self._load(self.query_state, self.page_offset, self.current_view == "agents")

    @work(thread=True, exclusive=True, group="fu-board")
    def _load(self, query: board.BoardQuery, offset: int, with_summary: bool) -> None:
        try:
            summary = None
            if with_summary:
                breaches = {r["agent_id"]: r["breaching"] for r in sla.breaches_by_agent(self.ctx)}
                summary = [dict(r, sla=breaches.get(r["agent_id"], 0)) for r in board.summary(self.ctx)]
            total = board.count(self.ctx, query)
            offset = min(offset, max((total - 1) // board.PAGE_SIZE * board.PAGE_SIZE, 0))
            rows = board.page(self.ctx, query, offset, board.PAGE_SIZE)
        except (StoreError, ValueError) as exc:
            self.post_message(ActionDone(None, str(exc)))
            return
        self.post_message(PageLoaded(query, offset, rows, total, summary))

    @on(PageLoaded)
    def _loaded(self, message: PageLoaded) -> None:
        if message.board_query != self.query_state:
            return  # a newer filter is on its way
        self.rows, self.total, self.page_offset = message.rows, message.total, message.offset
        self._render_rows()
        if message.summary is not None:
            self._render_summary(message.summary)

    def _render_rows(self) -> None:
        table = self.query_one("#fu-table", DataTable)
        keep = table.cursor_row
        table.clear()
        now, tz = self.ctx.clock.now(), self.ctx.tz
        keys = [str(c.key.value) for c in table.ordered_columns]
        for row in self.rows:
            cells = {
                "sel": Text("✓" if row["id"] in self.selected else "", style="bold green"),
                "status": status_text(row["display_status"]),
                "due": due_text(row, now, tz),
                "kind": Text(t(f"followups.kind.{row['kind']}")),
                "owner": untrusted(row.get("owner_name") or row["owner_id"], 12),
                "case": case_cell(row, 40),
                "customer": untrusted(row.get("customer_name"), 20),
                "note": untrusted(row["note"], 60),
            }
            table.add_row(*[fit(cells[k], self.widths.get(k)) for k in keys], key=row["id"])
        if self.rows and keep > 0:
            table.move_cursor(row=min(keep, len(self.rows) - 1))
        self._update_pager()
        self._update_detail()

    def _render_summary(self, summary: list[dict[str, Any]]) -> None:
        table = self.query_one("#fu-agents", DataTable)
        table.clear()
        for row in summary:
            overdue = Text(str(row["overdue"]), style="bold red" if row["overdue"] else "")
            table.add_row(untrusted(f"{row['name']} ({row['agent_id']})", 24), overdue, str(row["due_today"]),
                          str(row["upcoming"]), str(row["open"]),
                          Text(str(row["sla"]), style="bold red" if row["sla"] else ""), key=row["agent_id"])

    def _update_pager(self) -> None:
        pages = max((self.total + board.PAGE_SIZE - 1) // board.PAGE_SIZE, 1)
        text = t("followups.ui.pager", page=self.page_offset // board.PAGE_SIZE + 1, pages=pages,
                 total=f"{self.total:,}", selected=len(self.selected),
                 sort=t(f"followups.sort.{self.query_state.sort}"))
        self.query_one("#fu-pager", Static).update(Text(text, style="dim"))

    @on(DataTable.RowHighlighted, "#fu-table")
    def _update_detail(self) -> None:
        row = self._current()
        detail = self.query_one("#fu-detail", Static)
        if row is None:
            detail.update(Text(t("followups.cli.none") if not self.rows else ""))
            return
        text = due_text(row, self.ctx.clock.now(), self.ctx.tz, with_distance=True)
        text.append("  ")
        text.append_text(case_cell(row, 60))
        extra = trigger_text(row.get("trigger"))
        if extra:
            text.append("  ·  " + extra, style="cyan")
        if row.get("done_note"):
            text.append("  ·  ")
            text.append_text(untrusted(row["done_note"], 60, "green"))
        detail.update(text)

    # ----- filters, views, paging ---------------------------------------------------------------
    def _set_query(self, **changes: Any) -> None:
        self.query_state = self.query_state.with_(**changes)
        self.page_offset = 0
        self.action_reload()

    @on(Tabs.TabActivated, "#fu-tabs")
    def _tab(self, event: Tabs.TabActivated) -> None:
        view = (event.tab.id or "view-open").removeprefix("view-")
        self.current_view = view
        agents_view = view == "agents"
        self.query_one("#fu-agents").set_class(not agents_view, "hidden")
        for selector in ("#fu-table", "#fu-detail", "#fu-pager"):
            self.query_one(selector).set_class(agents_view, "hidden")
        if not agents_view and view != self.query_state.view:
            self._set_query(view=view)
        elif agents_view:
            self.action_reload()
            self.query_one("#fu-agents", DataTable).focus()

    def action_view(self, number: int) -> None:
        if 1 <= number <= len(self.views):
            self.query_one("#fu-tabs", Tabs).active = f"view-{self.views[number - 1]}"

    @on(Input.Changed, "#fu-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._set_query(text=event.value)

    @on(Select.Changed, "#fu-kind-filter")
    def _kind(self, event: Select.Changed) -> None:
        self._set_query(kind=event.value if isinstance(event.value, str) else None)

    @on(Select.Changed, "#fu-agent-filter")
    def _agent(self, event: Select.Changed) -> None:
        self._set_query(owner_id=event.value if isinstance(event.value, str) else None)

    @on(DataTable.RowSelected, "#fu-agents")
    def _agent_chosen(self, event: DataTable.RowSelected) -> None:
        self.query_one("#fu-agent-filter", Select).value = str(event.row_key.value)
        self.query_one("#fu-tabs", Tabs).active = "view-open"

    def action_page(self, step: int) -> None:
        target = self.page_offset + step * board.PAGE_SIZE
        if 0 <= target < self.total:
            self.page_offset = target
            self.action_reload()

    def action_cycle_sort(self) -> None:
        sorts = board.SORTS if self.is_lead else board.SORTS[:2]  # only a lead sees other owners
        current = sorts.index(self.query_state.sort) if self.query_state.sort in sorts else 0
        self._set_query(sort=sorts[(current + 1) % len(sorts)])

    def action_close(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one("#fu-table", DataTable).focus()
        elif self.selected:
            self.selected.clear()
            self._render_rows()
        else:
            self.app.pop_screen()

    # ----- selection ----------------------------------------------------------------------------
    def _current(self) -> dict[str, Any] | None:
        cursor = self.query_one("#fu-table", DataTable).cursor_row
        return self.rows[cursor] if self.rows and 0 <= cursor < len(self.rows) else None

    def _targets(self) -> list[str]:
        if self.selected:
            return sorted(self.selected)
        row = self._current()
        return [row["id"]] if row else []

    def action_toggle_select(self) -> None:
        row = self._current()
        if row is None:
            return
        self.selected.symmetric_difference_update({row["id"]})
        table = self.query_one("#fu-table", DataTable)
        table.update_cell(row["id"], "sel", Text("✓" if row["id"] in self.selected else "", style="bold green"))
        table.move_cursor(row=min(table.cursor_row + 1, len(self.rows) - 1))
        self._update_pager()

    def action_select_page(self) -> None:
        self._select_ids([r["id"] for r in self.rows])

    @work(thread=True, exclusive=True, group="fu-select-all")
    def action_select_all(self) -> None:
        ids = board.matching_ids(self.ctx, self.query_state)
        self.app.call_from_thread(self._select_ids, ids)

    def _select_ids(self, ids: list[str]) -> None:
        self.selected.update(ids)
        self._render_rows()

    # ----- bulk actions -------------------------------------------------------------------------
    def action_done(self) -> None:
        self._ask_note("done", required=False)

    def action_cancel_selected(self) -> None:
        self._ask_note("cancel", required=True)

    def _ask_note(self, action: str, required: bool) -> None:
        from screens.followup_note_modal import NoteModal

        ids = self._targets()
        if ids:
            modal = NoteModal(t(f"followups.ui.{action}_title", n=len(ids)), t(f"followups.ui.{action}_prompt"),
                              t(f"followups.ui.{action}_placeholder"), required=required)
            self.app.push_screen(modal, lambda text: self._run(action, ids, text))

    def action_reassign(self) -> None:
        from screens.followup_reassign_modal import ReassignModal

        ids = self._targets()
        if ids and self.agents:
            self.app.push_screen(ReassignModal(self.agents, len(ids)),
                                 lambda agent: self._run("reassign", ids, agent))

    @work(thread=True, exclusive=True, group="fu-action")
    def _run(self, action: str, ids: list[str], value: str | None) -> None:
        if value is None:
            return
        case_id = next((r["case_id"] for r in self.rows if r["id"] in ids and r.get("case_id")), None)
        try:
            if action == "done":
                result = followups.mark_done(self.ctx, ids, value)
            elif action == "cancel":
                result = followups.cancel(self.ctx, ids, value)
            else:
                result = followups.reassign(self.ctx, ids, value)
        except (FollowUpError, StoreError) as exc:
            self.post_message(ActionDone(None, str(exc)))
            return
        self.post_message(ActionDone(result, case_id=case_id))

    @on(ActionDone)
    def _after_action(self, message: ActionDone) -> None:
        if message.result is None:
            self.notify(message.error, severity="error", timeout=8)
            return
        self.notify(message.result.summary(), severity="warning" if message.result.skipped else "information")
        self.selected.difference_update(message.result.changed)
        if message.case_id:
            from workbench.app import CaseChanged

            self.post_message(CaseChanged(message.case_id))  # the main screen refreshes queue and header
        self.action_reload()

    @on(DataTable.RowSelected, "#fu-table")
    def action_open_case(self) -> None:
        row = self._current()
        if row is None:
            return
        if row.get("case_missing") or not row.get("case_id"):
            self.notify(t("followups.ui.case_missing", case=row.get("case_id") or "-"), severity="error")
            return
        opener = getattr(self.app, "open_case", None)
        if not callable(opener):
            self.notify(t("followups.ui.no_open_case"), severity="warning")
            return
        opener(row["merged_into"] or row["case_id"])

    def action_handoff(self) -> None:
        from screens.handoff_screen import HandoffScreen

        row = self._current()
        agent = self.query_state.owner_id or (row["owner_id"] if row and self.is_lead else self.ctx.agent_id)
        self.app.push_screen(HandoffScreen(self.ctx, agent))

    def on_screen_resume(self) -> None:
        self.action_reload()  # back from the hand-off screen or a case: show what changed meanwhile
