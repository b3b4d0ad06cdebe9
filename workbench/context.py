"""The context every service function receives: the store, the clock, settings, paths and the agent.

The CLI and the App factory build it the same way (:func:`open_context`), so tests exercise exactly the
path users take.
"""

from __future__ import annotations

from pathlib import Path

from workbench import config as config_mod
from workbench import paths as paths_mod
from workbench.clock import Clock, SystemClock
from workbench.record import Record
from workbench.store import Store
from workbench.store.migrate import migrate


class UnknownAgent(Exception):
    """The requested agent id is not in the cache."""

    def __init__(self, agent: str, known: list[str]):
        self.agent, self.known = agent, known
        super().__init__(f"unknown agent {agent!r}; known: {', '.join(known)}")


class Context(Record):
    """The store, clock, settings and paths of one signed-in agent (``agent_id``, ``lang``).

    ``extras`` holds per-context caches (the playbook registry, the parsed policy).
    """

    __slots__ = ("store", "clock", "settings", "paths", "agent_id", "lang", "extras")

    def __init__(self, store: Store, clock: Clock, settings: config_mod.Settings, paths: paths_mod.Paths,
                 agent_id: str = "", lang: str = "zh", extras: dict[str, object] | None = None) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self.paths = paths
        self.agent_id = agent_id
        self.lang = lang
        self.extras: dict[str, object] = {} if extras is None else extras

    @property
    def tz(self) -> str:
        return self.settings.shop.timezone

    def agent(self) -> dict[str, object]:
        """The signed-in agent's row as a dict (empty when none is signed in)."""
        row = self.store.one("SELECT * FROM agents WHERE id = ?", (self.agent_id,))
        return dict(row) if row else {}


def open_context(
    db: str | Path | None = None,
    config: str | Path | None = None,
    agent: str | None = None,
    lang: str | None = None,
    clock: Clock | None = None,
    *,
    require_agent: bool = False,
) -> Context:
    """Resolve paths, load settings, open and migrate the cache, check the agent.

    Raises ConfigError, StoreError or UnknownAgent; the caller turns them into a clear message.
    """
    paths = paths_mod.resolve(str(db) if db else None, str(config) if config else None)
    settings = config_mod.load(paths.config_file)
    store = Store(paths.db_file)
    migrate(store)
    agent_id = agent or settings.agent.id
    if agent_id or require_agent:
        known = [r[0] for r in store.query("SELECT id FROM agents ORDER BY id")]
        if not agent_id and known:
            agent_id = known[0]
        if agent_id not in known:
            raise UnknownAgent(agent_id, known)
    return Context(
        store=store,
        clock=clock or SystemClock(),
        settings=settings,
        paths=paths,
        agent_id=agent_id or "",
        lang=lang or settings.ui.lang,
    )
