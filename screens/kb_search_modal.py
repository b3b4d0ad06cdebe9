"""KB search modal: type keywords, see articles with the matched words highlighted, read or insert.

Keyboard only: typing searches (in a thread worker, so a slow disk never stalls typing), ↑/↓ move,
Enter reads the highlighted article in :class:`KbArticleModal`, Ctrl+Y inserts the article's reply
snippet. Article text is untrusted: every title and snippet is built as a ``Content`` object with
highlight spans — never a markup string — so ``[link=…]`` in an article stays literal text.

Dismisses with the text to insert into the reply (str) or None. (The main screen inserts a str result
into the composer, so returning an article id would paste the id; see the report to the lead.)
"""

from __future__ import annotations

import sqlite3

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from workbench.context import Context
from workbench.i18n import t
from workbench.services import kb
from workbench.store import StoreError

HIGHLIGHT = "bold $accent"
TITLE_CHARS = 60
RESULTS = 20


def highlighted(text: str, spans: tuple[tuple[int, int], ...] | list[tuple[int, int]], style: str = "") -> Content:
    """``text`` as literal Content with ``spans`` highlighted (text is already cleaned and one line)."""
    content = Content(text)
    if style:
        content = content.stylize(style)
    for start, end in spans:
        if 0 <= start < end <= len(text):
            content = content.stylize(HIGHLIGHT, start, end)
    return content


def result_prompt(number: int, hit: kb.KbHit) -> Content:
    """Two lines per result: number + title (matches highlighted), then the snippet, dimmed."""
    title, spans = hit.title, list(hit.title_spans)
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1] + "…"
        spans = [(s, min(e, TITLE_CHARS - 1)) for s, e in spans if s < TITLE_CHARS - 1]
    head = Content.assemble((f"{number:>2}. ", "dim"), highlighted(title, spans, "bold"))
    return Content.assemble(head, "\n    ", highlighted(hit.snippet, hit.snippet_spans, "dim"))


class SearchDone(Message):
    """Results of one search (posted by the worker thread)."""

    def __init__(self, query: str, hits: list[kb.KbHit], error: str = "") -> None:
        self.query, self.hits, self.error = query, hits, error
        super().__init__()


class KbSearchModal(ModalScreen[str | None]):
    """Search the knowledge base; articles for the case's ``intent`` rank first."""

    CSS_PATH = "kb_search_modal.tcss"
    BINDINGS = [
        Binding("escape", "cancel", t("kb.search.close"), id="kb_search.cancel"),
        Binding("down", "move(1)", show=False, id="kb_search.down"),
        Binding("up", "move(-1)", show=False, id="kb_search.up"),
        Binding("ctrl+y", "insert", t("kb.search.insert"), id="kb_search.insert"),
        Binding("ctrl+o", "open", t("kb.search.open"), id="kb_search.open"),
    ]

    def __init__(self, ctx: Context, query: str = "", intent: str | None = None) -> None:
        super().__init__()
        self.ctx, self.initial, self.intent = ctx, query, intent if intent and intent != "other" else None
        self.hits: list[kb.KbHit] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="kbs-box") as box:
            box.border_title = t("kb.search.title")
            box.border_subtitle = t("kb.search.hint")
            yield Input(value=self.initial, placeholder=t("kb.search.placeholder"), id="kbs-query")
            yield Static(self._status_text(None), id="kbs-status", markup=False)
            yield OptionList(id="kbs-results")

    def on_mount(self) -> None:
        self.query_one("#kbs-query", Input).focus()
        if self.initial.strip():
            self._search(self.initial)

    def _status_text(self, count: int | None) -> str:
        parts = []
        if self.intent:
            parts.append(t("kb.search.intent_filter", intent=t(f"triage.intent.{self.intent}")))
        if count is None:
            parts.append(t("kb.search.type_more"))
        elif count == 0:
            parts.append(t("kb.search.empty"))
        else:
            parts.append(t("kb.search.count", count=count))
        return " · ".join(parts)

    @work(thread=True, exclusive=True, group="kb_search")
    def _search(self, query: str) -> None:
        """Runs in a thread: the Store hands each thread its own SQLite connection."""
        try:
            hits = kb.search(self.ctx.store.conn, query, intent=self.intent, limit=RESULTS)
        except (StoreError, sqlite3.Error) as exc:
            self.post_message(SearchDone(query, [], str(exc)))
            return
        self.post_message(SearchDone(query, hits))

    def on_search_done(self, message: SearchDone) -> None:
        if message.query != self.query_one("#kbs-query", Input).value:
            return  # an older search finishing late
        status = self.query_one("#kbs-status", Static)
        if message.error:
            status.update(t("kb.search.error", detail=message.error))
            return
        self.hits = message.hits
        listing = self.query_one("#kbs-results", OptionList)
        listing.clear_options()
        listing.add_options([Option(result_prompt(n, hit), id=hit.id) for n, hit in enumerate(self.hits, start=1)])
        if self.hits:
            listing.highlighted = 0
        status.update(self._status_text(len(self.hits) if message.query.strip() else None))

    @on(Input.Changed, "#kbs-query")
    def _changed(self, event: Input.Changed) -> None:
        if event.value.strip():
            self._search(event.value)
        else:
            self.hits = []
            self.query_one("#kbs-results", OptionList).clear_options()
            self.query_one("#kbs-status", Static).update(self._status_text(None))

    @on(Input.Submitted, "#kbs-query")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_open()

    @on(OptionList.OptionSelected, "#kbs-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_open()

    def _current(self) -> kb.KbHit | None:
        listing = self.query_one("#kbs-results", OptionList)
        if listing.highlighted is None or not self.hits or listing.highlighted >= len(self.hits):
            return None
        return self.hits[listing.highlighted]

    def action_move(self, step: int) -> None:
        listing = self.query_one("#kbs-results", OptionList)
        if self.hits:
            current = listing.highlighted if listing.highlighted is not None else -1
            listing.highlighted = max(0, min(len(self.hits) - 1, current + step))

    def action_open(self) -> None:
        """Read the highlighted article; inserting from there closes this modal too."""
        from screens.kb_article_modal import KbArticleModal

        hit = self._current()
        if hit is not None:
            self.app.push_screen(KbArticleModal(self.ctx, hit.id, terms=hit.matched), self._after_article)

    def _after_article(self, result: str | None) -> None:
        if result:
            self.dismiss(result)

    def action_insert(self) -> None:
        hit = self._current()
        if hit is not None:
            text = kb.reply_snippet(self.ctx.store.conn, hit.id)
            if text:
                self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
