"""The Textual application and its factory.

Data sources (the cache via the Context, commerce/courier sources, the sync hub) are injected into the
App constructor; the CLI and the tests build the App through the same :func:`create_app`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from widgets import style_cache, wide_chars
from widgets.first_frame import after_first_frame
from workbench import gcpause, i18n, terminal
from workbench.context import Context
from workbench.i18n import t, t_or

if TYPE_CHECKING:
    from workbench.services.startup import Pending


class CaseChanged(Message):
    """Posted by screens/modals after they changed a case, so the main screen reloads it."""

    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        super().__init__()


GC_RESUME_AFTER_S = 5.0
HANGUP_CHECK_S = 2.0  # how often the terminal is checked for a hang-up (workbench/terminal.py)
HANGUP_EXIT_CODE = 129  # 128 + SIGHUP: what a shell reports for a program ended by a hang-up
HANGUP_GRACE_S = 3.0  # time for an orderly exit after a hang-up before the process simply ends

SCREENS = {
    "followups": ("screens.followups_screen", "FollowUpsScreen", False),
    "approvals": ("screens.approvals_screen", "ApprovalsScreen", False),  # agents see their own requests
    "sync": ("screens.sync_screen", "SyncScreen", False),
    "proactive": ("screens.proactive_screen", "ProactiveScreen", False),
    "handoff": ("screens.handoff_screen", "HandoffScreen", False),
    "reports": ("screens.reports_screen", "ReportsScreen", True),
}


class WorkbenchApp(App[None]):
    """The workbench. ``ctx`` is the signed-in agent's context; ``sources`` and ``sync_runner`` are optional."""

    # The main screen is the base of the stack (get_default_screen), and Textual loads a screen's own
    # CSS_PATH only when it is pushed: its styles load with the app's.
    CSS_PATH = ["app.tcss", "../screens/main_screen.tcss"]
    TITLE = "售后坐席工作台"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("f1", "help", t("main.help"), id="app.help"),
        Binding("f2", "open_screen('followups')", t("main.followups_screen"), id="app.followups", priority=True),
        Binding("f3", "open_screen('approvals')", t("main.approvals_screen"), id="app.approvals", priority=True),
        Binding("f4", "open_screen('sync')", t("main.sync_screen"), id="app.sync", priority=True),
        Binding("f5", "open_screen('proactive')", t("main.proactive_screen"), id="app.proactive", priority=True),
        Binding("f6", "open_screen('handoff')", t("main.handoff_screen"), id="app.handoff", priority=True, show=False),
        Binding("f7", "open_screen('reports')", t("main.reports_screen"), id="app.reports", priority=True, show=False),
        Binding("ctrl+q", "quit", t("main.quit"), id="app.quit", show=False),
    ]

    def __init__(self, ctx: Context, sources: Sequence[Any] = (), sync_runner: Any = None,
                 blink: bool = True, first: Pending | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self._first = first
        self.sources = list(sources)
        self.sync_runner = sync_runner
        self.blink = blink
        self.title = t("common.app_title")
        self.source_errors: dict[str, str] = {}
        # Parsed styles from the previous start (widgets.style_cache): about a tenth of the first frame.
        self._style_file = ctx.paths.cache_dir / style_cache.FILE_NAME
        self._styles_loaded = style_cache.load(self.stylesheet, self._style_file)
        self._styles_kept = self._styles_loaded  # what the file holds; written again when more is parsed

    def get_default_screen(self) -> Screen[Any]:
        """The main screen is the base of the stack: no blank default screen is drawn before it."""
        from screens.main_screen import MainScreen

        first, self._first = self._first, None
        return MainScreen(self.ctx, first)

    def on_mount(self) -> None:
        # The CLI pauses the garbage collector for start-up; the main screen resumes it after its first
        # frame, and this timer makes sure it is back on even if that frame never comes.
        self.set_timer(GC_RESUME_AFTER_S, gcpause.resume)
        after_first_frame(self, self._save_styles)
        fd = None if self.is_headless else terminal.input_fd()
        if fd is not None:
            loop = asyncio.get_running_loop()
            terminal.watch(fd, lambda: loop.call_soon_threadsafe(self._hung_up), every=HANGUP_CHECK_S,
                           grace=HANGUP_GRACE_S, code=HANGUP_EXIT_CODE)
        if self.ctx.settings.keys:
            self.set_keymap(dict(self.ctx.settings.keys))
        if self.sync_runner is not None:
            self.sync_runner.on_report = lambda report: self.call_from_thread(self._sync_reported, report)
            self.sync_runner.start()
        for source in self.sources:
            # First refresh shortly after the first paint, then on the source's own interval.
            self.set_timer(3, lambda source=source: self._refresh_source(source))
            self.set_interval(source.interval.total_seconds(), lambda source=source: self._refresh_source(source))

    def _hung_up(self) -> None:
        """The terminal was closed under us: exit (the watch in workbench/terminal.py ends the process
        if this cannot finish). Everything the agent saved is already committed."""
        self.exit(return_code=HANGUP_EXIT_CODE)

    def _save_styles(self) -> None:
        """Keep this start's parsed styles for the next one (only when something new was parsed).

        The rules are taken here, on the UI thread (the only one that may touch Textual's parse cache);
        pickling and writing them happens in a worker.
        """
        saved = self._styles_snapshot()
        if saved is not None:
            self.run_worker(lambda: self._write_styles(saved), thread=True, group="style-cache",
                            exit_on_error=False)

    def _styles_snapshot(self) -> dict[str, Any] | None:
        saved = style_cache.snapshot(self.stylesheet, self._styles_kept)
        if saved is not None:
            self._styles_kept = self._styles_kept | set(saved["entries"])
        return saved

    def _write_styles(self, saved: dict[str, Any]) -> None:
        try:
            style_cache.write(saved, self._style_file)
        except OSError as exc:  # an unwritable cache dir costs the next start some speed, nothing else
            self.log.warning(f"styles not cached in {self._style_file}: {exc}")

    def on_unmount(self) -> None:
        if self.sync_runner is not None:
            self.sync_runner.stop()
        # Styles parsed after the first frame (the reply editor, lists, screens opened during the shift)
        # are kept too, written here at once: the app is closing, no worker would run.
        saved = self._styles_snapshot()
        if saved is not None:
            self._write_styles(saved)

    # ----- navigation -------------------------------------------------------------------------
    @property
    def main_screen(self) -> Any:
        from screens.main_screen import MainScreen

        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("main screen not mounted")

    def open_case(self, case_id: str) -> None:
        """Go back to the main screen and open ``case_id`` (from boards, approvals, notifications)."""
        main = self.main_screen
        while self.screen is not main:
            self.pop_screen()
        main.select_case(case_id)

    def on_case_changed(self, message: CaseChanged) -> None:
        main = self.main_screen
        if main.view is not None and main.view.case["id"] == message.case_id:
            main.reload_case()
        main.refresh_queue()
        main.refresh_status()

    def action_open_screen(self, name: str) -> None:
        import importlib

        module, class_name, lead_only = SCREENS[name]
        if lead_only and self.ctx.agent().get("role") != "lead":
            self.notify(t("main.lead_only"), severity="warning", markup=False)
            return
        screen_class = getattr(importlib.import_module(module), class_name)
        self.push_screen(screen_class(self.ctx))

    def our_bindings(self, screen: Screen[Any] | None = None) -> list[tuple[str, Any]]:
        """(key display, binding) for the active bindings that carry one of our ids.

        Textual's own editing keys (copy, delete to end of line…) have no id and are left out of help
        and the palette: they are not actions an agent looks for, and some share keys we override.
        """
        rows: list[tuple[str, Any]] = []
        seen: set[str] = set()
        for active in (screen or self.screen).active_bindings.values():
            binding = active.binding
            if not binding.id or binding.id in seen:
                continue
            seen.add(binding.id)
            rows.append((self.get_key_display(binding), active))
        return rows

    def action_help(self) -> None:
        from screens.help_modal import HelpModal

        rows = [(key, active.binding.description or active.binding.action, active.binding.id or "")
                for key, active in self.our_bindings()]
        focused = self.focused
        focus_name = (t_or(f"main.widget_{focused.id}", type(focused).__name__)
                      if focused is not None and focused.id else "-")
        self.push_screen(HelpModal(rows, focus_name))

    def action_command_palette(self) -> None:
        """The command palette, with its prompt in the agent's language."""
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette", placeholder=t("main.palette_placeholder")))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The command palette lists the same actions as help, by the same descriptions."""
        for key, active in self.our_bindings(screen):
            binding = active.binding
            if binding.action == "command_palette":
                continue

            def run(node: Any = active.node, action: str = binding.action) -> None:
                self.call_later(node.run_action, action)

            yield SystemCommand(f"{binding.description or binding.action} ({key})", binding.id or "", run)
        yield SystemCommand(t("main.quit"), "app.quit", self.action_quit)

    # ----- background work hooks ---------------------------------------------------------------
    def request_sync(self) -> None:
        """Sync now (the Sync screen's key). Without a hub configured, says so."""
        if self.sync_runner is None:
            self.notify(t("main.no_hub"), severity="warning", timeout=6, markup=False)
            return
        self.sync_runner.trigger()

    def _sync_reported(self, report: Any) -> None:
        """After each background sync round: refresh figures; rejections are shown prominently."""
        self.main_screen.refresh_all()
        if report.rejected:
            self.notify(t("main.sync_rejected", count=report.rejected), severity="error", timeout=15, markup=False)
        if self.ctx.settings.ui.bell and report.rejected:
            self.bell()

    def _refresh_source(self, source: Any) -> None:
        self.run_worker(self._refresh_source_async(source), group=f"source-{source.name}", exclusive=True)

    async def _refresh_source_async(self, source: Any) -> None:
        """Refresh one commerce/courier source; a failure shows a banner, the cached data stays."""
        result = await source.refresh(self.ctx)
        if result.ok:
            self.source_errors.pop(source.name, None)
        else:
            self.source_errors[source.name] = result.error or ""
        main = self.main_screen
        main.show_source_banner(self.source_errors)
        if result.ok and result.count:
            main.refresh_queue()
            main.reload_case()


def create_app(ctx: Context, sources: Sequence[Any] = (), sync_runner: Any = None,
               blink: bool = True, first: Pending | None = None) -> WorkbenchApp:
    """The App factory used by the CLI and the tests.

    ``first`` is the main screen's start-up data (:func:`workbench.services.startup.preload`) when the
    caller began loading it early; without it the main screen loads it in its own worker.
    """
    i18n.set_language(ctx.lang)
    wide_chars.install()  # Chinese text over the edge of a pane stays whole (widgets/wide_chars.py)
    return WorkbenchApp(ctx, sources=sources, sync_runner=sync_runner, blink=blink, first=first)
