"""Hub addresses without their secrets: what logs, errors and the header may show.

A DSN such as ``postgresql://lina:s3cret@hub.example/team`` must never reach a log line, an exception
message or the screen. :func:`url` masks the password (and ``password=`` key/value parameters);
:func:`text` scrubs known secrets out of any message, e.g. a driver error that echoes the DSN.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "***"
# Pattern strings, compiled by ``re`` on first use and cached there: most starts have no hub and no
# error to redact, and compiling them at import delays the first frame.
_KV_PASSWORD = r"(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)"
_QUERY_PASSWORD = r"(?i)((?:^|&)password=)[^&]*"
_URL_PASSWORD = r"(\w+://[^:/@\s]*:)([^@\s]*)(@)"


def url(value: str) -> str:
    """The URL with any password replaced by ``***`` (unparseable input is scrubbed by pattern)."""
    if not value:
        return ""
    try:
        parts = urlsplit(value)
    except ValueError:
        return text(value)
    if parts.password is None and "password" not in parts.query.lower():
        return text(value)
    query = re.sub(_QUERY_PASSWORD, lambda m: m.group(1) + MASK, parts.query)
    netloc = parts.netloc
    if parts.password is not None:
        user_part, _, host_part = netloc.rpartition("@")
        user = user_part.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{host_part}"
    return text(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))


def password_of(value: str) -> str:
    """The password embedded in a URL ('' when none), so messages can be scrubbed of it."""
    try:
        secret = urlsplit(value).password
    except ValueError:
        return ""
    return unquote(secret) if secret else ""


def text(message: str, secrets: tuple[str, ...] = ()) -> str:
    """``message`` with URL passwords, ``password=...`` pairs and the given secrets masked."""
    out = re.sub(_URL_PASSWORD, lambda m: m.group(1) + MASK + m.group(3), message)
    out = re.sub(_KV_PASSWORD, lambda m: m.group(1) + MASK, out)
    for secret in secrets:
        if secret and len(secret) >= 3:
            out = out.replace(secret, MASK)
    return out
