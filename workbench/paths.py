"""Where the workbench keeps its files. The one module that asks platformdirs.

Environment variables override each location so tests, CI and several agents on one machine can
keep separate caches.
"""

# No ``from __future__ import annotations`` in this module: its NamedTuple fields would then be strings,
# and typing compiles each one at import (about 3 ms over the modules on the way to the first frame).

import os
from pathlib import Path
from typing import NamedTuple

import platformdirs

APP_NAME = "shouhou-workbench"


class Paths(NamedTuple):
    """Resolved locations: config file, data dir (cache DB lives here), log dir, team playbooks dir, and
    the cache dir for files that only speed things up (deleting it loses nothing)."""

    config_file: Path
    config_dir: Path
    data_dir: Path
    db_file: Path
    log_dir: Path
    playbooks_dir: Path
    policy_file: Path
    cache_dir: Path

    def as_dict(self) -> dict[str, str]:
        return {k: str(v) for k, v in self._asdict().items()}


def resolve(db: str | None = None, config: str | None = None) -> Paths:
    """Resolve paths from explicit arguments, then env (WORKBENCH_DB, WORKBENCH_CONFIG, ...), then platformdirs."""
    config_dir = Path(os.environ.get("WORKBENCH_CONFIG_DIR") or platformdirs.user_config_dir(APP_NAME))
    data_dir = Path(os.environ.get("WORKBENCH_DATA_DIR") or platformdirs.user_data_dir(APP_NAME))
    log_dir = Path(os.environ.get("WORKBENCH_LOG_DIR") or platformdirs.user_log_dir(APP_NAME))
    cache_dir = Path(os.environ.get("WORKBENCH_CACHE_DIR") or platformdirs.user_cache_dir(APP_NAME))
    config_file = Path(config or os.environ.get("WORKBENCH_CONFIG") or config_dir / "config.toml")
    db_file = Path(db or os.environ.get("WORKBENCH_DB") or data_dir / "workbench.db")
    return Paths(
        config_file=config_file,
        config_dir=config_dir,
        data_dir=data_dir,
        db_file=db_file,
        log_dir=log_dir,
        playbooks_dir=config_dir / "playbooks",
        policy_file=config_dir / "policy.toml",
        cache_dir=cache_dir,
    )
