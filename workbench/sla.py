"""SLA policy as data (``sla_policy.toml``), business-hours due times, and live countdown helpers.

The seeds set the targets: 普通咨询 reply within 5 minutes, 售后 10, 紧急投诉 immediately, VIP green
channel a resolution path within 15. Teams change them by editing a file, not code. Outside business
hours the clock starts at the next opening, computed on wall-clock times in the shop's timezone so a
DST change never shifts opening time.

The queue ticks every second: it parses each case's ``sla_due_at`` once (:func:`due_moment`, cached)
and calls the pure :func:`countdown` per row, so no database query runs per tick.
"""

# No ``from __future__ import annotations`` in this module: its NamedTuple fields would then be strings,
# and typing compiles each one at import (about 3 ms over the modules on the way to the first frame).

import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workbench import tomlread
from workbench.config import ConfigError
from workbench.context import Context
from workbench.timefmt import countdown as format_countdown
from workbench.timefmt import from_db, resolve_local, to_db

KINDS = ("general", "after_sales", "urgent_complaint", "vip")
TARGETS = ("first_response", "resolution_path")
RESOLVED_STAGES = ("resolve", "close")
POLICY_FILE = "sla_policy.toml"


# Records are NamedTuples rather than frozen dataclasses: as immutable and typed, and a tenth of the
# cost to define, which counts because this module loads before the main screen's first frame.
class SlaTarget(NamedTuple):
    kind: str
    target: str
    minutes: int


class SlaPolicy(NamedTuple):
    """The loaded policy; ``source`` names the file it came from (for messages)."""

    source: str
    timezone: str | None
    open_at: tuple[int, int]
    close_at: tuple[int, int]
    days: frozenset[int]
    closed_dates: frozenset[date]
    targets: dict[str, SlaTarget]
    due_soon_seconds: int
    at_risk_minutes: int
    followup_overdue_minutes: int
    precedence: tuple[str, ...]
    urgent_intents: frozenset[str]
    urgent_emotions: frozenset[str]
    vip_min_level: int
    after_sales_intents: frozenset[str]

    def zone(self, shop_tz: str) -> ZoneInfo:
        return ZoneInfo(self.timezone or shop_tz)


def _line(text: str, dotted: str) -> int | None:
    """Line of ``section.key`` (or of the ``[section]`` header) in the policy text, for messages."""
    section, _, key = dotted.rpartition(".")
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"\s*\[([^\]]+)\]", line)
        if header:
            current = header.group(1).strip()
            if current == dotted:
                return number
        elif current == section and re.match(rf"\s*{re.escape(key)}\s*=", line):
            return number
    return None


def _hhmm(path: str, text: str, key: str, value: Any) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", str(value))
    if not match or int(match[1]) > 24 or int(match[2]) > 59 or (int(match[1]) == 24 and int(match[2])):
        raise ConfigError(path, f"应为 HH:MM(如 09:00)/ expected HH:MM such as 09:00, got {value!r}",
                          _line(text, key), key)
    return int(match[1]), int(match[2])


def _int(path: str, text: str, table: dict[str, Any], section: str, key: str, default: int) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(path, f"应为非负整数 / expected a whole number >= 0, got {value!r}",
                          _line(text, f"{section}.{key}"), f"{section}.{key}")
    return value


def parse_policy(text: str, source: str) -> SlaPolicy:
    """Validate policy TOML text; every problem names the file, line and key. Raises ConfigError."""
    try:
        data = tomlread.loads(text)
    except tomlread.TomlError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise ConfigError(source, f"TOML 语法错误 / TOML syntax error: {exc}",
                          int(match.group(1)) if match else None) from exc
    hours = data.get("business_hours", {})
    open_at = _hhmm(source, text, "business_hours.open", hours.get("open", "09:00"))
    close_at = _hhmm(source, text, "business_hours.close", hours.get("close", "22:00"))
    if close_at <= open_at:
        raise ConfigError(source, "close 必须晚于 open / close must be later than open",
                          _line(text, "business_hours.close"), "business_hours.close")
    days = hours.get("days", [1, 2, 3, 4, 5, 6, 7])
    if not days or not all(isinstance(d, int) and 1 <= d <= 7 for d in days):
        raise ConfigError(source, "days 应为 1–7 的列表(1=周一)/ days must list ISO weekdays 1-7",
                          _line(text, "business_hours.days"), "business_hours.days")
    try:
        closed = frozenset(date.fromisoformat(str(d)) for d in hours.get("closed_dates", []))
    except ValueError as exc:
        raise ConfigError(source, f"closed_dates 应为 YYYY-MM-DD / expected YYYY-MM-DD: {exc}",
                          _line(text, "business_hours.closed_dates"), "business_hours.closed_dates") from exc
    targets: dict[str, SlaTarget] = {}
    for kind, table in data.get("kinds", {}).items():
        target = table.get("target", "first_response")
        if target not in TARGETS:
            raise ConfigError(source, f"target 只能是 {' / '.join(TARGETS)} / unknown target {target!r}",
                              _line(text, f"kinds.{kind}.target"), f"kinds.{kind}.target")
        targets[kind] = SlaTarget(kind, target, _int(source, text, table, f"kinds.{kind}", "minutes", 5))
    missing = [k for k in KINDS if k not in targets]
    if missing:
        raise ConfigError(source, f"缺少 SLA 类型 / missing kinds: {', '.join(missing)}", None, "kinds")
    tz = data.get("timezone")
    if tz is not None:
        try:
            ZoneInfo(str(tz))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(source, f"未知时区 / unknown timezone {tz!r}", _line(text, "timezone"),
                              "timezone") from exc
    classify = data.get("classify", {})
    precedence = tuple(classify.get("precedence", ("urgent_complaint", "vip", "after_sales", "general")))
    unknown = [k for k in precedence if k not in targets]
    if unknown:
        raise ConfigError(source, f"precedence 里有未定义的类型 / undefined kinds: {', '.join(unknown)}",
                          _line(text, "classify.precedence"), "classify.precedence")
    display, followups = data.get("display", {}), data.get("followups", {})
    return SlaPolicy(
        source=source, timezone=str(tz) if tz else None, open_at=open_at, close_at=close_at,
        days=frozenset(days), closed_dates=closed, targets=targets,
        due_soon_seconds=_int(source, text, display, "display", "due_soon_seconds", 120),
        at_risk_minutes=_int(source, text, display, "display", "at_risk_minutes", 10),
        followup_overdue_minutes=_int(source, text, followups, "followups", "overdue_after_minutes", 15),
        precedence=precedence,
        urgent_intents=frozenset(classify.get("urgent_intents", ["complaint"])),
        urgent_emotions=frozenset(classify.get("urgent_emotions", ["angry"])),
        vip_min_level=_int(source, text, classify, "classify", "vip_min_level", 1),
        after_sales_intents=frozenset(classify.get("after_sales_intents", [])),
    )


