"""Natural due-time parsing: a table of zh and en inputs, midnight and DST edges, and clear errors."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from workbench import dateparse
from workbench.dateparse import DateParseError, parse

SH = "Asia/Shanghai"
NY = "America/New_York"
# Monday 2026-11-23 10:00 Shanghai (02:00 UTC).
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def local(text: str, now: datetime = NOW, tz: str = SH) -> str:
    return parse(text, now, tz).local.strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize("text, expected", [
    ("+2h", "2026-11-23 12:00"),
    ("+30m", "2026-11-23 10:30"),
    ("+3d", "2026-11-26 10:00"),
    ("+1w", "2026-11-30 10:00"),
    ("+1d2h", "2026-11-24 12:00"),
    ("2小时后", "2026-11-23 12:00"),
    ("两小时后", "2026-11-23 12:00"),
    ("半小时后", "2026-11-23 10:30"),
    ("一个半小时后", "2026-11-23 11:30"),
    ("3天后", "2026-11-26 10:00"),
    ("一周后", "2026-11-30 10:00"),
    ("明天", "2026-11-24 10:00"),
    ("明天10点", "2026-11-24 10:00"),
    ("明天十点半", "2026-11-24 10:30"),
    ("明天下午3点", "2026-11-24 15:00"),
    ("明天下午三点一刻", "2026-11-24 15:15"),
    ("明早", "2026-11-24 09:00"),
    ("今晚8点", "2026-11-23 20:00"),
    ("后天上午", "2026-11-25 10:00"),
    ("大后天下午", "2026-11-26 15:00"),
    ("中午1点", "2026-11-23 13:00"),
    ("下周一 10:00", "2026-11-30 10:00"),
    ("下周三下午2点", "2026-12-02 14:00"),
    ("下下周五", "2026-12-11 10:00"),
    ("下周", "2026-11-30 10:00"),
    ("周五", "2026-11-27 10:00"),
    ("星期天晚上", "2026-11-29 20:00"),
    ("11-28 10:00", "2026-11-28 10:00"),
    ("11/28 15:30", "2026-11-28 15:30"),
    ("11月28日10点", "2026-11-28 10:00"),
    ("十一月二十八号下午", "2026-11-28 15:00"),
    ("28号", "2026-11-28 10:00"),
    ("2026-11-28 10:00", "2026-11-28 10:00"),
    ("2026/11/28", "2026-11-28 10:00"),
    ("2026年11月28日 9:30", "2026-11-28 09:30"),
    ("明天 10:00 左右", "2026-11-24 10:00"),
    ("１１－２８　１０：００", "2026-11-28 10:00"),  # full-width input from a Chinese IME
    ("tomorrow 3pm", "2026-11-24 15:00"),
    ("tomorrow at 9:30 am", "2026-11-24 09:30"),
    ("tomorrow noon", "2026-11-24 12:00"),
    ("in 2 hours", "2026-11-23 12:00"),
    ("in an hour", "2026-11-23 11:00"),
    ("in half an hour", "2026-11-23 10:30"),
    ("in 3 days", "2026-11-26 10:00"),
    ("2 hours later", "2026-11-23 12:00"),
    ("next monday", "2026-11-30 10:00"),
    ("next fri 4pm", "2026-11-27 16:00"),
    ("friday", "2026-11-27 10:00"),
    ("nov 28 3pm", "2026-11-28 15:00"),
    ("28 nov", "2026-11-28 10:00"),
    ("day after tomorrow", "2026-11-25 10:00"),
    ("tonight", "2026-11-23 19:00"),
    ("5pm", "2026-11-23 17:00"),
])
def test_table(text: str, expected: str) -> None:
    assert local(text) == expected


def test_every_advertised_example_parses() -> None:
    for text in dateparse.EXAMPLES:
        assert parse(text, NOW, SH).at > NOW


@pytest.mark.parametrize("text, expected", [
    ("晚上12点", "2026-11-24 00:00"),
    ("今晚12点", "2026-11-24 00:00"),
    ("midnight", "2026-11-24 00:00"),
    ("半夜", "2026-11-24 00:00"),
    ("明天0点", "2026-11-24 00:00"),
    ("明天24:00", "2026-11-25 00:00"),
    ("明天晚上12点", "2026-11-25 00:00"),
    ("12am tomorrow", "2026-11-24 00:00"),
    ("12pm tomorrow", "2026-11-24 12:00"),
])
def test_midnight_edges(text: str, expected: str) -> None:
    assert local(text) == expected


def test_today_is_the_shop_day_not_the_utc_day() -> None:
    # 00:30 on Tuesday in Shanghai is still Monday in UTC: "明天" must be Wednesday.
    now = datetime(2026, 11, 23, 16, 30, tzinfo=timezone.utc)
    assert local("明天", now) == "2026-11-25 10:00"
    assert local("今天下午3点", now) == "2026-11-24 15:00"
    assert local("+1d", now) == "2026-11-25 00:30"


def test_bare_time_already_passed_rolls_to_tomorrow_with_a_note() -> None:
    parsed = parse("9点", NOW, SH)
    assert parsed.local.strftime("%m-%d %H:%M") == "11-24 09:00"
    assert "rolled_to_tomorrow" in parsed.notes and not parsed.in_past


def test_weekday_already_passed_today_rolls_a_week() -> None:
    parsed = parse("monday 9am", NOW, SH)
    assert parsed.local.strftime("%Y-%m-%d %H:%M") == "2026-11-30 09:00"
    assert "rolled_to_next_week" in parsed.notes


@pytest.mark.parametrize("text", ["今天9点", "上周五", "2026-11-01 10:00", "11-22 10:00", "昨天下午", "yesterday 3pm"])
def test_explicit_past_times_are_flagged_not_moved(text: str) -> None:
    parsed = parse(text, NOW, SH)
    assert parsed.in_past
    assert parsed.at < NOW


def test_month_day_far_in_the_past_means_next_year() -> None:
    now = datetime(2026, 12, 30, 2, 0, tzinfo=timezone.utc)
    parsed = parse("01-05 10:00", now, SH)
    assert parsed.local.strftime("%Y-%m-%d") == "2027-01-05"
    assert "next_year" in parsed.notes and not parsed.in_past


def test_day_of_month_already_passed_means_next_month() -> None:
    parsed = parse("3号", NOW, SH)
    assert parsed.local.strftime("%Y-%m-%d") == "2026-12-03" and "next_month" in parsed.notes


# ---- DST (overseas shops) -------------------------------------------------------------------
# 2026: clocks go forward on Sunday 2026-03-08 02:00 and back on Sunday 2026-11-01 02:00 in New York.
SAT_BEFORE_SPRING = datetime(2026, 3, 7, 15, 0, tzinfo=timezone.utc)  # Sat 10:00 EST


def test_days_keep_wall_clock_across_spring_forward() -> None:
    parsed = parse("+1d", SAT_BEFORE_SPRING, NY)
    assert parsed.local.strftime("%Y-%m-%d %H:%M %Z") == "2026-03-08 10:00 EDT"
    assert parsed.at - SAT_BEFORE_SPRING == timedelta(hours=23)


def test_hours_are_elapsed_time_across_spring_forward() -> None:
    parsed = parse("+24h", SAT_BEFORE_SPRING, NY)
    assert parsed.at - SAT_BEFORE_SPRING == timedelta(hours=24)
    assert parsed.local.strftime("%H:%M %Z") == "11:00 EDT"


def test_nonexistent_time_moves_forward_with_a_note() -> None:
    parsed = parse("明天凌晨2点半", SAT_BEFORE_SPRING, NY)
    assert parsed.local.strftime("%Y-%m-%d %H:%M %Z") == "2026-03-08 03:30 EDT"
    assert "dst_gap" in parsed.notes


def test_ambiguous_time_takes_the_first_occurrence() -> None:
    sat = datetime(2026, 10, 31, 14, 0, tzinfo=timezone.utc)  # Sat 10:00 EDT
    parsed = parse("tomorrow 1:30am", sat, NY)
    assert parsed.at == datetime(2026, 11, 1, 5, 30, tzinfo=timezone.utc)  # 01:30 EDT, not EST
    assert "dst_ambiguous" in parsed.notes


def test_days_across_fall_back_are_25_hours() -> None:
    sat = datetime(2026, 10, 31, 14, 0, tzinfo=timezone.utc)
    parsed = parse("+1d", sat, NY)
    assert parsed.local.strftime("%H:%M %Z") == "10:00 EST"
    assert parsed.at - sat == timedelta(hours=25)


def test_resolve_local_round_trips_for_every_hour_of_a_dst_year() -> None:
    zone = ZoneInfo(NY)
    day = datetime(2026, 1, 1).date()
    for offset in range(0, 365, 7):
        for hour in (0, 1, 2, 3, 12, 23):
            moment, notes = dateparse.resolve_local(day + timedelta(days=offset), hour, 0, zone)
            if "dst_gap" not in notes:
                assert (moment.hour, moment.minute) == (hour, 0)


# ---- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text, code", [
    ("", "empty"),
    ("   ", "empty"),
    ("foo", "unknown"),
    ("明天10点吧吧", "unknown"),
    ("尽快", "unknown"),
    ("明天后天", "conflict"),
    ("上午15点", "conflict"),
    ("25:00", "bad_time"),
    ("10:75", "bad_time"),
    ("13pm", "bad_time"),
    ("2月30日", "bad_date"),
    ("2026-13-01", "bad_date"),
])
def test_errors_name_the_problem_and_list_formats(text: str, code: str) -> None:
    with pytest.raises(DateParseError) as info:
        parse(text, NOW, SH, lang="zh")
    assert info.value.code == code
    message = str(info.value)
    assert "可以这样写" in message
    for example in ("+2h", "明天下午3点", "11-28 10:00", "tomorrow 3pm"):
        assert example in message


def test_error_in_english() -> None:
    with pytest.raises(DateParseError) as info:
        parse("whenever", NOW, SH, lang="en")
    assert "Forms that work" in str(info.value) and "whenever" in str(info.value)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        parse("+2h", datetime(2026, 11, 23, 10, 0), SH)


def test_preview_shows_shop_time_weekday_distance_and_notes() -> None:
    parsed = parse("9点", NOW, SH, lang="zh")
    line = dateparse.preview(parsed, NOW, SH, lang="zh")
    assert line.startswith("2026-11-24 周二 09:00（Asia/Shanghai） · 23 小时后")
    english = dateparse.preview(parse("9am", NOW, SH, lang="en"), NOW, SH, lang="en")
    assert english.startswith("2026-11-24 Tue 09:00 (Asia/Shanghai) · in 23 h")
    assert "23 小时后" in line and "按明天算" in line
    assert dateparse.humanize_delta(timedelta(days=-1, hours=-5), "en") == "1 d 5 h ago"
