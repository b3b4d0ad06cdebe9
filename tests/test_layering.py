"""DESIGN.md section 5: the headless core never loads the UI or network stacks; screens/widgets never
import adapters. Checked in fresh subprocesses through sys.modules, so indirect imports count too."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE_EXEMPT = {"workbench.app", "workbench.cli", "workbench.__main__"}


def _modules(package: str) -> list[str]:
    folder = ROOT / package.replace(".", "/")
    names = [package]
    for info in pkgutil.walk_packages([str(folder)], prefix=package + "."):
        names.append(info.name)
    return names


def _loaded_after_import(modules: list[str]) -> dict[str, list[str]]:
    script = (
        "import importlib, json, sys\n"
        f"mods = {modules!r}\n"
        "out = {}\n"
        "for name in mods:\n"
        "    before = set(sys.modules)\n"
        "    importlib.import_module(name)\n"
        "out['loaded'] = sorted(sys.modules)\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(result.stdout)


def _offenders(loaded: list[str], forbidden: tuple[str, ...]) -> list[str]:
    return [m for m in loaded if m.split(".")[0] in forbidden]


def test_core_does_not_import_ui_or_network() -> None:
    core = [m for m in _modules("workbench") if m not in CORE_EXEMPT]
    loaded = _loaded_after_import(core)["loaded"]
    assert _offenders(loaded, ("textual", "httpx", "psycopg", "screens", "widgets", "adapters", "rich")) == []


def test_adapters_do_not_import_textual() -> None:
    loaded = _loaded_after_import(_modules("adapters"))["loaded"]
    assert _offenders(loaded, ("textual", "screens", "widgets")) == []


@pytest.mark.parametrize("package", ["widgets", "screens"])
def test_ui_does_not_import_adapters(package: str) -> None:
    loaded = _loaded_after_import(_modules(package))["loaded"]
    assert _offenders(loaded, ("adapters", "httpx", "psycopg")) == []


def test_layering_check_catches_a_violation(tmp_path: Path) -> None:
    """The check itself can fail: a module importing textual is reported."""
    loaded = _loaded_after_import(["textual.app"])["loaded"]
    assert "textual" in {m.split(".")[0] for m in _offenders(loaded, ("textual",))}
