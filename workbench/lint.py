"""Phrasing lint for replies: flags what the seeds warn against, with the reason, while the agent types.

The rules are data (``workbench/lint_rules.toml``; a team may add or replace rules by id in
``<config dir>/lint_rules.toml``). A finding never blocks sending: the agent decides, the lint only
makes the cliché visible. Core module: stdlib only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from workbench import tomlread

KINDS = ("cliche", "vague_promise", "blame")
SEVERITIES = ("warning", "info")
SCOPES = ("text", "sentence")
RULE_FIELDS = {"id", "lang", "kind", "severity", "patterns", "unless", "scope", "reason_zh", "reason_en",
               "hint_zh", "hint_en"}
REQUIRED = {"id", "lang", "kind", "patterns", "reason_zh", "reason_en"}
MAX_TEXT = 20_000  # a reply longer than this is not typed by hand; lint its start only
_SENTENCE_END = re.compile(r"[。!?！？;；\n]|\.(?=\s|$)")
_CACHE_KEY = "lint.rules"


class LintRuleError(Exception):
    """A broken rules file: names the file, line and field, and says what to fix."""

    def __init__(self, file: str, line: int | None, field: str, message: str):
        self.file, self.line, self.field, self.message = file, line, field, message
        where = file + (f":{line}" if line else "")
        super().__init__(f"{where}: [{field}] {message}" if field else f"{where}: {message}")


@dataclass(frozen=True)
class Rule:
    id: str
    lang: str
    kind: str
    severity: str
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...]
    scope: str
    reason_zh: str
    reason_en: str
    hint_zh: str = ""
    hint_en: str = ""


@dataclass(frozen=True)
class Finding:
    """One flagged span: ``text[start:end]`` broke ``rule_id`` for ``reason``."""

    rule_id: str
    kind: str
    severity: str
    start: int
    end: int
    text: str
    reason_zh: str
    reason_en: str
    hint_zh: str = ""
    hint_en: str = ""

    def reason(self, lang: str) -> str:
        return self.reason_en if lang == "en" else self.reason_zh

    def hint(self, lang: str) -> str:
        return self.hint_en if lang == "en" else self.hint_zh


def _line_of(text: str, rule_id: str | None, index: int) -> int | None:
    """Line of the rule's ``id = ...`` (or of the n-th ``[[rule]]`` header) for error messages."""
    headers = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if rule_id and re.match(rf"\s*id\s*=\s*[\"']{re.escape(rule_id)}[\"']", line):
            return number
        if line.strip() == "[[rule]]":
            if headers == index and not rule_id:
                return number
            headers += 1
    return None


def _compile(file: str, line: int | None, field: str, patterns: Any) -> tuple[re.Pattern[str], ...]:
    if not isinstance(patterns, list) or not all(isinstance(p, str) and p for p in patterns):
        raise LintRuleError(file, line, field, "应为非空的正则表达式列表 / expected a list of regular expressions")
    out = []
    for pattern in patterns:
        try:
            out.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise LintRuleError(file, line, field, f"正则写错了 / bad regular expression {pattern!r}: {exc}") from exc
    return tuple(out)