def load_policy(path: Path | None = None) -> SlaPolicy:
    """The team's policy file when given and present, else the one shipped with the workbench."""
    if path is not None and path.exists():
        try:
            return parse_policy(path.read_text("utf-8"), str(path))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(path, f"无法读取 / cannot read: {exc}") from exc
    # Shipped beside this module; importlib.resources would add its import to the first frame.
    shipped = Path(__file__).parent / POLICY_FILE
    return parse_policy(shipped.read_text("utf-8"), str(shipped))


def policy(ctx: Context) -> SlaPolicy:
    """The policy for this context (team file in the config dir overrides), loaded once per context."""
    cached = ctx.extras.get("sla_policy")
    if isinstance(cached, SlaPolicy):
        return cached
    loaded = load_policy(ctx.paths.config_dir / POLICY_FILE)
    ctx.extras["sla_policy"] = loaded
    return loaded


def kind_for(pol: SlaPolicy, intent: str, emotion: str = "calm", urgent: bool = False, vip_level: int = 0) -> str:
    """The SLA kind a new case gets, by the policy's precedence."""
    rules = {
        "urgent_complaint": urgent or (intent in pol.urgent_intents and emotion in pol.urgent_emotions),
        "vip": vip_level >= pol.vip_min_level > 0,
        "after_sales": intent in pol.after_sales_intents,
        "general": True,
    }
    for kind in pol.precedence:
        if rules.get(kind, False):
            return kind
    return "general"


