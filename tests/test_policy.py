"""The policy file: the built-in default, broken files with file/line/key errors, overrides, the CLI."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from workbench import cli, i18n
from workbench.authority import ACTIONS, PolicyError, effective_policy, load_policy, parse_policy
from workbench.authority.policy import builtin_text
from tests.authority_world import zh_language  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("zh_language")


def test_builtin_policy_loads_with_every_tier_and_action() -> None:
    policy = load_policy()
    assert set(policy.tiers) >= {"L1", "L2", "L3", "lead"}
    assert set(policy.actions) == set(ACTIONS)
    l1 = policy.tiers["L1"]
    assert l1.limits_fen["coupon"] == 5000  # ¥50, integer fen
    assert l1.daily_budget_fen == 50000
    assert "goodwill_payment" in l1.always_approve
    assert policy.tiers["lead"].can_approve and policy.tiers["lead"].approval_budget_fen > 0
    assert policy.second_threshold_fen > policy.tiers["L1"].limits_fen["coupon"]
    assert policy.tier_for({"role": "lead", "tier": "L3"}).name == "lead"
    assert policy.tier_for({"role": "agent", "tier": "L2"}).name == "L2"
    assert policy.tier_for({"role": "agent", "tier": "L9"}) is None


def _edit(old: str, new: str) -> str:
    text = builtin_text()
    assert old in text, old
    return text.replace(old, new, 1)


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.mark.parametrize("value, fragment", [
    ("50.005", "50.005"), ("-1", "负数"), ('"1e9"', "1e9"), ('"NaN"', "NaN"), ('"五十"', "五十"), ("true", "yuan"),
])
def test_bad_amounts_are_refused_with_file_line_and_key(value: str, fragment: str) -> None:
    text = _edit("coupon = 100\n", f"coupon = {value}\n")
    with pytest.raises(PolicyError) as err:
        parse_policy(text, "team/policy.toml")
    message = str(err.value)
    assert message.startswith(f"team/policy.toml:{_line(text, f'coupon = {value}')} [tiers.L2.limits.coupon]")
    assert fragment in message


def test_a_typo_in_a_key_is_an_error_not_a_missing_limit() -> None:
    text = _edit("coupon = 50\n", "copuon = 50\n")
    with pytest.raises(PolicyError) as err:
        parse_policy(text, "p.toml")
    assert err.value.key == "tiers.L1.limits.copuon"
    assert err.value.line == _line(text, "copuon")
    assert "coupon" in str(err.value)  # lists the known keys so the fix is obvious


def test_a_missing_limit_is_an_error() -> None:
    text = _edit("return_shipping = 30\n", "")
    with pytest.raises(PolicyError) as err:
        parse_policy(text, "p.toml")
    assert err.value.key == "tiers.L2.limits.return_shipping"
    assert "0" in str(err.value)  # tells how to say "always a request"


def test_syntax_error_names_the_line() -> None:
    text = _edit("customer_cap = 1000\n", "customer_cap = = 1000\n")
    with pytest.raises(PolicyError) as err:
        parse_policy(text, "p.toml")
    assert err.value.line == _line(text, "customer_cap = =")
    assert "TOML" in str(err.value)


@pytest.mark.parametrize("old, new, key", [
    ('always_approve = ["goodwill_payment", "repair_visit"]', 'always_approve = ["goodwil_payment"]',
     "tiers.L1.always_approve"),
    ("format = 1\n", "format = 9\n", "format"),
    ("version = 1\n", 'version = "one"\n', "version"),
    ('ineligible_full_refund = "deny"', 'ineligible_full_refund = "maybe"', "rules.ineligible_full_refund"),
    ("customer_cap_days = 30", "customer_cap_days = 0", "rules.customer_cap_days"),
    ("can_approve = true", "can_approve = false", "tiers.lead.can_approve"),
    ("budget = true\ncustomer_cap = true\nneeds_order = false\n\n[actions.partial_refund]",
     'budget = "yes"\ncustomer_cap = true\nneeds_order = false\n\n[actions.partial_refund]', "actions.coupon.budget"),
    ("[tiers.L3]", "[tiers.L3.extra]\nx = 1\n[tiers.L3]", "tiers.L3.extra"),
])
def test_invalid_values_name_their_key(old: str, new: str, key: str) -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy(_edit(old, new), "p.toml")
    assert err.value.key == key, str(err.value)
    assert err.value.line is not None


def test_missing_tier_and_missing_table_are_reported() -> None:
    text = builtin_text()
    without_lead = text[: text.index("[tiers.lead]")]
    with pytest.raises(PolicyError, match=r"tiers\.lead"):
        parse_policy(without_lead, "p.toml")
    with pytest.raises(PolicyError, match=r"\[actions\]"):
        parse_policy("format = 1\nversion = 1\n[rules]\ncustomer_cap = 1\ncustomer_cap_days = 1\n"
                     "second_threshold = 1\nreturn_days = 7\nineligible_full_refund = \"deny\"\n", "p.toml")


def test_missing_or_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not found"):
        load_policy(tmp_path / "nope.toml")
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(binary)


def test_override_is_used_reloaded_when_changed_and_never_silently_replaced(tmp_path: Path) -> None:
    override = tmp_path / "policy.toml"
    assert effective_policy(override).source.startswith("builtin")
    override.write_text(_edit("version = 1\n", "version = 7\n"), "utf-8")
    assert effective_policy(override).version == 7
    stat = override.stat()
    override.write_text(_edit("version = 1\n", "version = 8\n"), "utf-8")  # same size, same mtime
    os.utime(override, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert effective_policy(override).version == 8
    override.write_text("format = 1\nversion = [\n", "utf-8")
    with pytest.raises(PolicyError):  # a broken team file must not fall back to the default
        effective_policy(override)


def test_cli_policy_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["policy", "check", "--lang", "en"]) == 0
    assert "Policy valid" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text(_edit("partial_refund = 50\n", "partial_refund = 50.005\n"), "utf-8")
    assert cli.main(["policy", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert re.search(rf"{re.escape(str(bad))}:\d+ \[tiers\.L1\.limits\.partial_refund\]", err)
    good = tmp_path / "good.toml"
    good.write_text(builtin_text(), "utf-8")
    assert cli.main(["policy", "check", str(good), "--json"]) == 0
    assert '"ok": true' in capsys.readouterr().out


def test_cli_policy_explain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.authority_world import build_world
    from tests.conftest import FROZEN_AT
    from workbench.store import Store
    from workbench.store.migrate import migrate

    store = Store(tmp_path / "cache.db")
    migrate(store)
    build_world(store, FROZEN_AT)
    store.close()
    base = ["policy", "explain", "--db", str(tmp_path / "cache.db"), "--agent", "a-lina", "--case", "ca-1-1",
            "--action", "coupon"]
    assert cli.main([*base, "--amount", "80"]) == 0
    out = capsys.readouterr().out
    assert "李娜（L1）· 优惠券 ¥80 · 工单 ca-1-1" in out
    assert "结论：超出权限，需组长审批" in out and "超出单次权限 ¥50" in out
    assert "未通过  case_limit" in out and "通过  agent_active" in out
    assert cli.main([*base, "--amount", "50", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["decision"]["outcome"] == "allowed" and data["figures"]["agent_day_used_fen"] == 0
    assert cli.main([*base, "--amount", "50.005"]) == 2
    assert "50.005" in capsys.readouterr().err
    assert cli.main([*base[:-2], "--action", "full_refund", "--amount", "699", "--case", "ca-1-3", "--lang", "en"]) == 0
    assert "Past the 7-day no-reason return window" in capsys.readouterr().out


def test_cli_policy_show_prints_the_builtin(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["policy", "show", "--builtin"]) == 0
    assert "[tiers.L1.limits]" in capsys.readouterr().out


def test_catalogs_have_the_same_authority_keys_and_every_reason_a_message() -> None:
    zh = {k for k in i18n.catalog("zh") if k.startswith("authority.")}
    en = {k for k in i18n.catalog("en") if k.startswith("authority.")}
    assert zh == en
    for action in ACTIONS:
        assert f"authority.action.{action}" in zh
