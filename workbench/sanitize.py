"""Untrusted text (customer messages, API fields, CSV cells) made harmless for the terminal.

Rich and Textual strip only a few control characters; ESC/CSI/OSC sequences and 8-bit C1 controls
reach the terminal, and bidi overrides can reorder what the agent reads. Text is stored unchanged
and cleaned at render time with :func:`clean`; widgets must still never parse it as markup.
"""

from __future__ import annotations

import re

# Visible markers for invisible characters that can change how text reads.
_SHOW_AS_MARKER = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A)) | {
    0x200E, 0x200F, 0x061C, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF,
}
# C0 except tab and newline, DEL, and C1.
_DROP = (set(range(0x00, 0x20)) - {0x09, 0x0A}) | {0x7F} | set(range(0x80, 0xA0))

_TABLE: dict[int, str | None] = {cp: None for cp in _DROP}
_TABLE.update({cp: f"⟨U+{cp:04X}⟩" for cp in _SHOW_AS_MARKER})

# Whole escape sequences are removed, not just their ESC byte, so "[31m" does not remain as litter.
_ESCAPES = re.compile(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL/ST
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS/SOS/PM/APC ... ST
    r"|\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x9d[^\x07\x9c]*(?:\x07|\x9c)?"  # 8-bit OSC
    r"|\x1b[@-_]"  # other two-byte escapes
)

DEFAULT_LIMIT = 4000


def clean(text: str | None) -> str:
    """Return text safe to hand to a terminal: escapes removed, controls dropped, invisibles shown."""
    if not text:
        return ""
    if "\x1b" in text or "\x9b" in text or "\x9d" in text:
        text = _ESCAPES.sub("", text)
    return text.translate(_TABLE)


def one_line(text: str | None, limit: int = 80) -> str:
    """Clean text squeezed to one line for lists and tables, truncated with an ellipsis."""
    flat = " ".join(clean(text).split())
    if len(flat) > limit:
        return flat[: max(limit - 1, 0)] + "…"
    return flat


def for_display(text: str | None, limit: int = DEFAULT_LIMIT, max_lines: int = 60) -> tuple[str, bool]:
    """Clean text for a message view, truncated so one huge message cannot freeze the UI.

    Returns the text and whether it was cut (the UI then offers a way to read the whole text).
    """
    cleaned = clean(text)
    cut = False
    if len(cleaned) > limit:
        cleaned, cut = cleaned[:limit], True
    if cleaned.count("\n") > max_lines:
        cleaned, cut = "\n".join(cleaned.split("\n")[:max_lines]), True
    return cleaned, cut


def decode_bytes(data: bytes) -> str:
    """Decode bytes from outside as UTF-8, replacing what is not, so nothing crashes on ingest."""
    return data.decode("utf-8", errors="replace")