def _window(pol: SlaPolicy, day: date, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    if day.isoweekday() not in pol.days or day in pol.closed_dates:
        return None
    start, _ = resolve_local(day, *pol.open_at, zone)
    end, _ = resolve_local(day, *pol.close_at, zone)
    return start, end


def next_open(pol: SlaPolicy, moment: datetime, tz: str) -> datetime:
    """``moment`` itself inside business hours, else the next opening (aware, in the policy zone)."""
    zone = pol.zone(tz)
    local = moment.astimezone(zone)
    for offset in range(0, 400):
        window = _window(pol, local.date() + timedelta(days=offset), zone)
        if window is None:
            continue
        start, end = window
        if moment < start:
            return start
        if moment < end:
            return local
    raise ConfigError(pol.source, "一年内没有营业时间 / no business hours within a year", None, "business_hours")


def compute_due(pol: SlaPolicy, kind: str, opened_at: datetime, tz: str) -> datetime:
    """When the SLA of a case opened at ``opened_at`` falls due, counting business time only."""
    target = pol.targets.get(kind) or pol.targets["general"]
    zone = pol.zone(tz)
    cursor = next_open(pol, opened_at, tz)
    remaining = timedelta(minutes=target.minutes)
    while True:
        window = _window(pol, cursor.astimezone(zone).date(), zone)
        assert window is not None  # next_open only returns moments inside a window
        end = window[1]
        if cursor + remaining <= end:
            return cursor + remaining
        remaining -= end - cursor
        cursor = next_open(pol, end, tz)


def compute_case_due(ctx: Context, case: dict[str, Any]) -> datetime:
    """Due time for a case row (uses ``opened_at`` and ``sla_kind``)."""
    return compute_due(policy(ctx), case.get("sla_kind") or "general", from_db(case["opened_at"]), ctx.tz)


@lru_cache(maxsize=4096)
def due_moment(text: str | None) -> datetime | None:
    """Parse a stored due time once; the queue calls this per row and the cache keeps ticks cheap."""
    return from_db(text) if text else None


def remaining_seconds(due_at: datetime | str | None, now: datetime) -> float | None:
    """Seconds until ``due_at`` (negative once breached); None when the case has no SLA."""
    due = _due(due_at)
    return None if due is None else (due - now).total_seconds()


def is_met(pol: SlaPolicy, case: dict[str, Any]) -> tuple[bool, datetime | None]:
    """Whether the case reached its target, and when (None when the moment is not recorded)."""
    target = pol.targets.get(case.get("sla_kind") or "general", pol.targets["general"]).target
    if target == "first_response":
        met = case.get("first_response_at")
        return bool(met), due_moment(met) if met else None
    return case.get("stage") in RESOLVED_STAGES or case.get("status") == "closed", None


def _due(due_at: datetime | str | None) -> datetime | None:
    return due_moment(due_at) if isinstance(due_at, str) or due_at is None else due_at


def breach_state(due_at: datetime | str | None, now: datetime, met: bool = False,
                 met_at: datetime | None = None, due_soon_seconds: int = 120) -> str:
    """none | ok | due_soon | breached | met | met_late — the colour of a queue row."""
    due = _due(due_at)
    if due is None:
        return "none"
    if met:
        return "met_late" if met_at is not None and met_at > due else "met"
    left = (due - now).total_seconds()
    if left < 0:
        return "breached"
    return "due_soon" if left <= due_soon_seconds else "ok"


class Countdown(NamedTuple):
    remaining: float | None
    state: str
    text: str


def countdown(due_at: datetime | str | None, now: datetime, met: bool = False, met_at: datetime | None = None,
              due_soon_seconds: int = 120) -> Countdown:
    """Everything a queue cell needs for one tick, without touching the database."""
    due = _due(due_at)  # resolved once: the queue calls this per visible row every second
    left = remaining_seconds(due, now)
    state = breach_state(due, now, met, met_at, due_soon_seconds)
    text = "" if left is None or state in ("met", "met_late") else format_countdown(left)
    return Countdown(left, state, text)


def unmet_sql(pol: SlaPolicy) -> tuple[str, list[str]]:
    """SQL condition on cases ``c``: the SLA target is not met yet, with its parameters.

    First-response kinds wait for the first reply; resolution-path kinds (VIP) for 解决/闭环. The header
    figure and the shift hand-off both use it, so "breaching" means the same thing everywhere.
    """
    path_kinds = _path_kinds(pol)
    marks = ", ".join("?" for _ in path_kinds)
    stages = ", ".join(f"'{stage}'" for stage in RESOLVED_STAGES)
    return (f"((c.sla_kind NOT IN ({marks}) AND c.first_response_at IS NULL) "
            f"OR (c.sla_kind IN ({marks}) AND c.stage NOT IN ({stages})))", [*path_kinds, *path_kinds])


def _path_kinds(pol: SlaPolicy) -> list[str]:
    return [k for k, v in pol.targets.items() if v.target == "resolution_path"] or ["-"]


def breaches_by_agent(ctx: Context, since: datetime | None = None) -> list[dict[str, Any]]:
    """Per agent: cases answered late since ``since`` and open cases breaching now (the lead's figures).

    ``since`` defaults to the start of today in the shop timezone. Resolution-path kinds (VIP) count as
    breaching while the case has not reached 解决 after its due time; their late-met moment is not
    recorded, so they never appear as ``late``.
    """
    pol, now = policy(ctx), ctx.clock.now()
    if since is None:
        zone = pol.zone(ctx.tz)
        since = resolve_local(now.astimezone(zone).date(), 0, 0, zone)[0]
    path_kinds = _path_kinds(pol)
    marks = ", ".join("?" for _ in path_kinds)
    unmet, unmet_params = unmet_sql(pol)
    rows = ctx.store.query(
        f"""SELECT a.id AS agent_id, a.name, a.role,
               coalesce(sum(CASE WHEN c.sla_kind NOT IN ({marks}) AND c.first_response_at > c.sla_due_at
                                 AND c.opened_at >= ? THEN 1 ELSE 0 END), 0) AS late,
               coalesce(sum(CASE WHEN c.status != 'closed' AND c.sla_due_at < ? AND {unmet}
                            THEN 1 ELSE 0 END), 0) AS breaching
            FROM agents a LEFT JOIN cases c ON c.assignee_id = a.id
                 AND (c.status != 'closed' OR c.opened_at >= ?) AND c.sla_due_at IS NOT NULL
            WHERE a.active = 1 GROUP BY a.id ORDER BY a.id""",
        (*path_kinds, to_db(since), to_db(now), *unmet_params, to_db(since)),
    )
    return [dict(r, total=r["late"] + r["breaching"]) for r in rows]


def breach_count(ctx: Context, agent_id: str) -> int:
    """Open cases of one agent whose SLA is breached right now (a header figure)."""
    for row in breaches_by_agent(ctx):
        if row["agent_id"] == agent_id:
            return int(row["breaching"])
    return 0
