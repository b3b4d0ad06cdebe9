"""The forked start-up preload: results, errors, time-outs and clean-up of the child process, and the
fallback to a thread where forking is not safe."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from workbench import forked
from workbench.context import Context
from workbench.services import startup
from workbench.store import StoreError

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or not sys.platform.startswith("linux"),
                                reason="forking is only used on Linux")


def _gone(pid: int) -> bool:
    """True once ``pid`` is no child of ours any more (reaped: no zombie left)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def _child_pid() -> int:
    return os.getpid()


def _raise_store_error() -> None:
    raise StoreError("locked", "/tmp/cache.db", "database is locked", hint="x")


class _Unpicklable(Exception):
    def __init__(self, a: int, b: int) -> None:  # pickling rebuilds it with one argument: fails
        super().__init__(f"{a}/{b}")


def _raise_unpicklable() -> None:
    raise _Unpicklable(1, 2)


def _exit_silently() -> None:
    os._exit(3)


def _sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "late"


def test_the_result_comes_back_from_another_process_and_the_child_is_reaped() -> None:
    call = forked.call_forked(_child_pid)
    pid = call.result(timeout=10)
    assert pid != os.getpid() and pid == call._pid
    assert call.result() == pid  # asking again gives the same value
    assert _gone(pid)


def test_a_large_result_crosses_the_pipe_whole() -> None:
    rows = [{"id": i, "text": "您好" * 50} for i in range(5000)]  # ~1 MB: many pipe buffers
    assert forked.call_forked(lambda: rows).result(timeout=20) == rows


def test_errors_keep_their_type_and_fields() -> None:
    with pytest.raises(StoreError) as caught:
        forked.call_forked(_raise_store_error).result(timeout=10)
    assert (caught.value.kind, caught.value.path, caught.value.extra) == ("locked", "/tmp/cache.db", {"hint": "x"})


def test_an_error_that_cannot_be_pickled_arrives_as_its_traceback() -> None:
    with pytest.raises(forked.ForkedError, match="_Unpicklable: 1/2"):
        forked.call_forked(_raise_unpicklable).result(timeout=10)


def test_a_child_that_dies_without_a_result_is_an_error() -> None:
    call = forked.call_forked(_exit_silently)
    with pytest.raises(forked.ForkedError, match="without a result"):
        call.result(timeout=10)
    assert _gone(call._pid)


def test_a_late_child_times_out_and_cancel_stops_and_reaps_it() -> None:
    call = forked.call_forked(_sleep, 30)
    with pytest.raises(TimeoutError):
        call.result(timeout=0.05)
    assert call.cancel()
    assert _gone(call._pid)
    assert not call.cancel()  # already settled
    with pytest.raises(TimeoutError):
        call.result()


def test_forking_is_refused_while_another_thread_runs() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not forked.can_fork()
    finally:
        stop.set()
        thread.join()


@pytest.fixture
def single_threaded(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Earlier tests may leave Textual's helper threads winding down; the preload is tested as the CLI
    runs it, from a process with no other thread."""
    monkeypatch.setattr(forked, "can_fork", lambda: True)
    yield


def test_preload_forks_and_hands_back_the_same_first_screen(demo_ctx: Context, single_threaded: None) -> None:
    demo_ctx.store.conn  # the CLI has its connection open when it starts the preload
    pending = startup.preload(demo_ctx)
    assert isinstance(pending, forked.ForkedCall)
    data = startup.wait_for(pending, 10)
    assert data is not None
    expected = startup.first_screen(demo_ctx)  # this process reopens its connection on first use
    assert [r["id"] for r in data.queue.rows] == [r["id"] for r in expected.queue.rows]
    assert data.queue.first.case == expected.queue.first.case
    assert data.status == expected.status


def test_preload_uses_a_thread_where_forking_is_not_safe(demo_ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forked, "can_fork", lambda: False)
    pending = startup.preload(demo_ctx)
    assert not isinstance(pending, forked.ForkedCall)
    data = startup.wait_for(pending, 10)
    assert data is not None and data.queue.rows


def test_a_late_forked_preload_is_stopped_and_the_screen_loads_it_itself(
        demo_ctx: Context, single_threaded: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(startup, "first_screen", lambda ctx: _sleep(30))
    pending = startup.preload(demo_ctx)
    assert startup.wait_for(pending, 0.05) is None
    assert isinstance(pending, forked.ForkedCall) and _gone(pending._pid)


def test_a_failed_forked_preload_leaves_the_loading_to_the_screen(
        demo_ctx: Context, single_threaded: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(startup, "first_screen", lambda ctx: _raise_store_error())
    assert startup.wait_for(startup.preload(demo_ctx), 10) is None


def test_a_preload_child_that_died_leaves_the_loading_to_the_screen(
        demo_ctx: Context, single_threaded: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(startup, "first_screen", lambda ctx: _exit_silently())
    assert startup.wait_for(startup.preload(demo_ctx), 10) is None
