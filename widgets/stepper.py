"""The playbook stepper on the main screen: 共情 → 定位 → 解决 → 闭环 for the open case.

It shows the four stages, the current stage's checklist, the suggested phrasing filled from the case (in
the customer's language), the resolution options in 解决 and the default follow-up in 闭环. Keys act when
it has focus. Every change goes through :mod:`playbooks.progress` in a thread worker (one transaction
with its outbox entry), so a slow disk or a sync holding the lock never freezes the keyboard.

Messages: :class:`Stepper.InsertPhrase` (the main screen forwards it to the composer),
:class:`Stepper.StageChanged` (the case row changed; reload it), and :class:`Stepper.OpenCompensation`,
:class:`Stepper.OpenFollowUp`, :class:`Stepper.AskReason` and :class:`Stepper.ChoosePlaybook`, which ask
the host screen to open those modals: widgets never import screens, so the screen that owns the modals
opens them and hands the result to ``on_done``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from playbooks import fill, loader, progress
from playbooks.progress import Progress, ProgressError, ReasonRequired
from widgets import stepper_render as render
from widgets.on_demand import show_block
from widgets.sizes import SHORT_BELOW
from workbench.context import Context
from workbench.i18n import t
from workbench.store import StoreError

_WARNED_KEY = "playbooks.warned"
_OPS: dict[str, Callable[..., Progress]] = {
    "advance": progress.advance, "skip": progress.skip, "back": progress.back, "toggle": progress.toggle_item,
    "choose": progress.choose_resolution, "followup": progress.record_followup,
    "switch": progress.switch_playbook, "close": progress.close_case,
}
FlowDone = Callable[[dict[str, Any] | None], None]
Answer = Callable[[str | None], None]


class Stepper(Vertical, can_focus=True):
    """The playbook stepper. ``show_case(view)`` on every case load."""

    # The host opens the compensation / follow-up flows on Open* messages. A host without them (a bare
    # test host) sets this False and the stepper records the choice itself, marked "recorded".
    flows: ClassVar[bool] = True

    DEFAULT_CSS = (Path(__file__).parent / "stepper.tcss").read_text(encoding="utf-8")
    SCOPED_CSS = False  # the file also styles the widget inside the short/narrow screen layouts

    BINDINGS = [
        Binding("n", "next", t("playbook.key.next"), id="stepper.next"),
        Binding("s", "skip", t("playbook.key.skip"), id="stepper.skip"),
        Binding("i", "insert", t("playbook.key.insert"), id="stepper.insert"),
        Binding("space", "toggle_item", t("playbook.key.toggle"), id="stepper.toggle_item"),
        Binding("up", "cursor(-1)", t("playbook.key.up"), id="stepper.up", show=False),
        Binding("down", "cursor(1)", t("playbook.key.down"), id="stepper.down", show=False),
        Binding("b", "back", t("playbook.key.back"), id="stepper.back", show=False),
        Binding("p", "switch_playbook", t("playbook.key.switch"), id="stepper.switch_playbook"),
        Binding("f", "followup", t("playbook.key.followup"), id="stepper.followup", show=False),
        *[Binding(str(n), f"option({n})", t("playbook.key.option", n=n), id=f"stepper.option_{n}", show=False)
          for n in range(1, 5)],
        Binding("c", "close_case", t("playbook.key.close"), id="case.close"),
    ]

    class InsertPhrase(Message):
        """Put ``text`` into the reply box; ``missing`` names fields the agent still has to fill."""

        def __init__(self, text: str, missing: list[str] | None = None) -> None:
            self.text, self.missing = text, list(missing or [])
            super().__init__()

    class StageChanged(Message):
        """The case's playbook progress changed (reload the case)."""

        def __init__(self, case_id: str) -> None:
            self.case_id = case_id
            super().__init__()

    class OpenCompensation(Message):
        """Open the compensation flow for ``case_id``; ``on_done`` gets its result dict (or None)."""

        def __init__(self, case_id: str, action: str, amount_fen: int | None, on_done: FlowDone) -> None:
            self.case_id, self.action, self.amount_fen, self.on_done = case_id, action, amount_fen, on_done
            super().__init__()

    class OpenFollowUp(Message):
        """Open the follow-up flow for ``case_id`` prefilled; ``on_done`` gets its result dict (or None)."""

        def __init__(self, case_id: str, kind: str, when: str, note: str, on_done: FlowDone) -> None:
            self.case_id, self.kind, self.when, self.note, self.on_done = case_id, kind, when, note, on_done
            super().__init__()

    class AskReason(Message):
        """Ask the agent why (a skipped stage, open checklist items, an early close); ``on_done`` gets
        the reason, or None when the agent cancelled."""

        def __init__(self, prompt: str, on_done: Answer) -> None:
            self.prompt, self.on_done = prompt, on_done
            super().__init__()

    class ChoosePlaybook(Message):
        """Let the agent pick another playbook for the case; ``on_done`` gets its id, or None."""

        def __init__(self, current_id: str, on_done: Answer) -> None:
            self.current_id, self.on_done = current_id, on_done
            super().__init__()

    class _Saved(Message):
        def __init__(self, case_id: str, result: Progress, note: str) -> None:
            self.case_id, self.result, self.note = case_id, result, note
            super().__init__()

    class _Refused(Message):
        def __init__(self, case_id: str, op: str, error: ProgressError) -> None:
            self.case_id, self.op, self.error = case_id, op, error
            super().__init__()

    def __init__(self, ctx: Context, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.view: Any = None
        self.progress: Progress | None = None
        self.cursor = 0
        self._warned: set[tuple[str, str]] = set()
        self._phrase: fill.Filled | None = None  # filled once per progress/view change, not per redraw

    def compose(self) -> ComposeResult:
        # The stage line and the checklist share one block, and the options/follow-up block is mounted
        # the first time a case reaches 解决 or 闭环: every widget costs the first frame start-up time.
        yield Static(t("playbook.no_case"), id="stepper-head", markup=False)
        yield Static("", id="stepper-say", markup=False)

    def on_mount(self) -> None:
        registry = loader.registry(self.ctx)
        if registry.warnings and not self.ctx.extras.get(_WARNED_KEY):
            self.ctx.extras[_WARNED_KEY] = True
            for issue in registry.warnings[:5]:
                self.app.notify(t("playbook.warnings", detail=str(issue)), severity="warning", timeout=15,
                                markup=False)

    # ----- showing ------------------------------------------------------------------------------
    @property
    def case_id(self) -> str | None:
        return str(self.view.case["id"]) if self.view is not None else None

    @property
    def customer_lang(self) -> str:
        return fill.customer_lang(self.view, self.ctx.lang) if self.view is not None else self.ctx.lang

    def show_case(self, view: Any) -> None:
        """Show ``view`` (a ``CaseView``); called by the main screen on every case load."""
        if view is None or (self.view is not None and view.case["id"] != self.view.case["id"]):
            self.cursor = 0
        self.view = view
        self.progress = progress.progress_of(self.ctx, view.case) if view is not None else None
        self._phrase = None
        missing = self.progress.playbook_missing if self.progress is not None else ""
        if missing and (self.case_id, missing) not in self._warned:
            self._warned.add((str(self.case_id), missing))
            self.app.notify(t("playbook.missing_playbook", id=missing,
                              title=self.progress.playbook.title.get(self.ctx.lang)), severity="warning",
                            markup=False)
        self.refresh_view()

    def current_phrase(self) -> fill.Filled:
        """The phrasing to suggest now: the chosen option's in 解决, else the stage's.

        Filling reads the signed-in agent from the store, so it is done once per case load or saved
        change; focus, blur, resize and cursor moves reuse it.
        """
        assert self.progress is not None
        if self._phrase is None:
            lang, p = self.customer_lang, self.progress
            resolution = p.resolution or {}
            amount = resolution.get("amount_fen") if isinstance(resolution.get("amount_fen"), int) else None
            option = p.playbook.stage("resolve").option(str(resolution.get("option") or ""))
            if p.stage == "resolve" and option is not None:
                self._phrase = fill.fill_option(self.ctx, self.view, option, lang, amount)
            else:
                self._phrase = fill.fill_stage(self.ctx, self.view, p.playbook, p.stage, lang, amount)
        return self._phrase

    def refresh_view(self) -> None:
        p, lang = self.progress, self.ctx.lang
        if p is None:
            self.query_one("#stepper-head", Static).update(t("playbook.no_case"))
            self.query_one("#stepper-say", Static).display = False
            show_block(self, "stepper-extra", None)
            return
        items = p.playbook.stage(p.stage).checklist
        self.query_one("#stepper-say", Static).display = True
        self.cursor = min(self.cursor, max(len(items) - 1, 0))
        short = self.app.size.height < SHORT_BELOW
        self.border_title = t(f"playbook.stage.{p.stage}", lang)
        self.set_class(p.closed, "-closed")
        # In 解决 the options matter more than the (long) phrasing, which `i` inserts in full anyway.
        self.set_class(p.stage == "resolve", "-resolve")
        head = self.query_one("#stepper-head", Static)
        text = render.head(p, lang, head.content_size.width)
        if items:
            text.append("\n")
            text.append_text(render.checklist(p, lang, self.cursor, self.has_focus, compact=short))
        head.update(text)
        self.query_one("#stepper-say", Static).update(render.say(self.current_phrase(), lang))
        self._show_extra(p, lang, short)

    def _show_extra(self, p: Progress, lang: str, short: bool) -> None:
        """The 解决 options or the 闭环 follow-up under the phrasing; nothing in the first two stages."""
        text = None
        if p.stage == "resolve":
            text = render.options(p, self.view, lang, compact=short)
        elif p.stage == "close":
            text = render.followup(p, p.playbook.stage("close").followup, lang)
        show_block(self, "stepper-extra", text)

    def on_resize(self) -> None:
        self.refresh_view()  # the head line breaks differently at another width

    def on_focus(self) -> None:
        self.refresh_view()

    def on_blur(self) -> None:
        self.refresh_view()

    # ----- saving (thread worker → message) -----------------------------------------------------
    def save(self, op: str, notice: str = "", **kwargs: Any) -> None:
        """Run one progress operation on the case shown now; ``notice`` is shown when it succeeds."""
        if self.case_id is not None:
            self._save(self.case_id, op, notice, kwargs)

    @work(thread=True, group="stepper")
    def _save(self, case_id: str, op: str, notice: str, kwargs: dict[str, Any]) -> None:
        try:
            result = _OPS[op](self.ctx, case_id, **kwargs)
        except ProgressError as exc:
            self.post_message(self._Refused(case_id, op, exc))
            return
        except (StoreError, LookupError, sqlite3.Error) as exc:
            self.post_message(self._Refused(case_id, op, ProgressError("store", str(exc))))
            return
        self.post_message(self._Saved(case_id, result, notice))

    @on(_Saved)
    def _saved(self, message: _Saved) -> None:
        if message.case_id != self.case_id:
            return
        moved = self.progress is not None and self.progress.stage != message.result.stage
        self.progress = message.result
        self._phrase = None
        if moved:
            self.cursor = 0
        self.refresh_view()
        note = message.note
        if not note and moved and not message.result.closed:
            note = t("playbook.stage_moved", stage=t(f"playbook.stage.{message.result.stage}", self.ctx.lang))
        if note:
            self.app.notify(note, markup=False, timeout=4)
        self.post_message(self.StageChanged(message.case_id))
        if moved and message.result.stage == "close":
            self.propose_followup()

    @on(_Refused)
    def _refused(self, message: _Refused) -> None:
        if message.case_id != self.case_id or self.progress is None:
            return
        error, lang, p = message.error, self.ctx.lang, self.progress
        stage = t(f"playbook.stage.{p.stage}", lang)
        if isinstance(error, ReasonRequired):
            items = "、".join(render.item_label(p, error.stage, i, lang) for i in error.open_items)
            self._ask_reason(t("playbook.reason.open_items", stage=stage, items=items), "advance")
        elif isinstance(error, progress.CloseBlocked):
            stages = "、".join(t(f"playbook.stage.{s}", lang) for s in error.open_stages)
            self._ask_reason(t("playbook.reason.close", stages=stages), "close", t("playbook.case_closed"))
        elif error.code == "finished":
            self.app.notify(t("playbook.finished"), markup=False)
        else:
            self.app.notify(t("playbook.write_failed", error=str(error)), severity="error", markup=False)

    def _ask_reason(self, prompt: str, op: str, notice: str = "") -> None:
        """Ask why (skip, open items, early close), then run ``op`` with the reason; Esc changes nothing."""

        def done(reason: str | None) -> None:
            if reason:
                self.save(op, notice=notice, reason=reason)

        self.post_message(self.AskReason(prompt, done))

    # ----- actions ------------------------------------------------------------------------------
    def _ready(self) -> bool:
        return self.progress is not None and self.view is not None

    def action_next(self) -> None:
        if self._ready():
            self.save("advance")

    def action_back(self) -> None:
        if self._ready():
            self.save("back")

    def action_skip(self) -> None:
        if not self._ready():
            return
        assert self.progress is not None
        stage = t(f"playbook.stage.{self.progress.stage}", self.ctx.lang)
        self._ask_reason(t("playbook.reason.skip", stage=stage), "skip", t("playbook.skipped", stage=stage))

    def action_close_case(self) -> None:
        if self._ready():
            self.save("close", notice=t("playbook.case_closed"))

    def action_cursor(self, delta: int) -> None:
        if not self._ready():
            return
        assert self.progress is not None
        count = len(self.progress.playbook.stage(self.progress.stage).checklist)
        if count:
            self.cursor = (self.cursor + delta) % count
            self.refresh_view()

    def action_toggle_item(self) -> None:
        if not self._ready():
            return
        assert self.progress is not None
        items = self.progress.playbook.stage(self.progress.stage).checklist
        if not items:
            self.app.notify(t("playbook.no_items"), markup=False)
            return
        self.save("toggle", item_id=items[self.cursor].id, stage=self.progress.stage)

    def action_insert(self) -> None:
        if self._ready():
            filled = self.current_phrase()
            self.post_message(self.InsertPhrase(filled.text, filled.missing))

    def action_switch_playbook(self) -> None:
        if not self._ready():
            return
        assert self.progress is not None

        def done(playbook_id: str | None) -> None:
            if playbook_id and self.progress is not None and playbook_id != self.progress.playbook.id:
                target = loader.registry(self.ctx).get(playbook_id)
                title = target.title.get(self.ctx.lang) if target else playbook_id
                self.save("switch", notice=t("playbook.switched", title=title), playbook_id=playbook_id)

        self.post_message(self.ChoosePlaybook(self.progress.playbook.id, done))

    def action_option(self, number: int) -> None:
        """Choose resolution option ``number``: money actions go through the host's compensation flow."""
        if not self._ready():
            return
        assert self.progress is not None
        if self.progress.stage != "resolve":
            self.app.notify(t("playbook.options_only_in_resolve"), markup=False)
            return
        options = self.progress.playbook.stage("resolve").options
        if not 1 <= number <= len(options):
            self.app.notify(t("playbook.no_such_option", n=number), markup=False)
            return
        option, lang = options[number - 1], self.ctx.lang
        amount = fill.option_amount_fen(option, self.view)
        chosen = t("playbook.option_chosen", label=option.label.get(lang), time=option.time.get(lang))
        if option.needs_authority and self.flows:
            case_id = str(self.case_id)

            def done(result: dict[str, Any] | None) -> None:
                if result:  # recorded on the case the compensation was issued for
                    self._save(case_id, "choose", chosen,
                               {"option_id": option.id, "amount_fen": amount, "outcome": result})

            self.post_message(self.OpenCompensation(case_id, option.action, amount, done))
            return
        note = t("playbook.option_recorded", label=option.label.get(lang)) if option.needs_authority else chosen
        self.save("choose", notice=note, option_id=option.id, amount_fen=amount)

    def action_followup(self) -> None:
        if self._ready():
            self.propose_followup(force=True)

    def propose_followup(self, force: bool = False) -> None:
        """At 闭环: offer the playbook's default follow-up through the host's follow-up flow."""
        p, lang = self.progress, self.ctx.lang
        if p is None or p.closed or (p.followup and not force):
            return
        spec = p.playbook.stage("close").followup
        if spec is None:
            return
        if self.flows:
            case_id = str(self.case_id)

            def done(result: dict[str, Any] | None) -> None:
                if result:  # the follow-up modal has said 「已安排跟进」 already: no second toast
                    self._save(case_id, "followup", "", {
                        "kind": str(result.get("kind") or spec.kind), "when": spec.when,
                        "note": spec.note.get(lang), "status": "scheduled",
                        "followup_id": str(result.get("id") or "") or None})

            self.post_message(self.OpenFollowUp(case_id, spec.kind, render.followup_when(spec.when), spec.note.get(lang),
                                                done))
            return
        kind = t(f"playbook.followup_kind.{spec.kind}", lang)
        when = render.when_label(spec.when, lang)
        self.save("followup", notice=t("playbook.followup_recorded", kind=kind, when=when), kind=spec.kind,
                  when=spec.when, note=spec.note.get(lang), status="recorded")
