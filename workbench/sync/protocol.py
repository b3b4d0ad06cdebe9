"""The contract every hub adapter keeps (SQLite file, PostgreSQL): one protocol, one contract test suite.

A hub is the team's shared copy. The engine pushes outbox entries to it and pulls what changed since a
cursor. The hub, not the client, is the authority: it applies each entry at most once (by its
idempotency key, so a re-send after a lost reply is harmless), merges by the per-entity rules in
:mod:`workbench.sync.conflicts`, and re-checks every money action inside its own transaction.

Nothing here imports a driver; adapters live in ``adapters/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Status = Literal["accepted", "rejected", "conflict"]


class HubError(Exception):
    """A hub problem. ``str()`` is already redacted: it never contains a password."""


class HubUnavailable(HubError):
    """The hub cannot be reached right now (network, server restart): retry later with backoff."""


class HubRefused(HubError):
    """The hub answered but will not serve us (unknown agent, bad credentials, schema missing).

    Retrying does not help; the message says what the admin must do.
    """


@dataclass(frozen=True)
class Entry:
    """One outbox entry on its way to the hub.

    ``base_version`` is the hub version of the row this cache last saw (None: never seen), and
    ``after_key`` the key of this cache's previous entry for the same row: together they let the hub
    tell an edit made on top of the current hub state from one made without seeing another agent's.
    ``snapshot`` is the whole local row, sent with an update of a row the hub may not have yet.
    """

    key: str
    entity: str
    entity_id: str
    op: str
    payload: dict[str, Any]
    agent_id: str = ""
    created_at: str = ""
    base_version: int | None = None
    after_key: str | None = None
    snapshot: dict[str, Any] | None = None


@dataclass(frozen=True)
class Result:
    """The hub's answer for one entry.

    ``reason`` is ``code`` or ``code: detail`` (codes are listed in :mod:`workbench.sync.conflicts`).
    ``row`` is the hub's version of the row when it differs from what the client sent (a conflict, a
    rejection, or a merge with someone else's change); the engine applies it locally.
    """

    key: str
    status: Status
    reason: str = ""
    hub_version: int | None = None
    row: dict[str, Any] | None = None
    entity: str = ""
    entity_id: str = ""

    @property
    def code(self) -> str:
        return self.reason.split(":", 1)[0].strip()


@dataclass(frozen=True)
class Change:
    """One row as the hub holds it now, delivered by ``pull``."""

    entity: str
    entity_id: str
    version: int
    data: dict[str, Any] = field(default_factory=dict)
    updated_by: str = ""


@runtime_checkable
class Hub(Protocol):
    """What the sync engine needs from a hub."""

    url: str  # redacted, safe to show

    def push(self, entries: list[Entry]) -> list[Result]:
        """Apply entries in order (each at most once); one Result per entry, same order."""

    def pull(self, cursor: str, limit: int) -> tuple[list[Change], str]:
        """Rows changed since ``cursor`` ("" = from the start), at most ``limit``; and the next cursor.

        Fewer than ``limit`` changes means the caller is up to date as of this call.
        """

    def grant_allowance(self, agent_id: str) -> dict[str, Any]:
        """A slice of the agent's remaining daily budget usable offline.

        Returns ``{"agent_id", "granted_fen", "granted_at", "expires_at", "hub_now"}`` in hub time
        (UTC DB strings); the engine re-bases the times on the local clock before storing them.
        """

    def close(self) -> None:
        """Release connections; the hub object may be reopened by the caller."""
