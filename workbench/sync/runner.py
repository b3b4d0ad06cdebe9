"""Background sync while the app is open: a daemon thread running :func:`sync_once` on a schedule.

Every ``interval`` seconds while the hub answers; exponential backoff with jitter while it does not
(:mod:`workbench.sync.backoff`). :meth:`SyncRunner.trigger` ("sync now") wakes it at once. The thread
uses its own SQLite connection (the Store is thread-local), and the hub is opened through a factory
the app passes in, because the core may not import the adapters that know PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from workbench.context import Context
from workbench.sync import redact
from workbench.sync.backoff import Backoff
from workbench.sync.engine import SyncReport, record_error, sync_once
from workbench.sync.protocol import Hub, HubError, HubUnavailable


class SyncRunner:
    """Owns one background thread; ``on_report`` is called from that thread after every round."""

    def __init__(self, ctx: Context, open_hub: Callable[[], Hub],
                 on_report: Callable[[SyncReport], None] | None = None, backoff: Backoff | None = None,
                 hub_label: str = ""):
        self.ctx = ctx
        self.open_hub = open_hub
        self.on_report = on_report
        self.backoff = backoff or Backoff(interval=float(ctx.settings.hub.interval_seconds))
        self.hub_label = redact.url(hub_label)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._hub: Hub | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="workbench-sync", daemon=True)
            self._thread.start()

    def trigger(self) -> None:
        """Sync now (the Sync screen's key, the command palette)."""
        self.backoff.reset()
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run_once(self) -> SyncReport:
        """One round on the calling thread (also what the loop runs)."""
        try:
            if self._hub is None:
                self._hub = self.open_hub()
            report = sync_once(self.ctx, self._hub)
        except HubError as exc:
            online = not isinstance(exc, HubUnavailable)
            record_error(self.ctx, self.hub_label, str(exc), online)
            report = SyncReport(hub=self.hub_label, online=online, error=str(exc))
        if not report.ok:
            self._drop_hub()
        return report

    def _drop_hub(self) -> None:
        if self._hub is not None:
            hub, self._hub = self._hub, None
            hub.close()  # adapters' close() never raises: a dead connection is simply dropped

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    report = self.run_once()
                except Exception as exc:  # noqa: BLE001
                    # A bug must not end background sync silently: it is recorded for the header and the
                    # Sync screen, and the next round is tried after the backoff.
                    message = f"{type(exc).__name__}: {redact.text(str(exc))}"
                    record_error(self.ctx, self.hub_label, message, online=True)
                    report = SyncReport(hub=self.hub_label, error=message)
                    self._drop_hub()
                if self.on_report is not None:
                    self.on_report(report)
                delay = self.backoff.next_delay(report.ok)
                self._wake.wait(delay)
                self._wake.clear()
        finally:
            self._drop_hub()
            self.ctx.store.close()
