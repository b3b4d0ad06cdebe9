"""Start-up: the preloaded first screen, the garbage-collector pause, the late-attached reply editor,
catalog areas loaded on demand and the fast TOML reader."""

from __future__ import annotations

import asyncio
import gc
import threading
import tomllib
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from widgets.composer import Composer
from widgets.queue_list import QueueList
from workbench import gcpause, i18n, tomlread
from workbench.app import create_app
from workbench.context import Context
from workbench.services import startup
from workbench.store import StoreError
from tests.ui_helpers import main_ready, settle

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def gc_restored() -> Iterator[None]:
    """Whatever a test does to the collector, the rest of the session runs with it on."""
    yield
    gcpause.resume()
    gc.enable()


# ----- the preloaded first screen ---------------------------------------------------------------
def test_first_screen_is_the_agents_queue_with_the_top_case_loaded(demo_ctx: Context) -> None:
    data = startup.first_screen(demo_ctx)
    assert data.queue.rows and data.queue.first is not None
    assert data.queue.first.case["id"] == data.queue.rows[0]["id"]
    assert data.status.agent["id"] == demo_ctx.agent_id
    assert startup.queue_data(demo_ctx, with_first=False).first is None


def test_first_screen_lists_one_page_of_the_same_queue(demo_ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    full = startup.queue_data(demo_ctx, with_first=False)
    assert not full.partial and len(full.rows) > 5
    assert not startup.first_screen(demo_ctx).queue.partial  # the demo queue fits in one page
    monkeypatch.setattr(startup, "FIRST_PAGE", 5)
    page = startup.first_screen(demo_ctx).queue
    assert page.partial
    assert [r["id"] for r in page.rows] == [r["id"] for r in full.rows[:len(page.rows)]]
    assert len(page.rows) == 5


def test_preload_runs_in_its_own_thread_and_hands_back_the_same_data(demo_ctx: Context) -> None:
    future = startup.preload(demo_ctx)
    data = startup.wait_for(future, 10)
    assert data is not None
    assert [r["id"] for r in data.queue.rows] == [r["id"] for r in startup.first_screen(demo_ctx).queue.rows]


def test_wait_for_gives_up_on_a_late_or_failed_preload() -> None:
    assert startup.wait_for(None, 1) is None
    late: Future[startup.FirstScreen] = Future()
    assert startup.wait_for(late, 0.01) is None  # never finished: the screen loads in its worker
    failed: Future[startup.FirstScreen] = Future()
    failed.set_exception(StoreError("locked", "/tmp/x.db", "database is locked"))
    assert startup.wait_for(failed, 1) is None  # the worker reloads and reports the error
    crashed: Future[startup.FirstScreen] = Future()
    crashed.set_exception(RuntimeError("bug"))
    with pytest.raises(RuntimeError):  # a programming error is not hidden
        startup.wait_for(crashed, 1)


async def test_preloaded_data_is_in_the_first_frame_without_a_queue_worker(demo_ctx: Context,
                                                                           gc_restored: None) -> None:
    first = startup.preload(demo_ctx)
    startup.wait_for(first, 10)
    app = create_app(demo_ctx, blink=False, first=first)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.screen
        # Shown while mounting, before any worker ran: no empty frame first.
        assert main.view is not None and main.query_one(QueueList).rows
        assert not [w for w in app.workers if w.group == "queue"]
        await settle(pilot)
        assert main.view.case["id"] == main.query_one(QueueList).rows[0]["id"]


async def test_a_first_page_is_completed_by_the_queue_worker_after_the_first_frame(
        demo_ctx: Context, gc_restored: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(startup, "FIRST_PAGE", 5)
    full = [r["id"] for r in startup.queue_data(demo_ctx, with_first=False).rows]
    first = startup.preload(demo_ctx)
    startup.wait_for(first, 10)
    app = create_app(demo_ctx, blink=False, first=first)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.screen
        queue = main.query_one(QueueList)
        shown = main.view.case["id"]
        assert [r["id"] for r in queue.rows] == full[:len(queue.rows)] and len(queue.rows) < len(full)
        await settle(pilot)
        assert [r["id"] for r in queue.rows] == full
        assert main.view.case["id"] == shown == queue.current_id


async def test_without_a_preload_the_screen_loads_in_its_worker(demo_ctx: Context) -> None:
    app = create_app(demo_ctx, blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await main_ready(pilot)
        assert main.view.case["id"] == main.query_one(QueueList).rows[0]["id"]


async def test_main_screen_styles_load_with_the_app(demo_ctx: Context) -> None:
    """The main screen is the app's default screen; its stylesheet must still apply."""
    app = create_app(demo_ctx, blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await main_ready(pilot)
        assert main.query_one("#queue").outer_size.width == 28  # main_screen.tcss: #queue { width: 28 }
        assert not main.query("#banner")  # mounted only once a source fails


# ----- the garbage collector ----------------------------------------------------------------------
def test_gc_pause_and_resume(gc_restored: None) -> None:
    assert gc.isenabled()
    gcpause.pause()
    assert not gc.isenabled() and gcpause.paused()
    gcpause.resume()
    assert gc.isenabled() and not gcpause.paused()
    gcpause.resume()  # a second resume changes nothing
    assert gc.isenabled()


def test_gc_resume_leaves_a_collector_it_did_not_pause_alone(gc_restored: None) -> None:
    gc.disable()
    gcpause.pause()  # already off: not ours to turn back on
    gcpause.resume()
    assert not gc.isenabled()


async def test_main_screen_turns_the_collector_back_on_after_its_first_frame(demo_ctx: Context,
                                                                             gc_restored: None) -> None:
    gcpause.pause()
    app = create_app(demo_ctx, blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await main_ready(pilot)
        await settle(pilot)
        assert gc.isenabled()


def test_cli_turns_the_collector_back_on_when_the_app_fails(demo_db: Path, gc_restored: None,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench import app as app_module
    from workbench import cli

    class Broken:
        def run(self) -> None:
            assert not gc.isenabled()  # paused for start-up …
            raise RuntimeError("terminal went away")

    monkeypatch.setattr(app_module, "create_app", lambda *a, **k: Broken())
    with pytest.raises(RuntimeError):
        cli.main(["--db", str(demo_db), "--agent", "a-lina"])
    assert gc.isenabled()  # … and back on although the app never drew a frame


async def test_secondary_work_waits_until_the_first_frame_is_out(demo_ctx: Context, gc_restored: None,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The editor, KB suggestions, notices and the collector wait (widgets.first_frame), then all run."""
    from widgets import first_frame

    monkeypatch.setattr(first_frame, "SETTLE_S", 0.5)
    gcpause.pause()  # as the CLI does before starting the app
    first = startup.preload(demo_ctx)
    startup.wait_for(first, 10)
    app = create_app(demo_ctx, blink=False, first=first)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.screen
        await settle(pilot)  # the first frame is drawn; nothing of the second wave has started
        assert main.view is not None and not main.started
        composer = main.query_one(Composer)
        assert composer.has_class("-standin") and not main.query("#reply")
        assert composer.region.height == 5  # the box the editor will fill, not a collapsed border
        assert not [w for w in app.workers if w.group in ("kb", "notices")]
        assert not main.query("#kb-suggestions")  # mounted when the suggestions arrive, not before
        assert not gc.isenabled()
        await main_ready(pilot)
        assert main.started and main.query("#reply") and gc.isenabled()
        assert composer.region.height == main.query_one("#reply").region.height == 5
        assert main.view.kb_hits and main.query_one("#kb-suggestions").get_option_at_index(0).id
        panel = main.query_one("#customer")
        assert [w.id for w in panel.children][-3:] == ["timeline", "kb-suggestions", "previous"]


# ----- the reply editor, attached after the first frame -------------------------------------------
async def test_reply_editor_replaces_its_stand_in_and_keeps_what_came_before(demo_ctx: Context) -> None:
    app = create_app(demo_ctx, blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        composer = app.screen.query_one(Composer)
        await main_ready(pilot)
        await settle(pilot)
        assert composer.ready and not composer.has_class("-standin") and not composer.border_title
        assert app.screen.query_one("#reply") is composer.area


async def test_text_given_before_the_editor_exists_is_not_lost(demo_ctx: Context) -> None:
    """Hold the attach back, send text and focus, then let it attach."""
    app = create_app(demo_ctx, blink=False)
    released = threading.Event()
    original = Composer._attach_editor

    async def held(self: Composer) -> None:
        while not released.is_set():
            await asyncio.sleep(0.01)
        await original(self)

    Composer._attach_editor = held  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await main_ready(pilot, editor=False)  # the case is open (its load clears any draft), the editor held back
            composer = app.screen.query_one(Composer)
            assert not composer.ready and composer.has_class("-standin")
            composer.set_draft("草稿")
            composer.clear()  # a case switch before the editor existed drops the draft …
            composer.insert_text("您好，预计{eta}送达")  # … and a phrasing inserted after it stays
            composer.focus_editor()
            composer.action_send()  # nothing to send yet: no crash, no message
            released.set()
            await settle(pilot)
            assert composer.ready
            assert composer.area.text == "您好，预计{eta}送达"
            assert composer.prompting == "eta"  # the field prompt asks for what is missing
    finally:
        Composer._attach_editor = original  # type: ignore[method-assign]


# ----- catalog areas and TOML ----------------------------------------------------------------------
def test_catalog_areas_load_on_demand() -> None:
    i18n.area.cache_clear()
    assert i18n.t("main.send", "zh") != "main.send"
    assert i18n.area.cache_info().currsize == 1  # only the main screen's strings were read
    assert i18n.t("reports.no_such_key_for_test", "zh") == "reports.no_such_key_for_test"
    assert set(i18n.catalog("en")) == set(i18n.catalog("zh"))


def _shipped_toml() -> list[Path]:
    files = []
    for package in ("workbench", "playbooks", "adapters"):
        files += sorted((ROOT / package).rglob("*.toml"))
    return files


@pytest.mark.parametrize("path", _shipped_toml(), ids=lambda p: str(p.relative_to(ROOT)))
def test_fast_reader_reads_every_shipped_file_as_the_standard_library_does(path: Path) -> None:
    text = path.read_text("utf-8")
    assert tomlread.loads(text) == tomllib.loads(text)


@pytest.mark.parametrize("text", [
    'a = 1\nb = "unclosed\n',
    "[table]\nx = 1\n[table]\n",
    "x = [1, 2\n",
    "ok = true\nbad key = 3\n",
])
def test_fast_reader_reports_errors_as_the_standard_library_does(text: str) -> None:
    """Our messages quote tomllib's wording and line numbers; the fast reader must not change them."""
    with pytest.raises(tomllib.TOMLDecodeError) as expected:
        tomllib.loads(text)
    with pytest.raises(tomlread.TomlError) as error:
        tomlread.loads(text)
    assert str(error.value) == str(expected.value)
