"""Typed settings from one TOML file (read with workbench.tomlread: rtoml, tomllib for the error messages).

A broken file is reported with its path, line and key, and the app refuses to start rather than run on
half a configuration. Feature sections (sources, hub, ...) stay plain tables here and are validated by
their owners, which report errors through :class:`ConfigError` the same way.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workbench import tomlread
from workbench.i18n import LANGS
from workbench.record import Record


class ConfigError(Exception):
    """A configuration problem; ``str()`` names the file, line and key and says what to do."""

    def __init__(self, path: Path | str, message: str, line: int | None = None, key: str | None = None):
        self.path, self.line, self.key = str(path), line, key
        where = self.path + (f":{line}" if line else "") + (f" [{key}]" if key else "")
        super().__init__(f"{where}: {message}")


class ShopSettings(Record):
    __slots__ = ("name", "timezone", "currency")

    def __init__(self) -> None:
        self.name: str = "示例旗舰店"
        self.timezone: str = "Asia/Shanghai"
        self.currency: str = "CNY"


class UiSettings(Record):
    __slots__ = ("lang", "bell", "compact", "theme")

    def __init__(self) -> None:
        self.lang: str = "zh"
        self.bell: bool = False
        self.compact: bool = False
        self.theme: str = "textual-dark"


class AgentSettings(Record):
    __slots__ = ("id",)

    def __init__(self) -> None:
        self.id: str = ""


class HubSettings(Record):
    __slots__ = ("url", "interval_seconds")

    def __init__(self) -> None:
        self.url: str = ""
        self.interval_seconds: int = 10


class ApprovalSettings(Record):
    __slots__ = ("stale_after_minutes",)

    def __init__(self) -> None:
        self.stale_after_minutes: int = 30


class LogisticsSettings(Record):
    __slots__ = ("stall_hours", "per_carrier_stall_hours")

    def __init__(self) -> None:
        self.stall_hours: int = 48
        self.per_carrier_stall_hours: dict[str, int] = {}


class Settings(Record):
    """Everything the config file may say. Unknown sections or keys are errors, not silently ignored.

    Each section starts with its defaults; :func:`load` sets what the file says, key by key.
    """

    __slots__ = ("shop", "ui", "agent", "hub", "approvals", "logistics", "keys", "sources", "source_path")

    def __init__(self) -> None:
        self.shop = ShopSettings()
        self.ui = UiSettings()
        self.agent = AgentSettings()
        self.hub = HubSettings()
        self.approvals = ApprovalSettings()
        self.logistics = LogisticsSettings()
        self.keys: dict[str, str] = {}
        self.sources: dict[str, dict[str, Any]] = {}
        self.source_path: str = ""


_FREE_TABLES = {"keys", "sources"}


def _line_of(text: str, section: str, key: str) -> int | None:
    """Best-effort line number of ``key`` inside ``[section]`` (for error messages)."""
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"\s*\[+([^\]]+)\]+", line)
        if header:
            current = header.group(1).strip()
            if not key and current == section:
                return number
            continue
        if current == section and re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line):
            return number
    return None


def _coerce(path: Path, text: str, section: str, key: str, value: Any, default: Any) -> Any:
    expected = type(default)
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, expected)
    if not ok:
        raise ConfigError(
            path,
            f"应为 {expected.__name__},实际是 {type(value).__name__} / expected {expected.__name__}, "
            f"got {type(value).__name__} ({value!r})",
            _line_of(text, section, key),
            f"{section}.{key}",
        )
    return value


def load(path: Path) -> Settings:
    """Load settings from ``path``; a missing file means defaults. Raises :class:`ConfigError`."""
    settings = Settings()
    if not path.exists():
        return settings
    try:
        raw_bytes = path.read_bytes()
        text = raw_bytes.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, f"无法读取配置文件 / cannot read the config file: {exc}") from exc
    try:
        data = tomlread.loads(text)
    except tomlread.TomlError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise ConfigError(
            path,
            f"TOML 语法错误 / TOML syntax error: {exc}. 请修正该行后重试 / fix that line and try again",
            int(match.group(1)) if match else None,
        ) from exc
    settings.source_path = str(path)
    for section, value in data.items():
        if section not in settings.fields() or section == "source_path":
            raise ConfigError(
                path, "未知的配置段 / unknown section", _line_of(text, section, ""), section
            )
        if not isinstance(value, dict):
            raise ConfigError(path, "应为一个表 [section] / expected a table", None, section)
        if section in _FREE_TABLES:
            setattr(settings, section, dict(value))
            continue
        target = getattr(settings, section)
        known = set(target.fields())
        for key, item in value.items():
            if key not in known:
                raise ConfigError(
                    path,
                    f"未知的配置项 / unknown key; 可用 / known: {', '.join(sorted(known))}",
                    _line_of(text, section, key),
                    f"{section}.{key}",
                )
            setattr(target, key, _coerce(path, text, section, key, item, getattr(target, key)))
    try:
        ZoneInfo(settings.shop.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            path, f"未知时区 / unknown timezone {settings.shop.timezone!r} (e.g. Asia/Shanghai)",
            _line_of(text, "shop", "timezone"), "shop.timezone",
        ) from exc
    if settings.ui.lang not in LANGS:
        raise ConfigError(path, "lang 只能是 zh 或 en / lang must be zh or en",
                          _line_of(text, "ui", "lang"), "ui.lang")
    return settings
