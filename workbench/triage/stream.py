"""Reading untrusted line-oriented input (JSON lines or plain text) without loading it whole.

Used by ``workbench triage`` and ``workbench kb import``: a huge file is streamed line by line, a line
longer than the limit is skipped (and drained) instead of filling memory, bytes that are not UTF-8 are
reported for that line only, so one bad line never stops the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from workbench.i18n import t

MAX_LINE_BYTES = 1 << 20


def read_lines(stream: BinaryIO, max_bytes: int = MAX_LINE_BYTES) -> Iterator[tuple[int, str | None, str]]:
    """Yield ``(line number, stripped text or None, problem)``; text is None when the line is unusable
    and ``problem`` then says why (translated)."""
    number = 0
    while True:
        raw = stream.readline(max_bytes + 1)
        if not raw:
            return
        number += 1
        if len(raw) > max_bytes and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(max_bytes + 1)
            yield number, None, t("triage.cli.too_long", kib=max_bytes // 1024)
            continue
        try:
            yield number, raw.decode("utf-8").strip(), ""
        except UnicodeDecodeError as exc:
            yield number, None, t("triage.cli.not_utf8", byte=exc.start + 1)
