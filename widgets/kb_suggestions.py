"""Top knowledge-base articles for the current case; Enter opens one, ``ctrl+y`` inserts its snippet."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from workbench import sanitize
from workbench.i18n import t


class KbSuggestions(OptionList):
    """Suggestions list; posts ``OpenArticle(id)`` on Enter."""

    BINDINGS = [Binding("ctrl+y", "insert_snippet", t("main.insert_snippet"), id="kb.insert_snippet")]

    class OpenArticle(Message):
        def __init__(self, article_id: str) -> None:
            self.article_id = article_id
            super().__init__()

    class InsertArticle(Message):
        def __init__(self, article_id: str) -> None:
            self.article_id = article_id
            super().__init__()

    @staticmethod
    def options_for(hits: list[Any] | None) -> list[Option]:
        """One numbered line per article; a placeholder for ``None`` (still ranking) or no match."""
        if hits is None:
            return [Option(Text(t("common.loading"), style="dim"), disabled=True)]
        if not hits:
            return [Option(Text(t("main.no_kb"), style="dim"), disabled=True)]
        return [Option(Text(f"{number}. ") + Text(sanitize.one_line(hit.title, 60)), id=hit.id)
                for number, hit in enumerate(hits, start=1)]

    def show(self, hits: list[Any] | None) -> None:
        """The case's articles; ``None`` shows the placeholder while the worker ranks them."""
        self.set_options(self.options_for(hits))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:  # placeholders ("loading", "none found") have no id
            self.post_message(self.OpenArticle(event.option.id))

    def action_insert_snippet(self) -> None:
        if self.highlighted is None:
            return
        option = self.get_option_at_index(self.highlighted)
        if option.id:
            self.post_message(self.InsertArticle(option.id))
