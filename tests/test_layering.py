"""DESIGN.md section 5: the headless core never loads the UI or network stacks; screens/widgets never
import adapters; widgets never import screens. Checked in fresh subprocesses through sys.modules, so
indirect imports count too, and in the source, so imports inside functions count as well."""

from __future__ import annotations

import ast
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


def _imported_packages(path: Path) -> set[str]:
    """Top-level packages a source file imports anywhere in it (module level or inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize(("package", "forbidden"), [
    ("widgets", {"screens", "adapters"}),
    ("screens", {"adapters"}),
    ("workbench", {"screens", "widgets", "adapters"}),
])
def test_no_forbidden_import_even_inside_functions(package: str, forbidden: set[str]) -> None:
    exempt = {"app.py", "cli.py", "__main__.py"} if package == "workbench" else set()
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_packages(path) & forbidden)
        for path in sorted((ROOT / package).rglob("*.py"))
        if not (path.parent == ROOT / package and path.name in exempt) and _imported_packages(path) & forbidden
    }
    assert offenders == {}


def test_source_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from screens.x import Y\n    return Y\n", "utf-8")
    assert _imported_packages(sample) == {"screens"}
