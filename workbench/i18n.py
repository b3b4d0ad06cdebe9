"""One message catalog for every user-facing string (zh-CN first, English complete).

Catalog files live in ``workbench/locale/<lang>/<area>.toml``; each area (main screen, compensation,
follow-ups, ...) owns one file so features do not edit each other's strings. Keys are ``area.key``
(nested tables flatten with dots). A test checks both languages have the same keys.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any

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


@lru_cache(maxsize=4)
def catalog(lang: str) -> dict[str, str]:
    """All strings of one language, loaded once from the package data."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    out: dict[str, str] = {}
    folder = resources.files("workbench").joinpath("locale", lang)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            _flatten(entry.name[:-5], tomllib.loads(entry.read_text("utf-8")), out)
    return out


def set_language(lang: str) -> None:
    """Switch the process-wide language (called once by the CLI/App factory)."""
    catalog(lang)
    _current["lang"] = lang


def language() -> str:
    return _current["lang"]


def t(key: str, lang: str | None = None, **fields: Any) -> str:
    """Translate ``key``; ``{field}`` placeholders are filled from ``fields`` (missing ones stay visible).

    An unknown key returns the key itself so a missing string is obvious on screen and in tests,
    never a crash in the middle of a shift.
    """
    text = catalog(lang or _current["lang"]).get(key)
    if text is None:
        return key
    return text.format_map(_SafeDict(fields)) if fields else text


def t_or(key: str, fallback: str, lang: str | None = None, **fields: Any) -> str:
    """Translate ``key``, or return ``fallback`` when the catalog has no such key.

    For keys built from data (an order status, a case flag, a widget id): a value we have no string for
    is shown as it came, not as the raw key.
    """
    text = catalog(lang or _current["lang"]).get(key)
    if text is None:
        return fallback
    return text.format_map(_SafeDict(fields)) if fields else text
