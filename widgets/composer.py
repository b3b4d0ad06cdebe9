"""The reply composer: where the agent writes the answer the customer will read.

A multi-line box; ``ctrl+s`` sends. The main screen stores the reply through the case service (row +
outbox in one transaction) when it receives :class:`Composer.Submitted`. On top of the box:

* **Quick replies**: type ``/bf`` and a space to expand the 话术库 entry, filled from the case in the
  customer's language (the library itself opens with ctrl+r on the main screen).
* **Field prompts**: a ``{field}`` with no value (``{eta}`` …) is asked for under the box; the reply is not
  sent while one is left, so a customer never reads ``{eta}``.
* **Live lint**: clichés with nothing concrete, promises with no time and blame are flagged under the
  box with the reason (rules are data: ``workbench/lint_rules.toml``). The lint warns, never blocks.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Static, TextArea

from playbooks import fill
from playbooks.schema import PLACEHOLDERS
from workbench.context import Context
from workbench.i18n import t

if TYPE_CHECKING:
    from workbench import lint

_FIELD = re.compile(r"\{([a-z_]+)\}")
_SHORTCUT = re.compile(r"(?:^|(?<=\s))/([a-z0-9]{1,8}) $")
LINT_SHOWN = 2
_WARNED_KEY = "composer.warned"


def pending_fields(text: str) -> list[str]:
    """Known ``{fields}`` still present in ``text``, in order of appearance, without repeats."""
    found: list[str] = []
    for name in _FIELD.findall(text):
        if name in PLACEHOLDERS and name not in found:
            found.append(name)
    return found


class Composer(Vertical):
    """Reply box. Posts ``Submitted(text)``; the screen decides what to do with it."""

    DEFAULT_CSS = (Path(__file__).parent / "composer.tcss").read_text(encoding="utf-8")
    SCOPED_CSS = False  # the file also styles the widget inside the short/narrow screen layouts

    BINDINGS = [
        Binding("ctrl+s", "send", t("main.send"), id="composer.send", priority=True),
        Binding("ctrl+g", "fill_fields", t("playbook.composer.fill"), id="composer.fill_fields"),
    ]

    class Submitted(Message):
        """The agent asked to send ``text``."""

        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    def __init__(self, ctx: Context, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.case_id: str | None = None
        self.view: Any = None
        self.findings: list[lint.Finding] = []
        self.prompting: str | None = None
        self._expanding = False

    def compose(self) -> ComposeResult:
        area = TextArea(id="reply", soft_wrap=True, show_line_numbers=False)
        area.border_title = t("main.reply")
        yield area
        with Horizontal(id="composer-prompt"):
            yield Label("", id="composer-prompt-label", markup=False)
            yield Input(id="composer-field", max_length=200)
        yield Static("", id="composer-lint", markup=False)

    def on_mount(self) -> None:
        # Snapshots and pilots turn blinking off so every frame is deterministic.
        self.area.cursor_blink = bool(getattr(self.app, "blink", True))
        self.query_one("#composer-prompt").display = False
        self.query_one("#composer-lint").display = False
        if not self.ctx.extras.get(_WARNED_KEY):
            self.ctx.extras[_WARNED_KEY] = True
            # Reading the team's quick-reply and lint files waits until the screen is drawn.
            self.call_after_refresh(self._check_team_files)

    @work(thread=True, group="composer-files")
    def _check_team_files(self) -> None:
        """Load the quick-reply library and lint rules (kept for typing) and report problems in them."""
        from playbooks import quick_replies
        from workbench import lint

        problems = [str(i) for i in quick_replies.library(self.ctx).warnings] + lint.rules_for(self.ctx)[1]
        if problems:
            self.app.call_from_thread(self._warn_files, problems)

    def _warn_files(self, problems: list[str]) -> None:
        for problem in problems[:5]:
            self.app.notify(t("playbook.composer.file_problem", detail=problem), severity="warning",
                            timeout=15, markup=False)

    @property
    def area(self) -> TextArea:
        return self.query_one("#reply", TextArea)

    @property
    def lang(self) -> str:
        """The customer's language (what they will read), else the agent's."""
        return fill.customer_lang(self.view, self.ctx.lang) if self.view is not None else self.ctx.lang

    def set_case(self, view: Any) -> None:
        """Called on every case load; a draft for another case is not carried over."""
        new_id = view.case["id"] if view is not None else None
        self.view = view
        if new_id != self.case_id:
            self.case_id = new_id
            self.clear()

    def insert_text(self, text: str) -> None:
        """Insert text (a phrasing or snippet) at the cursor; then ask for any field left empty."""
        self.area.insert(text)
        self.area.focus()
        if pending_fields(text):
            self.prompt_next()

    def clear(self) -> None:
        self.area.text = ""
        self._hide_prompt()

    # ----- send -------------------------------------------------------------------------------
    def action_send(self) -> None:
        text = self.area.text.strip()
        if not text:
            return
        pending = pending_fields(text)
        if pending:
            names = "、".join(t(f"playbook.field.{p}") for p in pending)
            self.app.notify(t("playbook.composer.pending", fields=names), severity="warning", markup=False)
            self.prompt_next()
            return
        self.post_message(self.Submitted(text))

    # ----- field prompts ----------------------------------------------------------------------
    def action_fill_fields(self) -> None:
        self.prompt_next()

    def prompt_next(self) -> None:
        """Ask for the first field still empty in the reply (or hide the prompt when none is)."""
        pending = pending_fields(self.area.text)
        if not pending:
            self._hide_prompt()
            return
        self.prompting = pending[0]
        label = t("playbook.composer.fill_prompt", field=t(f"playbook.field.{self.prompting}"))
        self.query_one("#composer-prompt-label", Label).update(label)
        field = self.query_one("#composer-field", Input)
        field.value = ""
        self.query_one("#composer-prompt").display = True
        field.focus()

    def _hide_prompt(self) -> None:
        self.prompting = None
        self.query_one("#composer-prompt").display = False

    @on(Input.Submitted, "#composer-field")
    def _field_given(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        if not value or self.prompting is None:
            return
        self.area.text = fill.fill_values(self.area.text, {self.prompting: value})
        self.area.move_cursor(self.area.document.end)
        if pending_fields(self.area.text):
            self.prompt_next()
        else:
            self._hide_prompt()
            self.area.focus()

    def on_key(self, event: Any) -> None:
        if event.key == "escape" and self.prompting is not None and self.query_one("#composer-field").has_focus:
            event.stop()
            self._hide_prompt()
            self.area.focus()

    # ----- typing: shortcuts and lint -----------------------------------------------------------
    @on(TextArea.Changed, "#reply")
    def _changed(self, event: TextArea.Changed) -> None:
        if not self._expanding:
            self._expand_shortcut()
        self._lint()

    def _expand_shortcut(self) -> None:
        """``/bf`` + space right before the cursor becomes the quick reply, filled from the case."""
        row, col = self.area.cursor_location
        before = self.area.document.get_line(row)[:col]
        match = _SHORTCUT.search(before)
        if not match:
            return
        from playbooks import quick_replies  # the 话术库 loads on first use, not with the screen

        code = match.group(1)
        reply = quick_replies.library(self.ctx).get(code)
        if reply is None:
            self.app.notify(t("playbook.composer.unknown_code", code=code), severity="warning", markup=False)
            return
        filled = quick_replies.fill_reply(self.ctx, self.view, reply, self.lang)
        self._expanding = True
        try:
            self.area.replace(filled.text, (row, match.start()), (row, col))
        finally:
            self._expanding = False
        self.app.notify(t("playbook.composer.expanded", code=code), timeout=2, markup=False)
        if filled.missing:
            self.prompt_next()

    def _lint(self) -> None:
        box = self.query_one("#composer-lint", Static)
        if not self.area.text.strip():
            # An empty box (every case switch clears it) has nothing to flag: skip loading the rules.
            self.findings = []
            box.display = False
            box.update("")
            return
        from workbench import lint

        rules, _ = lint.rules_for(self.ctx)
        self.findings = lint.lint(self.area.text, rules)
        box.display = bool(self.findings)
        if not self.findings:
            box.update("")
            return
        lang = self.ctx.lang
        text = Text()
        for n, finding in enumerate(self.findings[:LINT_SHOWN]):
            if n:
                text.append("\n")
            text.append("⚠ ", style="bold yellow")
            text.append(f"「{finding.text[:20]}」", style="bold")
            text.append(f" {finding.reason(lang)}")
            if finding.hint(lang):
                text.append(f" {finding.hint(lang)}", style="dim")
        if len(self.findings) > LINT_SHOWN:
            text.append("\n" + t("playbook.more", n=len(self.findings) - LINT_SHOWN), style="dim")
        box.update(text)