def parse_rules(file: str, text: str) -> list[Rule]:
    """Validate and compile one rules file. Raises :class:`LintRuleError` at the first problem."""
    try:
        data = tomlread.loads(text)
    except tomlread.TomlError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise LintRuleError(file, int(match.group(1)) if match else None, "",
                            f"TOML 语法错误 / TOML syntax error: {exc}") from exc
    unknown_top = set(data) - {"rule"}
    if unknown_top:
        raise LintRuleError(file, None, sorted(unknown_top)[0], "未知字段,规则写在 [[rule]] 中 / unknown field; "
                                                                "rules go in [[rule]] tables")
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise LintRuleError(file, None, "rule", "规则写在 [[rule]] 表中 / rules go in [[rule]] tables")
    rules: list[Rule] = []
    for index, raw in enumerate(raw_rules):
        if not isinstance(raw, dict):
            raise LintRuleError(file, _line_of(text, None, index), "rule", "应为 [[rule]] 表 / expected a [[rule]] table")
        rule_id = raw.get("id") if isinstance(raw.get("id"), str) else None
        line = _line_of(text, rule_id, index)
        for key in raw:
            if key not in RULE_FIELDS:
                raise LintRuleError(file, line, key, f"未知字段 / unknown field; 可用 / known: {', '.join(sorted(RULE_FIELDS))}")
        for key in sorted(REQUIRED - set(raw)):
            raise LintRuleError(file, line, key, "缺少必填字段 / missing required field")
        if not rule_id:
            raise LintRuleError(file, line, "id", "id 应为非空文本 / id must be non-empty text")
        if any(r.id == rule_id for r in rules):
            raise LintRuleError(file, line, "id", f"规则 id 重复 / duplicate rule id {rule_id!r}")
        checks = (("lang", ("zh", "en")), ("kind", KINDS), ("severity", SEVERITIES), ("scope", SCOPES))
        for key, allowed in checks:
            if key in raw and raw[key] not in allowed:
                raise LintRuleError(file, line, key, f"取值 {raw[key]!r} 无效 / invalid; 可用 / known: {', '.join(allowed)}")
        rules.append(Rule(
            id=str(rule_id), lang=raw["lang"], kind=raw["kind"], severity=raw.get("severity", "warning"),
            patterns=_compile(file, line, "patterns", raw["patterns"]),
            unless=_compile(file, line, "unless", raw["unless"]) if "unless" in raw else (),
            scope=raw.get("scope", "text"), reason_zh=str(raw["reason_zh"]), reason_en=str(raw["reason_en"]),
            hint_zh=str(raw.get("hint_zh", "")), hint_en=str(raw.get("hint_en", "")),
        ))
    return rules


def builtin_rules() -> list[Rule]:
    text = resources.files("workbench").joinpath("lint_rules.toml").read_text("utf-8")
    return parse_rules("workbench/lint_rules.toml", text)


def load_rules(team_file: Path | None = None) -> tuple[list[Rule], list[str]]:
    """Built-in rules, replaced/extended by id from ``team_file``; a broken team file is a warning."""
    rules = {r.id: r for r in builtin_rules()}
    warnings: list[str] = []
    if team_file is not None and team_file.is_file():
        try:
            for rule in parse_rules(str(team_file), team_file.read_bytes().decode("utf-8")):
                rules[rule.id] = rule
        except LintRuleError as exc:
            warnings.append(str(exc))
        except (OSError, UnicodeDecodeError) as exc:
            warnings.append(f"{team_file}: 无法读取 / cannot read: {exc}")
    return list(rules.values()), warnings


def rules_for(ctx: Any) -> tuple[list[Rule], list[str]]:
    """The rules for a Context (team file ``<config dir>/lint_rules.toml``), loaded once."""
    cached = ctx.extras.get(_CACHE_KEY)
    if cached is None:
        cached = load_rules(ctx.paths.config_dir / "lint_rules.toml")
        ctx.extras[_CACHE_KEY] = cached
    return cached  # type: ignore[no-any-return]


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence around ``text[start:end]`` (bounded by 。!?; or a newline)."""
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    right = _SENTENCE_END.search(text, end)
    return text[left:right.start() if right else len(text)]


def lint(text: str, rules: list[Rule] | None = None, langs: tuple[str, ...] = ("zh", "en")) -> list[Finding]:
    """All findings in ``text``, in reading order (one finding per rule and span)."""
    if rules is None:
        rules = builtin_rules()
    text = text[:MAX_TEXT]
    findings: list[Finding] = []
    for rule in rules:
        if rule.lang not in langs:
            continue
        if rule.scope == "text" and any(u.search(text) for u in rule.unless):
            continue
        taken: list[tuple[int, int]] = []
        for pattern in rule.patterns:
            for match in pattern.finditer(text):
                start, end = match.span()
                if start == end or any(s < end and start < e for s, e in taken):
                    continue
                if rule.scope == "sentence" and any(u.search(_sentence(text, start, end)) for u in rule.unless):
                    continue
                taken.append((start, end))
                findings.append(Finding(rule.id, rule.kind, rule.severity, start, end, match.group(0),
                                        rule.reason_zh, rule.reason_en, rule.hint_zh, rule.hint_en))
    return sorted(findings, key=lambda f: (f.start, f.rule_id))
