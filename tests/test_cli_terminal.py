"""The workbench as an agent starts it: `python -m workbench` in a pseudo-terminal. The first frame shows
the top case (loaded by the forked preload), no preload process is left behind, the parsed styles are
kept for the next start, and Ctrl+Q ends the program cleanly."""

from __future__ import annotations

import os
import select
import sys
import time
from pathlib import Path

import pytest

from workbench.context import open_context
from workbench.services import startup

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pseudo-terminals and /proc: Linux")


def _top_order_no(db: Path) -> bytes:
    """The order number the customer pane shows for the first case (on the real clock, as the CLI runs)."""
    view = startup.first_screen(open_context(db=db, agent="a-lina")).queue.first
    assert view is not None
    order_id = view.case["order_id"] or view.orders[0]["id"]
    return next(o["order_no"] for o in view.orders if o["id"] == order_id).encode()


class Terminal:
    """One program in a 120×40 pseudo-terminal; ``until`` reads its output until some text appears."""

    def __init__(self, argv: list[str], env: dict[str, str], ignore_hangup: bool = False) -> None:
        import fcntl
        import pty
        import signal
        import struct
        import termios

        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: becomes the workbench (fd 1 is the terminal; sys.stdout is pytest's)
            try:
                if ignore_hangup:  # as under `make run`: make takes the SIGHUP and waits for its child
                    signal.signal(signal.SIGHUP, signal.SIG_IGN)
                fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
                os.chdir(ROOT)
                os.execvpe(argv[0], argv, env)
            finally:
                os._exit(127)  # never run the rest of the test session a second time
        self.output = b""

    def until(self, *texts: bytes, timeout: float = 30) -> bytes:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in self.output for text in texts):
                return next(text for text in texts if text in self.output)
            if select.select([self.fd], [], [], 0.1)[0]:
                try:
                    self.output += os.read(self.fd, 65536)
                except OSError:  # the program ended
                    break
        raise AssertionError(f"none of {texts} appeared; the screen ended with {self.output[-300:]!r}")

    def close(self) -> None:
        """Close the terminal window: the program's terminal is hung up."""
        os.close(self.fd)

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def send(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def wait(self, timeout: float = 15) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if select.select([self.fd], [], [], 0.1)[0]:
                try:
                    os.read(self.fd, 65536)
                except OSError:
                    pass
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, 9)
        os.waitpid(self.pid, 0)
        raise AssertionError("the workbench did not exit")

    def children(self) -> list[str]:
        """Process ids of the workbench's own child processes (zombies included)."""
        found: list[str] = []
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            found += (task / "children").read_text().split()
        return found


def _start(db: Path, cache: Path, ignore_hangup: bool = False) -> Terminal:
    env = dict(os.environ, TERM="xterm-256color", WORKBENCH_CACHE_DIR=str(cache))
    env.pop("CI", None)  # Textual's headless detection must not kick in
    return Terminal([sys.executable, "-m", "workbench", "--db", str(db), "--agent", "a-lina"], env,
                    ignore_hangup)


def test_opens_on_the_top_case_keeps_its_styles_and_quits_cleanly(demo_db: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for start in ("first", "second"):
        marker = _top_order_no(demo_db)
        term = _start(demo_db, cache)
        try:
            term.until(marker)
            term.until("回复".encode())  # the reply box's title: the whole centre column is drawn
            time.sleep(0.5)  # the work that waits for the first frame (styles saved, editor mounted)
            assert term.children() == [], "the start-up preload process was not reaped"
            assert (cache / "styles.pickle").exists(), f"styles not kept after the {start} start"
        finally:
            term.send(b"\x11")  # Ctrl+Q
        assert term.wait() == 0


def test_a_closed_terminal_ends_the_workbench_instead_of_spinning(demo_db: Path, tmp_path: Path) -> None:
    """Closing the window under `make run` (no SIGHUP reaches the program) used to leave it reading
    end-of-file in a loop at 100 % CPU, its UI thread stuck on the dead terminal's output queue; it now
    notices within seconds and ends with 129 (128 + SIGHUP)."""
    term = _start(demo_db, tmp_path / "cache", ignore_hangup=True)
    term.until(_top_order_no(demo_db))
    term.close()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        pid, status = os.waitpid(term.pid, os.WNOHANG)
        if pid:
            assert os.waitstatus_to_exitcode(status) == 129
            return
        time.sleep(0.2)
    spent = term.cpu_seconds()
    os.kill(term.pid, 9)
    os.waitpid(term.pid, 0)
    raise AssertionError(f"still running 15 s after its terminal closed ({spent:.1f} s of CPU used)")
