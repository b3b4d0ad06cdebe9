"""The reply composer: where the agent writes the answer the customer will read.

A multi-line box; ``ctrl+s`` sends. The main screen stores the reply through the case service (row +
outbox in one transaction) when it receives :class:`Composer.Submitted`. On top of the box:

* **Quick replies**: type ``/bf`` and a space to expand the 话术库 entry, filled from the case in the
  customer's language (the library itself opens with ctrl+r on the main screen).
* **Field prompts**: a ``{field}`` with no value (``{eta}`` …) is asked for under the box; the reply is not
  sent while one is left, so a customer never reads ``{eta}``.
* **Live lint**: clichés with nothing concrete, promises with no time and blame are flagged under the
  box with the reason (rules are data: ``workbench/lint_rules.toml``). The lint warns, never blocks.

The editor is attached right after the main screen's first frame: importing and building Textual's
TextArea (and the prompt row under it) was about a tenth of the time to that frame. Until then an
empty box with the same border and title stands in its place, focus starts on the queue anyway, and
anything sent to the composer meanwhile (a draft, a phrasing, a focus request) is applied on attach.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Static

from playbooks import fill
from playbooks.schema import PLACEHOLDERS
from widgets.first_frame import after_first_frame
from workbench.context import Context
from workbench.i18n import t

if TYPE_CHECKING:
    from textual.widgets import Input, TextArea

    from workbench import lint

_FIELD = re.compile(r"\{([a-z_]+)\}")
_SHORTCUT = r"(?:^|(?<=\s))/([a-z0-9]{1,8}) $"  # compiled on first use (typing a /shortcut), not at import
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
        self._area: TextArea | None = None
        self._pending_text = ""  # what arrived before the editor was attached
        self._pending_focus = False

    def compose(self) -> ComposeResult:
        """Nothing yet: until the editor is attached the composer draws the empty box itself (``-standin``).

        The box looks like the blurred editor; drawing it with the composer's own border instead of a
        stand-in widget saves the first frame a widget.
        """
        return iter(())

    def on_mount(self) -> None:
        self.add_class("-standin")
        self.border_title = t("main.reply")
        after_first_frame(self, self._attach_editor)
        if not self.ctx.extras.get(_WARNED_KEY):
            self.ctx.extras[_WARNED_KEY] = True
            # Reading the team's quick-reply and lint files waits until the screen is drawn.
            after_first_frame(self, self._check_team_files)

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

    async def _attach_editor(self) -> None:
        """Put the real editor, the field prompt and the lint line in place of the stand-in box."""
        from textual.widgets import Input, Label, TextArea

        area = TextArea(self._pending_text, id="reply", soft_wrap=True, show_line_numbers=False)
        area.border_title = t("main.reply")
        # Snapshots and pilots turn blinking off so every frame is deterministic.
        area.cursor_blink = bool(getattr(self.app, "blink", True))
        prompt = Horizontal(Label("", id="composer-prompt-label", markup=False),
                            Input(id="composer-field", max_length=200), id="composer-prompt")
        prompt.display = False
        lint_line = Static("", id="composer-lint", markup=False)
        lint_line.display = False
        self.remove_class("-standin")
        self.border_title = None
        await self.mount(area, prompt, lint_line)
        self._area = area
        text, self._pending_text = self._pending_text, ""
        if text:
            area.move_cursor(area.document.end)
            self._lint()  # a draft given before the editor existed is checked like a typed one
        if self._pending_focus:
            self._pending_focus = False
            area.focus()
        if pending_fields(text):
            self.prompt_next()

    @property
    def ready(self) -> bool:
        """The editor is attached (a moment after the first frame)."""
        return self._area is not None

    @property
    def area(self) -> TextArea:
        """The editor. Only once :attr:`ready`; callers that may come earlier use the methods below."""
        if self._area is None:
            raise LookupError("the reply editor is not attached yet")
        return self._area

    @property
    def text(self) -> str:
        """The draft as it stands (also before the editor is attached)."""
        return self._area.text if self._area is not None else self._pending_text

    def focus_editor(self) -> None:
        """Move focus to the reply box (as soon as it exists)."""
        if self._area is None:
            self._pending_focus = True
        else:
            self._area.focus()

    def set_draft(self, text: str) -> None:
        """Replace the draft (a restored draft, a test host)."""
        if self._area is None:
            self._pending_text = text
        else:
            self._area.text = text

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
        if self._area is None:
            self._pending_text += text
            self._pending_focus = True
            return
        self._area.insert(text)
        self._area.focus()
        if pending_fields(text):
            self.prompt_next()

    def clear(self) -> None:
        if self._area is None:
            self._pending_text = ""
            return
        self._area.text = ""
        self._hide_prompt()

    # ----- send -------------------------------------------------------------------------------
    def action_send(self) -> None:
        if self._area is None:
            return
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
        if self._area is None:
            return  # asked again when the editor is attached
        pending = pending_fields(self.area.text)
        if not pending:
            self._hide_prompt()
            return
        self.prompting = pending[0]
        label = t("playbook.composer.fill_prompt", field=t(f"playbook.field.{self.prompting}"))
        self.query_one("#composer-prompt-label", Static).update(label)
        field: Input = self.query_one("#composer-field")  # type: ignore[assignment]
        field.value = ""
        self.query_one("#composer-prompt").display = True
        field.focus()

    def _hide_prompt(self) -> None:
        self.prompting = None
        self.query_one("#composer-prompt").display = False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """The agent typed the value of the field being asked for."""
        if event.input.id != "composer-field":
            return
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
    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area.id != "reply":
            return
        if not self._expanding:
            self._expand_shortcut()
        self._lint()

    def _expand_shortcut(self) -> None:
        """``/bf`` + space right before the cursor becomes the quick reply, filled from the case."""
        row, col = self.area.cursor_location
        before = self.area.document.get_line(row)[:col]
        match = re.search(_SHORTCUT, before)
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
