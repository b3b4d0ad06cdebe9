"""SLA policy as data: targets from the seeds, business hours in the shop timezone, countdowns, breaches."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.followup_fixtures import make_ctx
from workbench import sla
from workbench.clock import FrozenClock
from workbench.config import ConfigError
from workbench.timefmt import to_db

SH = "Asia/Shanghai"
NY = "America/New_York"


def sh(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment on 2026-11-<day> in Shanghai, as UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone(timedelta(hours=8))).astimezone(timezone.utc)


@pytest.fixture
def pol() -> sla.SlaPolicy:
    return sla.load_policy()


def test_shipped_policy_has_the_seed_targets(pol: sla.SlaPolicy) -> None:
    assert pol.targets["general"].minutes == 5
    assert pol.targets["after_sales"].minutes == 10
    assert pol.targets["urgent_complaint"].minutes == 0
    assert (pol.targets["vip"].minutes, pol.targets["vip"].target) == (15, "resolution_path")
    assert (pol.open_at, pol.close_at) == ((9, 0), (22, 0))


@pytest.mark.parametrize("kind, opened, due", [
    ("general", sh(23, 10, 0), sh(23, 10, 5)),
    ("after_sales", sh(23, 10, 0), sh(23, 10, 10)),
    ("urgent_complaint", sh(23, 10, 0), sh(23, 10, 0)),
    ("vip", sh(23, 10, 0), sh(23, 10, 15)),
    ("general", sh(23, 23, 0), sh(24, 9, 5)),  # after closing: the clock starts at opening
    ("urgent_complaint", sh(23, 23, 0), sh(24, 9, 0)),
    ("general", sh(23, 7, 0), sh(23, 9, 5)),  # before opening
    ("general", sh(23, 21, 58), sh(24, 9, 3)),  # 2 minutes today, 3 tomorrow morning
    ("after_sales", sh(23, 22, 0), sh(24, 9, 10)),  # exactly at closing
    ("general", sh(23, 0, 30), sh(23, 9, 5)),  # just after midnight
])
def test_compute_due_counts_business_time(pol: sla.SlaPolicy, kind: str, opened: datetime, due: datetime) -> None:
    assert sla.compute_due(pol, kind, opened, SH) == due


def _policy_text(**replace: str) -> str:
    text = (Path(sla.__file__).parent / "sla_policy.toml").read_text("utf-8")
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


def test_weekends_and_closed_dates_are_skipped() -> None:
    pol = sla.parse_policy(_policy_text(**{"days = [1, 2, 3, 4, 5, 6, 7]": "days = [1, 2, 3, 4, 5]",
                                           "closed_dates = []": 'closed_dates = ["2026-11-30"]'}), "test.toml")
    saturday = sh(28, 11, 0)  # weekend, then Monday 11-30 is closed: Tuesday 09:05 Shanghai
    assert sla.compute_due(pol, "general", saturday, SH) == datetime(2026, 12, 1, 1, 5, tzinfo=timezone.utc)


def test_opening_time_is_wall_clock_across_dst() -> None:
    pol = sla.load_policy()
    saturday_night = datetime(2026, 3, 8, 4, 0, tzinfo=timezone.utc)  # Sat 23:00 EST
    due = sla.compute_due(pol, "general", saturday_night, NY)
    assert due == datetime(2026, 3, 8, 13, 5, tzinfo=timezone.utc)  # Sunday 09:05 EDT


def test_policy_timezone_overrides_the_shop(pol: sla.SlaPolicy) -> None:
    pol_ny = sla.parse_policy(_policy_text(**{'# timezone = "America/New_York"': 'timezone = "America/New_York"'}),
                              "t.toml")
    opened = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # 21:00 EST Sunday
    assert sla.compute_due(pol_ny, "general", opened, SH) == datetime(2026, 11, 23, 2, 5, tzinfo=timezone.utc)
    assert sla.compute_due(pol, "general", opened, SH) == opened + timedelta(minutes=5)


@pytest.mark.parametrize("replace, key", [
    ({'open = "09:00"': 'open = "9am"'}, "business_hours.open"),
    ({'close = "22:00"': 'close = "08:00"'}, "business_hours.close"),
    ({"days = [1, 2, 3, 4, 5, 6, 7]": "days = [0, 8]"}, "business_hours.days"),
    ({"minutes = 5": "minutes = -5"}, "kinds.general.minutes"),
    ({'target = "resolution_path"': 'target = "lunch"'}, "kinds.vip.target"),
    ({"overdue_after_minutes = 15": 'overdue_after_minutes = "15"'}, "followups.overdue_after_minutes"),
    ({'closed_dates = []': 'closed_dates = ["11/30"]'}, "business_hours.closed_dates"),
])
def test_bad_policy_names_file_line_and_key(replace: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        sla.parse_policy(_policy_text(**replace), "/team/sla_policy.toml")
    assert info.value.key == key
    assert str(info.value).startswith("/team/sla_policy.toml:")
    assert info.value.line is not None


def test_team_override_file_is_used(tmp_path: Path, clock: FrozenClock) -> None:
    ctx = make_ctx(tmp_path, clock)
    (ctx.paths.config_dir).mkdir(parents=True, exist_ok=True)
    (ctx.paths.config_dir / "sla_policy.toml").write_text(_policy_text(**{"minutes = 10": "minutes = 30"}), "utf-8")
    assert sla.policy(ctx).targets["after_sales"].minutes == 30
    assert sla.policy(ctx) is sla.policy(ctx)  # loaded once per context


def test_kind_for_follows_precedence(pol: sla.SlaPolicy) -> None:
    assert sla.kind_for(pol, "complaint", "angry") == "urgent_complaint"
    assert sla.kind_for(pol, "other", urgent=True, vip_level=3) == "urgent_complaint"
    assert sla.kind_for(pol, "complaint", "calm", vip_level=2) == "vip"
    assert sla.kind_for(pol, "damaged_item") == "after_sales"
    assert sla.kind_for(pol, "invoice") == "general"


def test_countdown_and_breach_state_are_pure() -> None:
    now = sh(23, 10, 0)
    due = to_db(now + timedelta(minutes=4, seconds=5))
    tick = sla.countdown(due, now)
    assert (tick.remaining, tick.state, tick.text) == (245.0, "ok", "04:05")
    assert sla.countdown(due, now + timedelta(minutes=3)).state == "due_soon"
    late = sla.countdown(due, now + timedelta(minutes=5))
    assert (late.state, late.text) == ("breached", "-00:55")
    assert sla.countdown(None, now) == sla.Countdown(None, "none", "")
    assert sla.breach_state(due, now, met=True, met_at=now) == "met"
    assert sla.breach_state(due, now, met=True, met_at=now + timedelta(minutes=9)) == "met_late"
    assert sla.remaining_seconds(now + timedelta(seconds=30), now) == 30


def test_due_moment_is_cached() -> None:
    sla.due_moment.cache_clear()
    for _ in range(1000):
        sla.due_moment("2026-11-23T02:05:00Z")
    info = sla.due_moment.cache_info()
    assert (info.misses, info.hits) == (1, 999)


def test_is_met_by_target(pol: sla.SlaPolicy) -> None:
    assert sla.is_met(pol, {"sla_kind": "general", "first_response_at": "2026-11-23T02:01:00Z"})[0]
    assert not sla.is_met(pol, {"sla_kind": "vip", "first_response_at": "2026-11-23T02:01:00Z", "stage": "locate"})[0]
    assert sla.is_met(pol, {"sla_kind": "vip", "stage": "resolve"})[0]


def test_breaches_by_agent(tmp_path: Path, clock: FrozenClock) -> None:
    ctx = make_ctx(tmp_path, clock)
    now = clock.now()
    with ctx.store.write() as conn:
        conn.execute("UPDATE cases SET sla_due_at = ?, first_response_at = NULL WHERE id = 'c-1'",
                     (to_db(now - timedelta(minutes=1)),))  # open, unanswered, past due: breaching
        conn.execute("UPDATE cases SET sla_due_at = ?, first_response_at = ? WHERE id = 'c-2'",
                     (to_db(now - timedelta(minutes=30)), to_db(now - timedelta(minutes=20))))  # answered late
        conn.execute("UPDATE cases SET opened_at = ? WHERE id = 'c-2'", (to_db(now - timedelta(hours=1)),))
        conn.execute("UPDATE cases SET sla_kind = 'vip', stage = 'locate', sla_due_at = ? WHERE id = 'c-4'",
                     (to_db(now - timedelta(minutes=2)),))  # VIP without a resolution path yet
    rows = {r["agent_id"]: r for r in sla.breaches_by_agent(ctx)}
    assert (rows["a-lina"]["breaching"], rows["a-lina"]["late"]) == (2, 0)
    assert (rows["a-chenjie"]["breaching"], rows["a-chenjie"]["late"]) == (0, 1)
    assert rows["a-zhaomin"]["total"] == 0
    assert sla.breach_count(ctx, "a-lina") == 2
    with ctx.store.write() as conn:
        conn.execute("UPDATE cases SET stage = 'resolve' WHERE id = 'c-4'")
    assert sla.breach_count(ctx, "a-lina") == 1  # the VIP case now has its resolution path
    clock.advance(minutes=10)  # c-5 (due in 5 minutes, unanswered) breaches as time passes
    assert sla.breach_count(ctx, "a-lina") == 2
