"""Hostile text (shared/data/hostile) is made harmless: no escapes, no controls, invisibles shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text

from workbench import sanitize


def _hostile(shared_data: Path) -> list[dict[str, object]]:
    rows = []
    for line in (shared_data / "hostile" / "strings.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        row["text"] = row["text"] * int(row.get("repeat", 1))
        rows.append(row)
    return rows


def test_every_hostile_string_renders_without_escapes(shared_data: Path) -> None:
    for row in _hostile(shared_data):
        shown, _ = sanitize.for_display(str(row["text"]))
        assert "\x1b" not in shown and "\x9b" not in shown and "\x9d" not in shown, row["id"]
        assert all(ch in "\n\t" or ord(ch) >= 0x20 for ch in shown if ord(ch) < 0xA0 and ch != "\x7f"), row["id"]
        for ch in ("\u202e", "\u2066", "\u200b", "\ufeff"):
            assert ch not in shown, row["id"]
        console = Console(file=open("/dev/null", "w"), force_terminal=True, width=80)
        with console.capture() as capture:
            console.print(Text(shown))
        out = capture.get()
        assert "\x1b]" not in out, row["id"]  # no OSC (hyperlinks, clipboard, title) reaches the terminal


def test_markup_stays_literal() -> None:
    text = "[@click=app.quit]查看物流[/] [link=https://evil.example]退款[/link] [/]"
    assert Text(sanitize.clean(text)).plain == text


def test_bidi_and_zero_width_become_markers() -> None:
    assert sanitize.clean("abc\u202edef") == "abc⟨U+202E⟩def"
    assert sanitize.clean("退\u200b款") == "退⟨U+200B⟩款"


def test_osc52_and_csi_removed_whole() -> None:
    assert sanitize.clean("hi\x1b]52;c;ZXZpbA==\x07there\x1b[31mred") == "hitherered"


def test_long_text_truncated_with_flag() -> None:
    shown, cut = sanitize.for_display("字" * 1_000_000)
    assert cut and len(shown) == sanitize.DEFAULT_LIMIT
    shown, cut = sanitize.for_display("\n" * 100_000)
    assert cut and shown.count("\n") <= 60


@pytest.mark.parametrize("limit", [1, 5, 80])
def test_one_line(limit: int) -> None:
    out = sanitize.one_line("第一行\n第二行\t很长很长很长很长很长很长很长", limit)
    assert "\n" not in out and len(out) <= limit


def test_invalid_utf8_decodes(shared_data: Path) -> None:
    data = (shared_data / "hostile" / "invalid_utf8.bin").read_bytes()
    assert "\ufffd" in sanitize.decode_bytes(data)
