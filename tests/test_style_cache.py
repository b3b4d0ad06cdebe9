"""Parsed styles kept between starts (widgets/style_cache): the second start parses nothing it already
had, draws the same screen, and a stale, corrupt, foreign or unwritable cache only costs speed."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import pytest
from textual.css import stylesheet as textual_stylesheet
from textual.css.stylesheet import Stylesheet

from widgets import style_cache
from workbench.app import create_app
from workbench.context import Context
from tests.ui_helpers import main_ready


class ParseCounter:
    """Counts Textual's CSS parser runs (a cache hit never reaches it)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = textual_stylesheet.parse

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(textual_stylesheet, "parse", counting)


async def _start(ctx: Context) -> tuple[Any, str]:
    """Open the workbench until the work after its first frame has run; returns the app and a
    screenshot (the exported SVG) of what it drew."""
    app = create_app(ctx, blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await main_ready(pilot)
        await app.workers.wait_for_complete()
        return app, app.export_screenshot()


def _cache_file(ctx: Context) -> Path:
    return ctx.paths.cache_dir / style_cache.FILE_NAME


async def test_the_second_start_parses_no_styles_and_draws_the_same_screen(
        demo_ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    counter = ParseCounter(monkeypatch)
    first_app, first_screen = await _start(demo_ctx)
    assert counter.calls > 10 and not first_app._styles_loaded
    assert _cache_file(demo_ctx).stat().st_mode & 0o777 == 0o600
    counter.calls = 0
    second_app, second_screen = await _start(demo_ctx)
    assert len(second_app._styles_loaded) > 10
    assert counter.calls == 0
    assert second_screen == first_screen


THEME = {"primary": "#004578"}
CSS = "#queue { width: 28; color: $primary; }\n.-urgent { text-style: bold; }"


def _save(sheet: Stylesheet, path: Path, loaded: set[Any]) -> bool:
    """Snapshot and write, as the App does after its first frame; whether anything was written."""
    saved = style_cache.snapshot(sheet, loaded)
    if saved is None:
        return False
    style_cache.write(saved, path)
    return True


def _parsed(css: str, cached_in: Path | None = None) -> Stylesheet:
    """A stylesheet with ``css`` parsed (after filling its cache from ``cached_in`` if given)."""
    sheet = Stylesheet(variables=THEME)
    if cached_in is not None:
        style_cache.load(sheet, cached_in)
    sheet.add_source(css, read_from=("test.tcss", ""))
    sheet.parse()
    return sheet


def test_rules_come_back_equal_and_changed_css_misses(tmp_path: Path) -> None:
    path = tmp_path / "styles.pickle"
    original = _parsed(CSS)
    assert _save(original, path, loaded=set())
    assert len(style_cache.load(Stylesheet(variables=THEME), path)) == 1
    fresh = _parsed(CSS, cached_in=path)
    assert [(r.selector_set, r.styles.get_rules()) for r in fresh.rules] == \
        [(r.selector_set, r.styles.get_rules()) for r in original.rules]
    edited = _parsed("#queue { width: 30; }", cached_in=path)
    assert edited.rules[0].styles.width.value == 30  # the edited text is parsed, not the cached rules


def test_nothing_new_means_nothing_written(tmp_path: Path) -> None:
    path = tmp_path / "styles.pickle"
    sheet = _parsed("#a { width: 1; }")
    assert _save(sheet, path, loaded=set())
    again = Stylesheet(variables=THEME)
    loaded = style_cache.load(again, path)
    assert not _save(again, path, loaded)


def test_another_theme_does_not_reuse_rules(tmp_path: Path) -> None:
    path = tmp_path / "styles.pickle"
    _save(_parsed("#a { color: $primary; }"), path, loaded=set())
    other_theme = Stylesheet(variables={"primary": "#ff0000"})
    assert style_cache.load(other_theme, path) == set()


@pytest.mark.parametrize("damage", [b"", b"not a pickle", pickle.dumps(["a", "list"]), pickle.dumps({"fingerprint": 1})])
def test_a_damaged_file_is_ignored_and_replaced(tmp_path: Path, damage: bytes) -> None:
    path = tmp_path / "styles.pickle"
    path.write_bytes(damage)
    path.chmod(0o600)
    sheet = Stylesheet(variables=THEME)
    assert style_cache.load(sheet, path) == set()
    sheet.add_source("#a { width: 1; }", read_from=("t", ""))
    sheet.parse()
    assert _save(sheet, path, loaded=set())
    assert style_cache.load(Stylesheet(variables=THEME), path)


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="file ownership is a POSIX notion")
def test_a_file_others_can_write_is_not_unpickled(tmp_path: Path) -> None:
    path = tmp_path / "styles.pickle"
    _save(_parsed("#a { width: 1; }"), path, loaded=set())
    path.chmod(0o666)
    assert style_cache.load(Stylesheet(variables=THEME), path) == set()


async def test_an_unwritable_cache_dir_costs_speed_not_the_shift(demo_ctx: Context) -> None:
    demo_ctx.paths.cache_dir.parent.mkdir(parents=True, exist_ok=True)
    demo_ctx.paths.cache_dir.write_text("a file where the cache dir should be")
    app, _ = await _start(demo_ctx)
    assert app.return_code is None  # still running when the test closed it: no crash
    assert demo_ctx.paths.cache_dir.read_text() == "a file where the cache dir should be"
