"""Read TOML fast, with the standard library's error messages.

The workbench reads a dozen TOML files while it opens (config, catalog areas, playbooks, policies);
the standard ``tomllib`` parser is pure Python and spent tens of milliseconds of every start on them.
``rtoml`` parses the same files about seven times faster. When it refuses a file, the text is parsed
again with ``tomllib`` so the error the user sees, and the line number our messages quote, are the same
as before; if ``tomllib`` accepts what ``rtoml`` refused, its reading is the one used.
"""

from __future__ import annotations

import tomllib
from typing import Any

import rtoml


def loads(text: str) -> dict[str, Any]:
    """Parse TOML ``text``; invalid TOML raises :class:`tomllib.TOMLDecodeError`."""
    try:
        return rtoml.loads(text)  # type: ignore[no-any-return]
    except rtoml.TomlParsingError:
        return tomllib.loads(text)
