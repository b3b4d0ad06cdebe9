"""One message catalog for every user-facing string (zh-CN first, English complete).

Catalog files live in ``workbench/locale/<lang>/<area>.toml``; each area (main screen, compensation,
follow-ups, ...) owns one file so features do not edit each other's strings. Keys are ``area.key``
(nested tables flatten with dots). A test checks both languages have the same keys.

Areas load on first use: opening the workbench needs the main screen's strings, not the reports' or
the sync set-up's, and TOML parsing is a visible part of start-up time.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from workbench import tomlread

LANGS = ("zh", "en")
_current = {"lang": "zh"}


class _SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _flatten(prefix: str, table: dict[str, Any], out: dict[str, str]) -> None:
    for key, value in table.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(full, value, out)
        else:
            out[full] = str(value)


_LOCALE = Path(__file__).parent / "locale"


def _check(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")


@lru_cache(maxsize=64)
def area(lang: str, name: str) -> dict[str, str]:
    """The strings of one area (one catalog file) of one language, loaded once; {} for no such area."""
    _check(lang)
    path = _LOCALE / lang / f"{name}.toml"
    out: dict[str, str] = {}
    if path.is_file():
        _flatten(name, tomlread.loads(path.read_text("utf-8")), out)
    return out


@lru_cache(maxsize=4)
def catalog(lang: str) -> dict[str, str]:
    """All strings of one language (every area), for checks that look at the whole catalog."""
    _check(lang)
    out: dict[str, str] = {}
    for path in sorted((_LOCALE / lang).glob("*.toml")):
        out.update(area(lang, path.stem))
    return out


def _lookup(key: str, lang: str) -> str | None:
    return area(lang, key.partition(".")[0]).get(key)


def set_language(lang: str) -> None:
    """Switch the process-wide language (called once by the CLI/App factory)."""
    _check(lang)
    _current["lang"] = lang


def language() -> str:
    return _current["lang"]


def t(key: str, lang: str | None = None, **fields: Any) -> str:
    """Translate ``key``; ``{field}`` placeholders are filled from ``fields`` (missing ones stay visible).

    An unknown key returns the key itself so a missing string is obvious on screen and in tests,
    never a crash in the middle of a shift.
    """
    text = _lookup(key, lang or _current["lang"])
    if text is None:
        return key
    return text.format_map(_SafeDict(fields)) if fields else text


def t_or(key: str, fallback: str, lang: str | None = None, **fields: Any) -> str:
    """Translate ``key``, or return ``fallback`` when the catalog has no such key.

    For keys built from data (an order status, a case flag, a widget id): a value we have no string for
    is shown as it came, not as the raw key.
    """
    text = _lookup(key, lang or _current["lang"])
    if text is None:
        return fallback
    return text.format_map(_SafeDict(fields)) if fields else text
