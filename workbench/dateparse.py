"""Natural due times typed by agents, in Chinese or English, read in the shop's timezone.

Agents type what they would say to a colleague: ``明天下午3点``, ``后天上午``, ``下周一 10:00``, ``+3d``,
``tomorrow 3pm``, ``in 2 hours``. Parsing is strict on purpose: any word it does not understand is an
error that lists the forms that work, because a follow-up silently scheduled for the wrong day is a
promise to a customer that nobody keeps.

Rules worth knowing (they are tested):

- Times are wall-clock times in the shop timezone, converted to aware UTC. Hours and minutes
  (``+2h``) are elapsed time; days and weeks (``+3d``) keep the wall-clock time across DST changes.
- A time that does not exist (the spring-forward gap) moves forward by the gap; a time that exists
  twice (fall back) takes the first one. Both add a note so the preview can say so.
- A bare day (``明天``) means 10:00; a bare period (``后天上午``) its usual hour (上午 10:00,
  下午 15:00, 晚上 20:00…). ``晚上12点`` / ``midnight`` / ``24:00`` is 00:00 of the next day.
- A time without a day (``15:00``) that has already passed today means tomorrow (noted). Anything
  else in the past is returned with ``in_past`` so the UI asks before saving.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from workbench.i18n import t
from workbench.timefmt import resolve_local  # re-exported: callers import it from here too

#: Inputs shown to the user when something cannot be read (all of them parse; a test checks).
EXAMPLES = ("+2h", "+3d", "明天10点", "明天下午3点", "后天上午", "下周一 10:00", "11-28 10:00",
            "2026-11-28 10:00", "tomorrow 3pm", "in 2 hours")
DEFAULT_HOUR = 10  # "明天" alone = tomorrow 10:00, the same as the quick choice

# period -> (default hour, kind) ; kind decides how a 1-12 hour is read
_PERIODS = {
    "凌晨": (6, "dawn"), "清晨": (7, "morning"), "早晨": (8, "morning"), "早上": (9, "morning"),
    "上午": (10, "morning"), "中午": (12, "noon"), "下午": (15, "afternoon"), "傍晚": (18, "evening"),
    "晚上": (20, "evening"), "夜里": (21, "evening"), "夜间": (21, "evening"), "半夜": (0, "midnight"),
    "午夜": (0, "midnight"), "morning": (9, "morning"), "afternoon": (15, "afternoon"),
    "evening": (19, "evening"), "night": (21, "evening"), "noon": (12, "noon"),
    "midday": (12, "noon"), "midnight": (0, "midnight"),
}
# day word -> (offset in days, period or None)
_DAY_WORDS = {
    "大后天": (3, None), "后天": (2, None), "明天": (1, None), "明日": (1, None), "今天": (0, None),
    "今日": (0, None), "昨天": (-1, None), "yesterday": (-1, None), "今晚": (0, "晚上"), "今早": (0, "早上"),
    "明早": (1, "早上"), "明晨": (1, "早上"), "明晚": (1, "晚上"), "day after tomorrow": (2, None),
    "tomorrow": (1, None), "tmrw": (1, None), "tmr": (1, None), "today": (0, None), "tonight": (0, "evening"),
}
_CN_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6,
               "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_EN_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}

_UNIT = (r"个半小时|个小时|个钟头|小时|钟头|hours?|hrs?|h|分钟|minutes?|mins?|分|m|天|days?|d|日|"
         r"个星期|个礼拜|星期|礼拜|周|weeks?|wks?|w")
_REL_PART = re.compile(rf"(\d+(?:\.\d+)?)\s*({_UNIT})")
_REL = re.compile(rf"^(\+|in\s+)?((?:\d+(?:\.\d+)?\s*(?:{_UNIT})\s*)+)(以后|之后|后|later|from now)?$")
_CN_WEEKDAY_RE = re.compile(r"(下下个?|下个?|这个?|本|上个?)?(?:周|星期|礼拜)([一二三四五六日天七1-7])")
_CN_NEXT_WEEK = re.compile(r"下个?(?:周|星期|礼拜)(?![一二三四五六日天七1-7后])")
_EN_WEEKDAY_RE = re.compile(r"\b(next|this)?\s*(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?\b")
_ISO = re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"
                  r"(?:[t\s]*(\d{1,2}):(\d{2})(?::\d{2})?(?:z|[+-]\d{2}:?\d{2})?)?")
_CN_MONTH_DAY = re.compile(r"(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_EN_MONTH_DAY = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s*(\d{1,2})(?:st|nd|rd|th)?\b")
_EN_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b")
_NUM_MONTH_DAY = re.compile(r"(?<![\d:])(\d{1,2})\s*[-/]\s*(\d{1,2})(?![\d:])")
_COLON_TIME = re.compile(r"(?<!\d)(\d{1,2}):(\d{2})(?::\d{2})?\s*(a\.?m\.?|p\.?m\.?)?")
_CN_TIME = re.compile(r"(?<!\d)(\d{1,2})\s*[点点时](?:\s*(半)|\s*([13])\s*刻|\s*(\d{1,2})\s*分?)?\s*(?:钟)?\s*(?:整)?")
_DAY_OF_MONTH = re.compile(r"(?<!\d)(\d{1,2})\s*[日号]")
_AMPM_HOUR = re.compile(r"(?<!\d)(\d{1,2})\s*(a\.?m\.?|p\.?m\.?)")
_FILLERS = re.compile(r"\b(?:at|on|by|around|about)\b|[的,，、]|左右|前后|大概|大约")


class DateParseError(ValueError):
    """Text that is not a time we can read; ``str()`` says why and lists forms that work."""

    def __init__(self, text: str, code: str, lang: str | None = None, **fields: object):
        self.text, self.code, self.fields = text, code, fields
        super().__init__(message(code, text, lang, **fields))


def message(code: str, text: str, lang: str | None = None, **fields: object) -> str:
    """The user-facing explanation for a parse error code (empty, unknown, conflict, bad_time, bad_date)."""
    reason = t(f"followups.parse.{code}", lang, text=text, **fields)
    return t("followups.parse.error", lang, reason=reason, formats="  ".join(EXAMPLES))


@dataclass(frozen=True)
class ParsedTime:
    """A parsed due time: ``at`` in UTC, ``local`` in the shop timezone, plus what the user should know."""

    text: str
    at: datetime
    local: datetime
    in_past: bool
    notes: tuple[str, ...] = field(default_factory=tuple)


def cn_number(run: str) -> int:
    """Chinese numerals up to 99 (十, 十二, 二十, 二十三, 两) as an int."""
    if run.count("十") > 1 or len(run) > 3:
        raise ValueError(f"not a small Chinese number: {run}")
    if "十" in run:
        tens, _, ones = run.partition("十")
        if len(tens) > 1 or len(ones) > 1:
            raise ValueError(f"not a small Chinese number: {run}")
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    value = 0
    for char in run:
        value = value * 10 + _CN_DIGITS[char]
    return value


def arabic_numerals(flat: str, text: str, lang: str | None) -> str:
    """Replace Chinese numerals (十点, 两小时, 二十八号) by digits; nonsense runs are a parse error."""
    def convert(match: re.Match[str]) -> str:
        try:
            return str(cn_number(match.group(0)))
        except (ValueError, KeyError) as exc:
            raise DateParseError(text, "unknown", lang, rest=match.group(0)) from exc

    return re.sub(r"[零〇一二两三四五六七八九十]+", convert, flat)


def _normalise(text: str) -> str:
    flat = unicodedata.normalize("NFKC", text).strip().lower()
    flat = flat.replace("个半小时", ".5小时").replace("半个小时", "30分钟").replace("半小时", "30分钟")
    flat = flat.replace("半个钟头", "30分钟").replace("half an hour", "30 min")
    flat = re.sub(r"\ban? (hour|day|week|minute)\b", r"1 \1", flat)
    return re.sub(r"\s+", " ", flat)


def _relative(match: re.Match[str], flat: str, now: datetime, zone: ZoneInfo) -> ParsedTime | None:
    prefix, body, suffix = match.group(1), match.group(2), match.group(3)
    parts = _REL_PART.findall(body)
    if not prefix and not suffix and all(unit == "日" for _, unit in parts):
        return None  # "28日" is a day of the month, not "in 28 days"
    elapsed, days = timedelta(), 0.0
    for amount, unit in parts:
        value = float(amount)
        if unit in ("天", "day", "days", "d", "日"):
            days += value
        elif unit in ("周", "星期", "礼拜", "个星期", "个礼拜", "week", "weeks", "wk", "wks", "w"):
            days += value * 7
        elif unit in ("分钟", "分", "minute", "minutes", "min", "mins", "m"):
            elapsed += timedelta(minutes=value)
        else:
            elapsed += timedelta(hours=value)
    notes: list[str] = []  # days keep the wall-clock time (DST-safe); hours and minutes are elapsed time
    moment = now + elapsed
    if days:
        whole = int(days)
        elapsed_extra = timedelta(days=days - whole)
        local_start = moment.astimezone(zone)
        target, notes = resolve_local(local_start.date() + timedelta(days=whole), local_start.hour,
                                      local_start.minute, zone)
        moment = target + elapsed_extra
    return ParsedTime(flat, moment.astimezone(timezone.utc), moment.astimezone(zone),
                      moment < now, tuple(notes))


@dataclass
class _Parts:
    day: date | None = None
    day_source: str = ""
    hour: int | None = None
    minute: int = 0
    ampm: str | None = None
    period: str | None = None
    notes: list[str] = field(default_factory=list)


def _set_day(parts: _Parts, value: date, source: str, text: str, lang: str | None) -> None:
    if parts.day is not None and parts.day != value:
        raise DateParseError(text, "conflict", lang)
    parts.day, parts.day_source = value, source


def _set_time(parts: _Parts, hour: int, minute: int, text: str, lang: str | None) -> None:
    if parts.hour is not None and (parts.hour, parts.minute) != (hour, minute):
        raise DateParseError(text, "conflict", lang)
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        raise DateParseError(text, "bad_time", lang)
    parts.hour, parts.minute = hour, minute


def _safe_date(year: int, month: int, day: int, text: str, lang: str | None) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise DateParseError(text, "bad_date", lang) from exc


def _weekday_date(today: date, weekday: int, mode: str) -> date:
    """mode: upcoming (today or later), next_en (strictly after today), this/next/next2/last (Mon-start weeks)."""
    monday = today - timedelta(days=today.weekday())
    if mode == "upcoming":
        return today + timedelta(days=(weekday - today.weekday()) % 7)
    if mode == "next_en":
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    weeks = {"this": 0, "next": 1, "next2": 2, "last": -1}[mode]
    return monday + timedelta(days=7 * weeks + weekday)


def _take(pattern: re.Pattern[str], flat: str) -> tuple[re.Match[str] | None, str]:
    match = pattern.search(flat)
    if match is None:
        return None, flat
    return match, flat[: match.start()] + " " + flat[match.end():]


def _extract(flat: str, text: str, today: date, lang: str | None) -> tuple[_Parts, str]:
    """Pull every recognised piece out of ``flat``; returns the pieces and what is left over."""
    parts = _Parts()
    match, flat = _take(_ISO, flat)
    if match:
        _set_day(parts, _safe_date(int(match[1]), int(match[2]), int(match[3]), text, lang), "date", text, lang)
        if match[4]:
            _set_time(parts, int(match[4]), int(match[5]), text, lang)
    while (match := _CN_WEEKDAY_RE.search(flat)) is not None:
        prefix = (match[1] or "").rstrip("个")
        mode = {"": "upcoming", "下": "next", "下下": "next2", "这": "this", "本": "this", "上": "last"}[prefix]
        source = "weekday_upcoming" if mode == "upcoming" else "weekday"
        _set_day(parts, _weekday_date(today, _CN_WEEKDAY[match[2]], mode), source, text, lang)
        flat = flat[: match.start()] + " " + flat[match.end():]
    match, flat = _take(_CN_NEXT_WEEK, flat)
    if match:
        _set_day(parts, _weekday_date(today, 0, "next"), "weekday", text, lang)
    flat = arabic_numerals(flat, text, lang)
    for word in sorted(_DAY_WORDS, key=len, reverse=True):
        if word in flat:
            offset, period = _DAY_WORDS[word]
            _set_day(parts, today + timedelta(days=offset), "word", text, lang)
            parts.period = period or parts.period
            flat = flat.replace(word, " ", 1)
    match, flat = _take(_EN_WEEKDAY_RE, flat)
    if match:
        mode = {"next": "next_en", "this": "this", None: "upcoming"}[match[1]]
        source = "weekday_upcoming" if mode == "upcoming" else "weekday"
        _set_day(parts, _weekday_date(today, _EN_WEEKDAYS.index(match[2]), mode), source, text, lang)
    for pattern, month_at, day_at in ((_CN_MONTH_DAY, 1, 2), (_EN_MONTH_DAY, 1, 2), (_EN_DAY_MONTH, 2, 1),
                                      (_NUM_MONTH_DAY, 1, 2)):
        match, flat = _take(pattern, flat)
        if match:
            raw_month = match[month_at]
            month = _MONTHS.index(raw_month) + 1 if raw_month.isalpha() else int(raw_month)
            if not 1 <= month <= 12:
                raise DateParseError(text, "bad_date", lang)
            day_num, year = int(match[day_at]), today.year
            while month == 2 and day_num == 29 and not calendar.isleap(year):
                year += 1
            candidate = _safe_date(year, month, day_num, text, lang)
            if candidate < today - timedelta(days=180):
                candidate = _safe_date(today.year + 1, month, day_num, text, lang)
                parts.notes.append("next_year")
            _set_day(parts, candidate, "date", text, lang)
            break
    match, flat = _take(_COLON_TIME, flat)
    if match:
        _set_time(parts, int(match[1]), int(match[2]), text, lang)
        parts.ampm = match[3][0] if match[3] else None
    match, flat = _take(_CN_TIME, flat)
    if match:
        minute = 30 if match[2] else int(match[3]) * 15 if match[3] else int(match[4] or 0)
        _set_time(parts, int(match[1]), minute, text, lang)
    match, flat = _take(_AMPM_HOUR, flat)
    if match:
        _set_time(parts, int(match[1]), 0, text, lang)
        parts.ampm = match[2][0]
    match, flat = _take(_DAY_OF_MONTH, flat)
    if match:
        candidate = _safe_date(today.year, today.month, int(match[1]), text, lang)
        if candidate < today:
            year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
            candidate = _safe_date(year, month, int(match[1]), text, lang)
            parts.notes.append("next_month")
        _set_day(parts, candidate, "date", text, lang)
    for word in sorted(_PERIODS, key=len, reverse=True):
        if re.search(rf"\b{word}\b" if word.isascii() else word, flat):
            if parts.period and parts.period != word and _PERIODS[parts.period][1] != _PERIODS[word][1]:
                raise DateParseError(text, "conflict", lang)
            parts.period = word
            flat = re.sub(rf"\b{word}\b" if word.isascii() else word, " ", flat, count=1)
    return parts, _FILLERS.sub(" ", flat).strip()


def _clock_hour(parts: _Parts, text: str, lang: str | None) -> int:
    """Apply 上午/下午/晚上/am/pm to the typed hour (Chinese agents write 下午3点, never 下午15点)."""
    hour = parts.hour if parts.hour is not None else DEFAULT_HOUR
    kind = _PERIODS[parts.period][1] if parts.period else None
    if parts.ampm:
        if hour > 12 or hour == 0:
            raise DateParseError(text, "bad_time", lang)
        return (hour % 12) + (12 if parts.ampm == "p" else 0)
    if kind in ("afternoon", "evening") and 1 <= hour < 12:
        return hour + 12
    if kind == "evening" and hour == 12:
        return 24
    if kind == "noon" and 1 <= hour <= 3:
        return hour + 12
    if kind == "dawn" and hour == 12:
        return 0
    if kind == "midnight" and (hour == 12 or 0 < hour < 6):
        return hour + 12 if hour == 12 else hour + 24
    if kind == "morning" and hour > 12:
        raise DateParseError(text, "conflict", lang)
    return hour


def parse(text: str, now: datetime, tz: str, lang: str | None = None) -> ParsedTime:
    """Parse ``text`` relative to ``now`` (aware) in the shop timezone ``tz``. Raises DateParseError."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = ZoneInfo(tz)
    flat = _normalise(text or "")
    if not flat:
        raise DateParseError(text or "", "empty", lang)
    relative_flat = arabic_numerals(flat, text, lang)
    match = _REL.match(relative_flat)
    if match:
        parsed = _relative(match, text.strip(), now, zone)
        if parsed is not None:
            return parsed
    today = now.astimezone(zone).date()
    parts, rest = _extract(flat, text, today, lang)
    if rest:
        raise DateParseError(text, "unknown", lang, rest=rest)
    if parts.day is None and parts.hour is None and parts.period is None:
        raise DateParseError(text, "unknown", lang, rest=flat)
    if parts.hour is None and parts.period:
        parts.hour = _PERIODS[parts.period][0]
        if _PERIODS[parts.period][1] == "midnight":
            parts.hour = 24
        parts.period = None if parts.hour in (0, 24) else parts.period
    hour = _clock_hour(parts, text, lang)
    day = parts.day or today
    local, notes = resolve_local(day, hour, parts.minute, zone)
    notes = parts.notes + notes
    if parts.day is None and local < now:
        local, more = resolve_local(day + timedelta(days=1), hour, parts.minute, zone)
        notes += ["rolled_to_tomorrow", *more]
    elif parts.day_source == "weekday_upcoming" and local < now:
        local, more = resolve_local(day + timedelta(days=7), hour, parts.minute, zone)
        notes += ["rolled_to_next_week", *more]
    at = local.astimezone(timezone.utc)
    return ParsedTime(text.strip(), at, local, at < now, tuple(notes))


