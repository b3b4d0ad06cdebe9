"""The compensation policy: a versioned TOML file, loaded into immutable records and validated strictly.

A policy that is half-read is worse than none: a missing line must never silently mean "no limit". So
the whole file is required (every action, every tier, every limit), unknown keys are errors (typos such
as ``copuon`` would otherwise disable a limit), and every error names the file, the line and the key.
Amounts are written in yuan and become integer fen through :func:`workbench.money.parse_yuan`.

This module is pure (stdlib + workbench.money + workbench.config's error type): the hub loads the same
file with :func:`load_policy` and feeds it to the same :func:`workbench.authority.decide`.
"""

# No ``from __future__ import annotations`` in this module: its NamedTuple fields would then be strings,
# and typing compiles each one at import (about 3 ms over the modules on the way to the first frame).

import re
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple

from workbench import tomlread
from workbench.config import ConfigError
from workbench.money import MoneyError, parse_yuan

ACTIONS: tuple[str, ...] = (
    "coupon", "partial_refund", "full_refund", "reship", "exchange",
    "return_shipping", "goodwill_payment", "repair_visit",
)
REQUIRED_TIERS: tuple[str, ...] = ("L1", "L2", "L3", "lead")
LEAD_TIER = "lead"
FORMAT = 1
BUILTIN = "builtin:default_policy.toml"


class PolicyError(ConfigError):
    """A policy file problem; ``str()`` reads ``file:line [key]: what is wrong and what to do``."""


# Records are NamedTuples rather than frozen dataclasses: as immutable and typed, and a tenth of the
# cost to define, which counts because this module loads before the main screen's first frame.
class ActionRule(NamedTuple):
    """How one action is counted: in the agent's daily budget, in the customer's rolling cap."""

    name: str
    budget: bool
    customer_cap: bool
    needs_order: bool


class Tier(NamedTuple):
    """One role/tier's authority. ``limits_fen[action] == 0`` means every such action is a request."""

    name: str
    daily_budget_fen: int
    limits_fen: Mapping[str, int]
    always_approve: frozenset[str]
    can_approve: bool = False
    approval_budget_fen: int = 0


class Signals(NamedTuple):
    """Thresholds for abuse *signals* (shown, never blocking)."""

    window_days: int = 90
    not_received_claims: int = 2
    payout_ratio_percent: int = 30


class Policy(NamedTuple):
    version: int
    name: str
    source: str
    customer_cap_fen: int
    customer_cap_days: int
    second_threshold_fen: int
    return_days: int
    excluded_categories: frozenset[str]
    ineligible_full_refund: str
    headline_action: str
    actions: Mapping[str, ActionRule]
    tiers: Mapping[str, Tier]
    signals: Signals = Signals()

    def tier_for(self, agent: Mapping[str, Any]) -> Tier | None:
        """Leads use the ``lead`` tier whatever their level; everyone else their ``tier`` column."""
        if agent.get("role") == "lead" and LEAD_TIER in self.tiers:
            return self.tiers[LEAD_TIER]
        return self.tiers.get(str(agent.get("tier") or ""))

    @property
    def budget_actions(self) -> tuple[str, ...]:
        return tuple(a for a, rule in self.actions.items() if rule.budget)

    @property
    def cap_actions(self) -> tuple[str, ...]:
        return tuple(a for a, rule in self.actions.items() if rule.customer_cap)


# ---------------------------------------------------------------- locating lines for error messages

_HEADER = r"^\s*\[+\s*([^\]]+?)\s*\]+"  # compiled on first use: only error messages need line numbers


def _norm_section(raw: str) -> str:
    return ".".join(part.strip().strip('"').strip("'") for part in raw.split("."))


def line_of(text: str, section: str, key: str = "") -> int | None:
    """Best-effort line of ``key`` inside ``[section]`` (or of the header itself when key is empty)."""
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(_HEADER, line)
        if header:
            current = _norm_section(header.group(1))
            target = f"{section}.{key}" if section and key else (section or key)
            if current == target or current.startswith(target + "."):  # the key is itself a [table]
                return number
            continue
        if current == section and key and re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", line):
            return number
    if key and "." in section:  # inline table (limits = { ... }) or key in a parent table
        parent, _, last = section.rpartition(".")
        return line_of(text, parent, last)
    return None


