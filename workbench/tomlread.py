"""Read TOML fast, with the standard library's error messages.

The workbench reads a dozen TOML files while it opens (config, catalog areas, playbooks, policies);
the standard ``tomllib`` parser is pure Python and spent tens of milliseconds of every start on them.
``rtoml`` parses the same files about seven times faster. When it refuses a file, the text is parsed
again with ``tomllib`` (imported only then), so the message the user sees, and the line number our
messages quote, are the same as before; if ``tomllib`` accepts what ``rtoml`` refused, its reading is
the one used.
"""

from __future__ import annotations

from typing import Any

import rtoml


class TomlError(ValueError):
    """Invalid TOML; ``str()`` is ``tomllib``'s message, with the line and column where it has them."""


def loads(text: str) -> dict[str, Any]:
    """Parse TOML ``text``; invalid TOML raises :class:`TomlError`."""
    try:
        return rtoml.loads(text)  # type: ignore[no-any-return]
    except rtoml.TomlParsingError:
        import tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise TomlError(str(exc)) from exc
