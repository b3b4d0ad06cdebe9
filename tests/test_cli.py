"""Command-line conventions and bad-input handling: clear message naming the file, exit code 2, nothing
overwritten."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True, text=True,
                          cwd=ROOT, env=full_env, timeout=120)


def test_locate_prints_paths_and_honours_env(tmp_path: Path) -> None:
    result = run("locate", "--json", env={"WORKBENCH_DB": str(tmp_path / "x.db")})
    assert result.returncode == 0
    paths = json.loads(result.stdout)
    assert paths["db_file"] == str(tmp_path / "x.db")
    assert paths["config_file"].endswith("config.toml")
    assert paths["cache_dir"]  # the parsed styles kept between starts (widgets/style_cache)


def test_corrupt_cache_is_reported_and_untouched(tmp_path: Path) -> None:
    db = tmp_path / "bad.db"
    db.write_bytes(b"garbage" * 500)
    result = run("followups", "--db", str(db))
    assert result.returncode == 2
    assert str(db) in result.stderr and "损坏" in result.stderr
    assert db.read_bytes() == b"garbage" * 500


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 9999")
    conn.close()
    result = run("followups", "--db", str(db), "--lang", "en")
    assert result.returncode == 2
    assert "9999" in result.stderr and "Upgrade" in result.stderr


def test_locked_cache_says_which_file(tmp_path: Path) -> None:
    db = tmp_path / "locked.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = run("followups", "--db", str(db), env={"WORKBENCH_BUSY_TIMEOUT_MS": "200"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 2
    assert str(db) in result.stderr and "锁定" in result.stderr


def test_unwritable_location(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("followups", "--db", str(blocker / "sub" / "cache.db"))
    assert result.returncode == 2
    assert "无法写入" in result.stderr


def test_broken_config_names_file_line_key(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[ui]\nlang = 'fr'\n", "utf-8")
    result = run("followups", "--config", str(config), "--db", str(tmp_path / "c.db"))
    assert result.returncode == 2
    assert f"{config}:2" in result.stderr and "ui.lang" in result.stderr


def test_first_run_with_an_agent_creates_the_demo_before_checking_the_agent(tmp_path: Path) -> None:
    """`workbench --agent a-zhaomin` on a fresh cache must not refuse an agent the demo is about to add."""
    from workbench import cli

    seen: dict[str, str] = {}

    def fake_create_app(ctx, **_kwargs):  # type: ignore[no-untyped-def]
        seen["agent"] = ctx.agent_id

        class _App:
            return_code = None  # as a Textual App that ended normally

            def run(self) -> None:
                seen["ran"] = "yes"

        return _App()

    import workbench.app as app_module

    original = app_module.create_app
    app_module.create_app = fake_create_app
    try:
        code = cli.main(["--db", str(tmp_path / "fresh.db"), "--agent", "a-zhaomin"])
    finally:
        app_module.create_app = original
    assert code == 0 and seen == {"agent": "a-zhaomin", "ran": "yes"}
