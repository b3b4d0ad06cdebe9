"""Typed settings from one TOML file (read with workbench.tomlread: rtoml, tomllib for the error messages).

A broken file is reported with its path, line and key, and the app refuses to start rather than run on
half a configuration. Feature sections (sources, hub, ...) stay plain tables here and are validated by
their owners, which report errors through :class:`ConfigError` the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workbench import tomlread
from workbench.i18n import LANGS


class ConfigError(Exception):
    """A configuration problem; ``str()`` names the file, line and key and says what to do."""

    def __init__(self, path: Path | str, message: str, line: int | None = None, key: str | None = None):
        self.path, self.line, self.key = str(path), line, key
        where = self.path + (f":{line}" if line else "") + (f" [{key}]" if key else "")
        super().__init__(f"{where}: {message}")


@dataclass
class ShopSettings:
    name: str = "示例旗舰店"
    timezone: str = "Asia/Shanghai"
    currency: str = "CNY"


@dataclass
class UiSettings:
    lang: str = "zh"
    bell: bool = False
    compact: bool = False
    theme: str = "textual-dark"


@dataclass
class AgentSettings:
    id: str = ""


@dataclass
class HubSettings:
    url: str = ""
    interval_seconds: int = 10


@dataclass
class ApprovalSettings:
    stale_after_minutes: int = 30


@dataclass
class LogisticsSettings:
    stall_hours: int = 48
    per_carrier_stall_hours: dict[str, int] = field(default_factory=dict)


@dataclass
class Settings:
    """Everything the config file may say. Unknown sections or keys are errors, not silently ignored."""

    shop: ShopSettings = field(default_factory=ShopSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    agent: AgentSettings = field(default_factory=AgentSettings)
    hub: HubSettings = field(default_factory=HubSettings)
    approvals: ApprovalSettings = field(default_factory=ApprovalSettings)
    logistics: LogisticsSettings = field(default_factory=LogisticsSettings)
    keys: dict[str, str] = field(default_factory=dict)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    source_path: str = ""


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
        if not hasattr(settings, section) or section == "source_path":
            raise ConfigError(
                path, "未知的配置段 / unknown section", _line_of(text, section, ""), section
            )
        if not isinstance(value, dict):
            raise ConfigError(path, "应为一个表 [section] / expected a table", None, section)
        if section in _FREE_TABLES:
            setattr(settings, section, dict(value))
            continue
        target = getattr(settings, section)
        known = {f.name for f in fields(target)}
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