class _Reader:
    """Validates one parsed file and raises PolicyError with file, line and key on the first problem."""

    def __init__(self, source: str, text: str):
        self.source, self.text = source, text

    def fail(self, section: str, key: str, message: str) -> PolicyError:
        full = f"{section}.{key}" if section and key else (section or key)
        return PolicyError(self.source, message, line_of(self.text, section, key), full or None)

    def table(self, data: Mapping[str, Any], section: str, key: str) -> dict[str, Any]:
        value = data.get(key)
        path = f"{section}.{key}" if section else key
        if value is None:
            raise self.fail(section, key, f"缺少 [{path}] 表 / missing table [{path}]; 参照内置策略补上 / "
                                          "copy it from the built-in policy (workbench policy show --builtin)")
        if not isinstance(value, dict):
            raise self.fail(section, key, f"应为一个表 [{path}] / expected a table")
        return value

    def only(self, data: Mapping[str, Any], section: str, known: set[str]) -> None:
        for key in data:
            if key not in known:
                raise self.fail(section, key, f"未知的项 / unknown key {key!r}; 可用 / known: "
                                              f"{', '.join(sorted(known))}")

    def integer(self, data: Mapping[str, Any], section: str, key: str, minimum: int = 0,
                default: int | None = None) -> int:
        value = data.get(key, default)
        if value is None:
            raise self.fail(section, key, "缺少此项 / missing key")
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(section, key, f"应为不小于 {minimum} 的整数 / expected an integer >= {minimum}, "
                                          f"got {value!r}")
        return value

    def boolean(self, data: Mapping[str, Any], section: str, key: str, default: bool | None = None) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(section, key, f"应为 true 或 false / expected true or false, got {value!r}")
        return value

    def text_value(self, data: Mapping[str, Any], section: str, key: str, choices: tuple[str, ...] = (),
                   default: str | None = None) -> str:
        value = data.get(key, default)
        if not isinstance(value, str) or (choices and value not in choices):
            allowed = f" ({' | '.join(choices)})" if choices else ""
            raise self.fail(section, key, f"应为文字{allowed} / expected a string{allowed}, got {value!r}")
        return value

    def money(self, data: Mapping[str, Any], section: str, key: str) -> int:
        if key not in data:
            raise self.fail(section, key, "缺少金额 / missing amount; 写 0 表示无自主权限 / write 0 for "
                                          "'always a request'")
        value = data[key]
        if not isinstance(value, (int, float, str)) or isinstance(value, bool):
            raise self.fail(section, key, f"金额应为数字(元)/ amount in yuan expected, got {value!r}")
        try:
            return parse_yuan(value)
        except MoneyError as exc:
            raise self.fail(section, key, str(exc)) from exc

    def action_list(self, data: Mapping[str, Any], section: str, key: str) -> frozenset[str]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(section, key, "应为动作名列表 / expected a list of action names")
        for name in value:
            if name not in ACTIONS:
                raise self.fail(section, key, f"未知动作 / unknown action {name!r}; 可用 / known: "
                                              f"{', '.join(ACTIONS)}")
        return frozenset(value)


def _tier(reader: _Reader, name: str, data: dict[str, Any]) -> Tier:
    section = f"tiers.{name}"
    reader.only(data, section, {"daily_budget", "always_approve", "limits", "can_approve", "approval_budget"})
    limits_data = reader.table(data, section, "limits")
    limits_section = f"{section}.limits"
    reader.only(limits_data, limits_section, set(ACTIONS))
    limits = {action: reader.money(limits_data, limits_section, action) for action in ACTIONS}
    can_approve = reader.boolean(data, section, "can_approve", default=False)
    approval_budget = reader.money(data, section, "approval_budget") if "approval_budget" in data else 0
    if can_approve and "approval_budget" not in data:
        raise reader.fail(section, "approval_budget", "能审批的层级必须写审批额度 / a tier that can approve "
                                                      "needs approval_budget (元 per day)")
    return Tier(
        name=name,
        daily_budget_fen=reader.money(data, section, "daily_budget"),
        limits_fen=limits,
        always_approve=reader.action_list(data, section, "always_approve"),
        can_approve=can_approve,
        approval_budget_fen=approval_budget,
    )


