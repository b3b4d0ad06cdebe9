"""One knowledge-base article, shown literally and scrollable; Ctrl+Y inserts its reply snippet.

The article is read in a thread worker (SQLite stays off the UI thread), cleaned with
:func:`workbench.sanitize.for_display` and shown as ``Content`` — never parsed as markup, so a title
like ``[@click=app.quit]`` is just text. A very long body is cut for display with a note, because one
huge line can freeze a terminal UI for seconds (DESIGN.md section 6).

Dismisses with the snippet text to insert (str) or None.
"""

from __future__ import annotations

import sqlite3

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from screens.kb_search_modal import highlighted
from workbench import sanitize, textindex, timefmt
from workbench.context import Context
from workbench.i18n import t
from workbench.services import kb
from workbench.store import StoreError

BODY_LIMIT = 20_000
BODY_LINES = 400


def _local_day(stored: str, tz: str) -> str:
    """The stored UTC time as a day in the shop's timezone; odd values are shown as they are."""
    try:
        return timefmt.short_local(stored, tz, "%Y-%m-%d")
    except ValueError:
        return sanitize.one_line(stored, 20)


class ArticleLoaded(Message):
    def __init__(self, article: kb.KbArticle | None, error: str = "") -> None:
        self.article, self.error = article, error
        super().__init__()


def body_content(body: str, terms: tuple[str, ...] | list[str] = ()) -> tuple[Content, bool]:
    """The cleaned, possibly truncated body as Content with the search terms highlighted."""
    shown, cut = sanitize.for_display(body, limit=BODY_LIMIT, max_lines=BODY_LINES)
    return highlighted(shown, textindex.find_spans(shown, list(terms))), cut


class KbArticleModal(ModalScreen[str | None]):
    """Read one article; ``terms`` (from a search) are highlighted in the body."""

    CSS_PATH = "kb_article_modal.tcss"
    BINDINGS = [
        Binding("escape,q", "close", t("kb.article.close"), id="kb_article.close"),
        Binding("ctrl+y", "insert", t("kb.article.insert"), id="kb_article.insert"),
    ]

    def __init__(self, ctx: Context, article_id: str, terms: tuple[str, ...] | list[str] = ()) -> None:
        super().__init__()
        self.ctx, self.article_id, self.terms = ctx, article_id, tuple(terms)
        self.article: kb.KbArticle | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="kba-box") as box:
            box.border_title = t("kb.article.title")
            box.border_subtitle = t("kb.article.hint")
            yield Static(Content(t("common.loading")), id="kba-title")
            yield Static(Content(""), id="kba-meta")
            with VerticalScroll(id="kba-scroll"):
                yield Static(Content(""), id="kba-body")
                yield Static(Content(""), id="kba-note")

    def on_mount(self) -> None:
        self.query_one("#kba-scroll").focus()
        self._load()

    @work(thread=True, exclusive=True, group="kb_article")
    def _load(self) -> None:
        try:
            self.post_message(ArticleLoaded(kb.get(self.ctx.store.conn, self.article_id)))
        except (StoreError, sqlite3.Error) as exc:
            self.post_message(ArticleLoaded(None, str(exc)))

    def on_article_loaded(self, message: ArticleLoaded) -> None:
        self.article = message.article
        title = self.query_one("#kba-title", Static)
        if message.article is None:
            title.update(Content(message.error or t("kb.article.not_found", id=sanitize.one_line(self.article_id, 60))))
            return
        article = message.article
        title.update(Content(sanitize.one_line(article.title, 200)).stylize("bold"))
        intents = "、".join(t(f"triage.intent.{i}") for i in article.intents) or "-"
        self.query_one("#kba-meta", Static).update(Content(t(
            "kb.article.meta", source=sanitize.one_line(article.source, 30),
            updated=_local_day(article.updated_at, self.ctx.tz), intents=intents)).stylize("dim"))
        body, cut = body_content(article.body, self.terms)
        self.query_one("#kba-body", Static).update(body)
        if cut:
            self.query_one("#kba-note", Static).update(Content(t(
                "kb.article.truncated", shown=len(body.plain), total=len(article.body))).stylize("italic $warning"))

    def action_insert(self) -> None:
        if self.article is not None:
            text = kb.reply_text(self.article.body)
            if text:
                self.dismiss(text)

    def action_close(self) -> None:
        self.dismiss(None)
