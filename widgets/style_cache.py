"""Keep Textual's parsed stylesheets from one start to the next.

Why: at every start Textual parses the workbench's .tcss files and the default CSS of every widget on
the first screen, 10–15 ms on the way to the first frame, and gets the same rules each time. Textual
already keeps parsed rules in a per-stylesheet cache keyed by the CSS text and where it came from;
:func:`load` fills that cache from the file :func:`write` wrote after the previous start.

Nothing stale can be used: the file is tied to the Textual and Python versions and to the theme's
variables (their values are substituted while parsing), and every entry is keyed by the full CSS
text, so an edited .tcss simply misses and is parsed as usual. The file only speeds things up: when
it is missing, unreadable, from another version or not the user's own, it is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from pathlib import Path
from typing import Any

FILE_NAME = "styles.pickle"
_FORMAT = 1
# Textual's modules that turn CSS text into rules, relative to the package.
_PARSER_FILES = ("__init__.py", "css/parse.py", "css/tokenize.py", "css/model.py", "css/styles.py",
                 "css/_styles_builder.py")


def _fingerprint(stylesheet: Any) -> str:
    """What the parsed rules depend on besides their own text: the parser's code and the theme variables.

    The parser's code is identified the way Python identifies stale bytecode, by its files' size and
    modification time (an upgrade rewrites them); asking for Textual's version would load package
    metadata, which costs more than this whole cache saves.
    """
    parser = sys.modules[type(stylesheet).__module__].__file__ or ""
    package = os.path.dirname(os.path.dirname(parser))
    stamps = [(name, _stamp(os.path.join(package, name))) for name in _PARSER_FILES]
    variables = sorted(getattr(stylesheet, "_variables", {}).items())
    text = repr((_FORMAT, package, stamps, sys.version_info[:2], variables))
    return hashlib.sha256(text.encode()).hexdigest()


def _stamp(path: str) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_size, info.st_mtime_ns


def _parse_cache(stylesheet: Any) -> Any | None:
    """Textual's cache of parsed rules, or None if this Textual keeps it differently."""
    cache = getattr(stylesheet, "_parse_cache", None)
    return cache if cache is not None and hasattr(cache, "keys") and hasattr(cache, "__setitem__") else None


def _trusted(path: Path) -> bool:
    """Only a file this user owns and nobody else can write is unpickled (pickles can run code)."""
    info = path.stat()
    return (not hasattr(os, "getuid") or info.st_uid == os.getuid()) and not info.st_mode & 0o022


def load(stylesheet: Any, path: Path) -> set[Any]:
    """Fill the stylesheet's parse cache from ``path``; the keys filled (empty when nothing usable)."""
    cache = _parse_cache(stylesheet)
    if cache is None:
        return set()
    try:
        if not _trusted(path):
            return set()
        with path.open("rb") as handle:
            saved = pickle.load(handle)
        if not isinstance(saved, dict) or saved.get("fingerprint") != _fingerprint(stylesheet):
            return set()
    except FileNotFoundError:
        return set()
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return set()  # unreadable or written by another version: parse as usual, write() replaces it
    entries = saved.get("entries")
    if not isinstance(entries, dict):
        return set()
    for key, rules in entries.items():
        cache[key] = rules
    return set(entries)


def snapshot(stylesheet: Any, loaded: set[Any]) -> dict[str, Any] | None:
    """What :func:`write` would keep: the parsed rules and their fingerprint; None if nothing is new
    since ``load`` (then there is nothing to write).

    Called on the UI thread: reading Textual's parse cache reorders it (it is a least-recently-used
    cache), so only the thread that parses may touch it. Pickling and writing can go to a worker.
    """
    cache = _parse_cache(stylesheet)
    if cache is None:
        return None
    entries = {key: cache[key] for key in list(cache.keys())}
    if not entries or set(entries) <= loaded:
        return None
    return {"fingerprint": _fingerprint(stylesheet), "entries": entries}


def write(saved: dict[str, Any], path: Path) -> None:
    """Write a :func:`snapshot` to ``path``: to a temporary file, then renamed, so a crash or a second
    workbench starting at the same moment never reads half a file. Raises OSError if it cannot."""
    data = pickle.dumps(saved, pickle.HIGHEST_PROTOCOL)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    partial.write_bytes(data)
    os.chmod(partial, 0o600)
    os.replace(partial, path)

