"""The Sync screen: what is waiting for the hub, what it refused and why, what it merged, the last errors.

Everything shown comes from the local cache (:mod:`workbench.sync.status`), read by a thread worker, so
the screen opens instantly offline. Conflicts show both versions field by field (this device → hub).
Record values are untrusted text (customer names, notes): they are cleaned and placed in ``Text``
objects, never parsed as markup. "Sync now" asks the app (``app.request_sync()``): a screen may not
import the adapters that talk to a hub.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from workbench import sanitize, timefmt
from workbench.context import Context
from workbench.i18n import t, t_or
from workbench.money import format_fen
from workbench.sync import status

SHOWN = 50


class SyncLoaded(Message):
    """The worker's snapshot of the sync state."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        super().__init__()


def entity_name(entity: str) -> str:
    return t_or(f"sync.entity.{entity}", t("sync.entity.other"))


def reason_text(reason: str) -> str:
    """The translated reason with the hub's detail kept (so figures stay visible)."""
    code = status.reason_code(reason)
    human = t_or(f"sync.reason.{code}", t("sync.reason.other"))
    detail = reason.split(":", 1)[1].strip() if ":" in reason else ""
    return f"{human}({detail})" if detail else human


def diff_lines(local: dict[str, Any] | None, hub: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """(field, this device's value, hub's value) for every field the two versions disagree on."""
    local, hub = local or {}, hub or {}
    return [(key, sanitize.one_line(str(local[key]), 40), sanitize.one_line(str(hub.get(key)), 40))
            for key in sorted(local) if key != "version" and local[key] != hub.get(key)]


class SyncScreen(Screen[None]):
    """Pending entries, rejections with reasons and next steps, conflicts with both versions, errors."""

    CSS_PATH = "sync_screen.tcss"
    BINDINGS = [
        Binding("escape", "close", t("sync.back"), id="sync.close"),
        Binding("s", "sync_now", t("sync.sync_now"), id="sync.sync_now"),
        Binding("r", "reload", t("sync.refresh"), id="sync.refresh"),
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx

    def compose(self) -> ComposeResult:
        yield Static(id="sync-status", markup=False)
        with VerticalScroll(id="sync-body"):
            for section in ("rejected", "conflict", "pending", "errors"):
                yield Static(id=f"sync-{section}-title", classes="sync-title", markup=False)
                yield Static(id=f"sync-{section}", classes="sync-list", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def action_close(self) -> None:
        self.app.pop_screen()

    def action_reload(self) -> None:
        self.load()

    def action_sync_now(self) -> None:
        request = getattr(self.app, "request_sync", None)
        if callable(request):
            request()
            self.notify(t("sync.sync_started"))
            self.set_timer(1.0, self.action_reload)
        else:
            self.notify(t("sync.sync_unavailable"), severity="warning")

    @work(thread=True, exclusive=True, group="sync-screen")
    def load(self) -> None:
        ctx = self.ctx
        data = {"state": status.read(ctx), "pending": status.pending_entries(ctx, SHOWN + 1),
                "rejected": status.answered(ctx, "rejected", SHOWN), "conflict": status.answered(ctx, "conflict", SHOWN),
                "errors": status.errors(ctx, 10)}
        ctx.store.close()
        self.post_message(SyncLoaded(data))

    def on_sync_loaded(self, message: SyncLoaded) -> None:
        data = message.data
        self.query_one("#sync-status", Static).update(self._status_line(data["state"]))
        sections = {
            "rejected": (t("sync.rejections_title", count=len(data["rejected"])), self._rejections(data["rejected"])),
            "conflict": (t("sync.conflicts_title", count=len(data["conflict"])), self._conflicts(data["conflict"])),
            "pending": (t("sync.pending_title", count=data["state"]["pending"]), self._pending(data["pending"])),
            "errors": (t("sync.errors_title"), self._errors(data["errors"])),
        }
        for name, (title, body) in sections.items():
            self.query_one(f"#sync-{name}-title", Static).update(Text(title, style="bold"))
            self.query_one(f"#sync-{name}", Static).update(body)

    def _time(self, stamp: str | None) -> str:
        return timefmt.short_local(stamp, self.ctx.tz) if stamp else t("sync.never")

    def _status_line(self, state: dict[str, Any]) -> Text:
        if not state["hub"]:
            return Text(t("sync.no_hub") + " · " + t("sync.pending_title", count=state["pending"]))
        online = state["online"]
        label = t("sync.online") if online else t("sync.offline") if online is False else t("sync.unknown")
        line = Text(t("sync.status_line", hub=sanitize.one_line(state["hub"], 60), state=label,
                      time=self._time(state["last_sync_at"]), pending=state["pending"]))
        line.stylize("bold green" if online else "bold red" if online is False else "dim", 0, len(line))
        return line

    def _rejections(self, rows: list[dict[str, Any]]) -> Text:
        out = Text()
        for row in rows:
            local = row["local"]
            out.append("✗ ", "bold red")
            out.append(f"{entity_name(row['entity'])} {sanitize.one_line(row['entity_id'], 30)}", "bold")
            if row["entity"] == "compensations" and isinstance(local.get("amount_fen"), int):
                out.append(f"  {sanitize.one_line(str(local.get('action', '')), 20)} {format_fen(local['amount_fen'])}")
            out.append("\n  " + sanitize.one_line(reason_text(row["reason"]), 160), "red")
            step = t(status.next_step_key(row["code"]))
            out.append("\n  " + t("sync.next_step", step=step) + "\n", "yellow")
        return out or Text(t("sync.empty"), style="dim")

    def _conflicts(self, rows: list[dict[str, Any]]) -> Text:
        out = Text()
        for row in rows:
            out.append("≠ ", "bold yellow")
            out.append(f"{entity_name(row['entity'])} {sanitize.one_line(row['entity_id'], 30)}", "bold")
            out.append("  " + sanitize.one_line(reason_text(row["reason"]), 120) + "\n")
            out.append(f"  {t('sync.local_version')} → {t('sync.hub_version')}\n", "dim")
            for field, mine, theirs in diff_lines(row["local"], row["hub"]):
                out.append(f"    {field}: ")
                out.append(mine, "cyan")
                out.append(" → ")
                out.append(theirs + "\n", "magenta")
        return out or Text(t("sync.empty"), style="dim")

    def _pending(self, rows: list[dict[str, Any]]) -> Text:
        out = Text()
        for row in rows[:SHOWN]:
            out.append(f"· {self._time(row['created_at'])} {entity_name(row['entity'])} "
                       f"{sanitize.one_line(row['entity_id'], 30)} {sanitize.one_line(row['op'], 12)}")
            if row["attempts"]:
                out.append("  " + t("sync.attempts", count=row["attempts"]), "dim")
            out.append("\n")
        if len(rows) > SHOWN:
            out.append("…\n", "dim")
        return out or Text(t("sync.empty"), style="dim")

    def _errors(self, rows: list[dict[str, Any]]) -> Text:
        out = Text()
        for row in rows:
            out.append(self._time(row["at"]) + "  ", "dim")
            out.append(sanitize.one_line(row["message"], 200) + "\n", "red")
        return out or Text(t("sync.empty"), style="dim")