def parse_policy(text: str, source: str) -> Policy:
    """Parse and validate policy text; ``source`` names the file in error messages."""
    try:
        data = tomlread.loads(text)
    except tomlread.TomlError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise PolicyError(source, f"TOML 语法错误 / TOML syntax error: {exc}. 请修正该行 / fix that line",
                          int(match.group(1)) if match else None) from exc
    reader = _Reader(source, text)
    reader.only(data, "", {"format", "version", "name", "rules", "signals", "actions", "tiers"})
    fmt = reader.integer(data, "", "format", minimum=1)
    if fmt != FORMAT:
        raise reader.fail("", "format", f"不支持的格式 {fmt},本程序支持 {FORMAT} / unsupported format; "
                                        "upgrade the workbench or rewrite the file")
    version = reader.integer(data, "", "version", minimum=1)
    name = reader.text_value(data, "", "name", default="")

    rules = reader.table(data, "", "rules")
    reader.only(rules, "rules", {"customer_cap", "customer_cap_days", "second_threshold", "return_days",
                                 "excluded_categories", "ineligible_full_refund", "headline_action"})
    excluded = rules.get("excluded_categories", [])
    if not isinstance(excluded, list) or not all(isinstance(v, str) for v in excluded):
        raise reader.fail("rules", "excluded_categories", "应为文字列表 / expected a list of strings")
    headline = reader.text_value(rules, "rules", "headline_action", ACTIONS, default="coupon")
    customer_cap = reader.money(rules, "rules", "customer_cap")
    customer_cap_days = reader.integer(rules, "rules", "customer_cap_days", 1)
    second_threshold = reader.money(rules, "rules", "second_threshold")
    return_days = reader.integer(rules, "rules", "return_days", 0)
    ineligible = reader.text_value(rules, "rules", "ineligible_full_refund", ("deny", "approval"))

    signals_data = data.get("signals", {})
    if not isinstance(signals_data, dict):
        raise reader.fail("", "signals", "应为一个表 / expected a table")
    reader.only(signals_data, "signals", {"window_days", "not_received_claims", "payout_ratio_percent"})
    signals = Signals(
        window_days=reader.integer(signals_data, "signals", "window_days", 1, default=90),
        not_received_claims=reader.integer(signals_data, "signals", "not_received_claims", 1, default=2),
        payout_ratio_percent=reader.integer(signals_data, "signals", "payout_ratio_percent", 1, default=30),
    )

    actions_data = reader.table(data, "", "actions")
    reader.only(actions_data, "actions", set(ACTIONS))
    actions: dict[str, ActionRule] = {}
    for action in ACTIONS:
        section = f"actions.{action}"
        item = reader.table(actions_data, "actions", action)
        reader.only(item, section, {"budget", "customer_cap", "needs_order"})
        actions[action] = ActionRule(action, reader.boolean(item, section, "budget"),
                                     reader.boolean(item, section, "customer_cap"),
                                     reader.boolean(item, section, "needs_order", default=False))

    tiers_data = reader.table(data, "", "tiers")
    tiers: dict[str, Tier] = {}
    for tier_name, tier_data in tiers_data.items():
        if not isinstance(tier_data, dict):
            raise reader.fail("tiers", tier_name, "应为一个表 / expected a table [tiers.NAME]")
        tiers[tier_name] = _tier(reader, tier_name, tier_data)
    for required in REQUIRED_TIERS:
        if required not in tiers:
            raise reader.fail("tiers", "", f"缺少层级 [tiers.{required}] / missing tier; 需要 / required: "
                                           f"{', '.join(REQUIRED_TIERS)}")
    if not tiers[LEAD_TIER].can_approve:
        raise reader.fail(f"tiers.{LEAD_TIER}", "can_approve", "组长层级必须能审批 / the lead tier must "
                                                               "have can_approve = true")
    return Policy(
        version=version,
        name=name,
        source=source,
        customer_cap_fen=customer_cap,
        customer_cap_days=customer_cap_days,
        second_threshold_fen=second_threshold,
        return_days=return_days,
        excluded_categories=frozenset(c.strip() for c in excluded if c.strip()),
        ineligible_full_refund=ineligible,
        headline_action=headline,
        actions=actions,
        tiers=tiers,
        signals=signals,
    )


def builtin_text() -> str:
    """The text of the policy shipped with the program (also what ``policy show --builtin`` prints)."""
    # Shipped beside this module; importlib.resources would add its import to the first frame.
    return (Path(__file__).parent / "default_policy.toml").read_text("utf-8")


def load_policy(path: Path | str | None = None) -> Policy:
    """Load ``path`` (the team's override), or the built-in default when ``path`` is None.

    Raises :class:`PolicyError` naming file, line and key. The hub calls this with its own file.
    """
    if path is None:
        return parse_policy(builtin_text(), BUILTIN)
    file = Path(path)
    try:
        text = file.read_bytes().decode("utf-8")
    except FileNotFoundError as exc:
        raise PolicyError(file, "找不到策略文件 / policy file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(file, f"无法读取策略文件 / cannot read the policy file: {exc}") from exc
    return parse_policy(text, str(file))


_cache: dict[str, tuple[str, Policy]] = {}


def effective_policy(override: Path | str | None) -> Policy:
    """The override file when it exists, else the built-in policy; re-parsed whenever its bytes change.

    A broken override raises :class:`PolicyError` rather than falling back to the default: running on
    a different policy than the team wrote would be a silent, money-affecting surprise. The cache is
    keyed on the file's content (not its mtime, which two quick edits of the same size can share).
    """
    if override is None or not Path(override).exists():
        return _cached(BUILTIN, "builtin", lambda: load_policy(None))
    import hashlib  # only for a team override file: the built-in policy needs no digest at start-up

    file = Path(override)
    try:
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
    except OSError as exc:
        raise PolicyError(file, f"无法读取策略文件 / cannot read the policy file: {exc}") from exc
    return _cached(str(file), digest, lambda: load_policy(file))


def _cached(key: str, stamp: str, load: Callable[[], Policy]) -> Policy:
    hit = _cache.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    policy = load()
    _cache[key] = (stamp, policy)
    return policy
