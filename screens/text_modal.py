"""Read a long text in full (a customer message truncated in the conversation), literally."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from workbench import sanitize
from workbench.i18n import t

FULL_LIMIT = 200_000


class TextModal(ModalScreen[None]):
    """Scrollable full text; even here a 1M-character line is capped so the terminal stays usable."""

    DEFAULT_CSS = """
    TextModal { align: center middle; }
    TextModal > VerticalScroll { width: 90%; height: 90%; border: round $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q", "dismiss", t("common.close"), id="text.close")]

    def __init__(self, body: str) -> None:
        super().__init__()
        self.body = body

    def compose(self) -> ComposeResult:
        shown, _ = sanitize.for_display(self.body, limit=FULL_LIMIT, max_lines=5000)
        with VerticalScroll():
            yield Static(Text(shown))
