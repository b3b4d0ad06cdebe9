"""Baseline for bench/first_paint.py: a bare Textual app showing one Static."""

from textual.app import App, ComposeResult
from textual.widgets import Static


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("BARE-READY")


if __name__ == "__main__":
    Bare().run()
