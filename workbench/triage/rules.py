"""Loading and compiling the triage rule files (``triage.toml``, ``rules_zh.toml``, ``rules_en.toml``).

Rules are data so a team lead can add the words their customers use without touching code. A broken
file is reported with the file, the TOML line or the key and what is wrong (a regex that does not
compile, an unknown intent, a weight that is not a number) instead of failing at the first message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from workbench import tomlread
from workbench.triage.model import EMOTIONS, INTENTS

RULE_FILES = ("rules_zh.toml", "rules_en.toml")
URGENT_KINDS = ("threat", "safety", "money_twice")
_WEIGHT_KEY = re.compile(r"^w([0-9])$")  # w0: a phrase that only shadows (不想退款 hides 退款)


class RulesError(ValueError):
    """A problem in a triage rule file; the message names the file and key."""


@dataclass(frozen=True)
class Rule:
    """One cue: ``domain`` decides which cues can shadow each other (intent, emotion, urgent)."""

    domain: str
    kind: str  # intent | angry | anxious | threat | safety | money_twice
    intent: str
    weight: float
    text: str = ""
    pattern: re.Pattern[str] | None = None


@dataclass
class RuleSet:
    """Everything the engine needs, compiled once per process."""

    keywords: list[Rule] = field(default_factory=list)
    patterns: list[Rule] = field(default_factory=list)
    replace: list[tuple[str, str, re.Pattern[str] | None]] = field(default_factory=list)
    placeholders: list[re.Pattern[str]] = field(default_factory=list)
    min_score: float = 2.0
    tie_order: dict[str, int] = field(default_factory=dict)
    max_chars: int = 500
    position_decay: float = 0.0
    angry_at: float = 3.0
    model_min_posterior: float = 1.1  # > 1 = the fallback model is never used
    model_below_score: float = 0.0
    anxious_at: float = 2.0
    model_angry_at: float = 1.1  # emotion model: P(angry) that raises calm/anxious to angry (> 1 = never)
    model_anxious_at: float = 1.1  # emotion model: P(anxious) that raises calm to anxious (> 1 = never)
    priority: dict[str, Any] = field(default_factory=dict)
    playbooks: dict[str, str] = field(default_factory=dict)
    by_prefix: dict[str, list[Rule]] = field(default_factory=dict)  # cue words by their first two characters
    first_chars: frozenset[str] = frozenset()
    single_chars: list[Rule] = field(default_factory=list)  # one-character cues
    urgent_words: list[Rule] = field(default_factory=list)
    urgent_chars: int = 4000


def _read(name: str) -> dict[str, Any]:
    text = resources.files("workbench.triage").joinpath(name).read_text("utf-8")
    try:
        return tomlread.loads(text)
    except tomlread.TomlError as exc:
        raise RulesError(f"workbench/triage/{name}: TOML syntax error: {exc}") from exc


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RulesError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _cues(table: dict[str, Any], where: str, domain: str, kind: str, intent: str, out: RuleSet) -> None:
    """Add a table of ``wN = [words]`` and ``re = [[pattern, weight]]`` to the rule set."""
    for key, value in table.items():
        match = _WEIGHT_KEY.match(key)
        if match:
            if not isinstance(value, list) or not all(isinstance(w, str) and w for w in value):
                raise RulesError(f"{where}.{key}: expected a list of non-empty strings")
            # Cue words get the same normalisation as messages (full-width ！ in a rule must still match).
            out.keywords.extend(Rule(domain, kind, intent, float(match.group(1)), unicodedata.normalize("NFKC", w).lower())
                                for w in value)
        elif key == "re":
            for number, item in enumerate(value if isinstance(value, list) else [None], start=1):
                if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
                    raise RulesError(f"{where}.re[{number}]: expected [\"pattern\", weight]")
                try:
                    # ASCII word boundaries: \b then separates "order" from the 的 before it in mixed text.
                    compiled = re.compile(item[0], re.ASCII)
                except re.error as exc:
                    raise RulesError(f"{where}.re[{number}]: regex {item[0]!r} does not compile: {exc}") from exc
                weight = _number(item[1], f"{where}.re[{number}]")
                out.patterns.append(Rule(domain, kind, intent, weight, item[0], compiled))
        else:
            raise RulesError(f"{where}: unknown key {key!r} (use w0…w9 word lists and re)")


def _lexicon(name: str, data: dict[str, Any], out: RuleSet) -> None:
    where = f"workbench/triage/{name}"
    normalize = data.get("normalize", {})
    for src, dst in normalize.get("replace", {}).items():
        src, dst = src.lower(), str(dst).lower()
        # English typo fixes apply to whole words only ("rder" must not touch "order").
        word = re.compile(rf"(?<![a-z]){re.escape(src)}(?![a-z])") if src.isascii() else None
        out.replace.append((src, dst, word))
    if "placeholders" in normalize:
        try:
            out.placeholders.append(re.compile(normalize["placeholders"]))
        except re.error as exc:
            raise RulesError(f"{where} [normalize].placeholders: {exc}") from exc
    for intent, table in data.get("intents", {}).items():
        if intent not in INTENTS:
            raise RulesError(f"{where} [intents.{intent}]: unknown intent; use one of {', '.join(INTENTS)}")
        _cues(table, f"{where} [intents.{intent}]", "intent", "intent", intent, out)
    for emotion, table in data.get("emotion", {}).items():
        if emotion not in EMOTIONS or emotion == "calm":
            raise RulesError(f"{where} [emotion.{emotion}]: only angry and anxious have cues")
        _cues(table, f"{where} [emotion.{emotion}]", "emotion", emotion, "", out)
    for kind, words in data.get("urgent", {}).items():
        if kind not in URGENT_KINDS:
            raise RulesError(f"{where} [urgent].{kind}: unknown kind; use {', '.join(URGENT_KINDS)}")
        _cues({"w1": words}, f"{where} [urgent]", kind, kind, "", out)


def _settings(data: dict[str, Any], out: RuleSet) -> None:
    where = "workbench/triage/triage.toml"
    decision, emotion = data.get("decision", {}), data.get("emotion", {})
    out.min_score = _number(decision.get("min_score", 2), f"{where} [decision].min_score")
    order = decision.get("tie_order", list(INTENTS))
    unknown = [i for i in order if i not in INTENTS]
    if unknown:
        raise RulesError(f"{where} [decision].tie_order: unknown intent(s) {', '.join(unknown)}")
    out.tie_order = {intent: n for n, intent in enumerate([*order, *[i for i in INTENTS if i not in order]])}
    out.position_decay = _number(decision.get("position_decay", 0), f"{where} [decision].position_decay")
    out.max_chars = int(_number(decision.get("max_chars", 500), f"{where} [decision].max_chars"))
    out.urgent_chars = int(_number(decision.get("urgent_chars", 4000), f"{where} [decision].urgent_chars"))
    out.model_min_posterior = _number(decision.get("model_min_posterior", 1.1), f"{where} [decision].model_min_posterior")
    out.model_below_score = _number(decision.get("model_below_score", 0), f"{where} [decision].model_below_score")
    out.angry_at = _number(emotion.get("angry_at", 3), f"{where} [emotion].angry_at")
    out.anxious_at = _number(emotion.get("anxious_at", 2), f"{where} [emotion].anxious_at")
    out.model_angry_at = _number(emotion.get("model_angry_at", 1.1), f"{where} [emotion].model_angry_at")
    out.model_anxious_at = _number(emotion.get("model_anxious_at", 1.1), f"{where} [emotion].model_anxious_at")
    out.priority = dict(data.get("priority", {}))
    playbooks = data.get("playbooks", {})
    missing = [i for i in INTENTS if not isinstance(playbooks.get(i), str)]
    if missing:
        raise RulesError(f"{where} [playbooks]: no playbook id for {', '.join(missing)}")
    out.playbooks = {i: playbooks[i] for i in INTENTS}


@lru_cache(maxsize=1)
def load() -> RuleSet:
    """The compiled rules (cached; raises RulesError naming the broken file)."""
    rules = RuleSet()
    _settings(_read("triage.toml"), rules)
    for name in RULE_FILES:
        _lexicon(name, _read(name), rules)
    for rule in rules.keywords:
        if len(rule.text) == 1:
            rules.single_chars.append(rule)
        else:
            rules.by_prefix.setdefault(rule.text[:2], []).append(rule)
        if rule.domain in URGENT_KINDS:
            rules.urgent_words.append(rule)
    rules.first_chars = frozenset(key[0] for key in rules.by_prefix)
    return rules