def preview(parsed: ParsedTime, now: datetime, tz: str, lang: str | None = None) -> str:
    """One line for the live preview: local date, weekday, time, timezone, how far away, and notes."""
    local = parsed.local  # the catalog owns the layout: full-width brackets around the timezone in Chinese
    line = t("followups.parse.preview", lang, date=f"{local:%Y-%m-%d}", time=f"{local:%H:%M}", tz=tz,
             weekday=t(f"followups.weekday.{local.weekday()}", lang), delta=humanize_delta(parsed.at - now, lang))
    for note in parsed.notes:
        line += " · " + t(f"followups.parse.note.{note}", lang)
    return line


def humanize_delta(delta: timedelta, lang: str | None = None) -> str:
    """'1 天 5 小时后' / '2 小时 30 分钟前': the two largest units, which is what an agent reads at a glance."""
    seconds = int(delta.total_seconds())
    key = "followups.delta.future" if seconds >= 0 else "followups.delta.past"
    days, rest = divmod(abs(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    pieces: list[str] = []
    if days:
        pieces.append(t("followups.delta.days", lang, n=days))
        if hours:
            pieces.append(t("followups.delta.hours", lang, n=hours))
    elif hours:
        pieces.append(t("followups.delta.hours", lang, n=hours))
        if minutes:
            pieces.append(t("followups.delta.minutes", lang, n=minutes))
    else:
        pieces.append(t("followups.delta.minutes", lang, n=minutes))
    return t(key, lang, amount=" ".join(pieces))
