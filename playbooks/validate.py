"""Turn the TOML of one playbook file into a :class:`Playbook`, or into issues naming file, line and field.

``tomllib`` gives values but no positions, so :func:`positions` re-reads the text and remembers on which
line each key path (``stages.resolve.options[1].action``) was written. It is best effort: an issue the
map cannot place points at the nearest enclosing key, never at a wrong file.
"""

from __future__ import annotations

import re
from typing import Any

from playbooks.schema import (
    ACTIONS, AMOUNT_SOURCES, FOLLOWUP_KINDS, INTENTS, NO_ACTION, PLACEHOLDERS, STAGES, ChecklistItem,
    FollowUpSpec, Issue, Playbook, ResolutionOption, Stage, Text2,
)
from workbench import tomlread
from workbench.money import MoneyError, parse_yuan

Path_ = tuple[str | int, ...]

# Pattern strings, compiled by ``re`` on first use and cached there: line positions are only worked
# out when a file has a problem to point at, and compiling them at import delays the first frame.
_HEADER = r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$"
_KEYLINE = r"^\s*((?:[A-Za-z0-9_\-]+|\"[^\"]*\")(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|\"[^\"]*\"))*)\s*=\s*(.*)$"
_INLINE_KEY = r"(?:^|[{,])\s*([A-Za-z0-9_\-]+)\s*="
_STRINGS = r"\"(?:[^\"\\]|\\.)*\"|'[^']*'"
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
WHEN = re.compile(r"^(\+\d{1,3}[mhd]|\d{1,2}d_after_(next_)?delivery|tomorrow_\d{1,2})$")

TOP_FIELDS = {"id", "title", "intents", "stages", "notes"}
STAGE_FIELDS = {"say", "checklist", "options", "followup"}
ITEM_FIELDS = {"id", "zh", "en"}
OPTION_FIELDS = {"id", "label", "action", "time", "say", "amount_yuan", "amount_from"}
FOLLOWUP_FIELDS = {"kind", "when", "zh", "en"}
TEXT_FIELDS = {"zh", "en"}
MAX_OPTIONS = 4  # keys 1-4 choose an option; more than four is not "a small set of clear options"


def _parts(key: str) -> list[str]:
    return [p.strip().strip('"') for p in re.split(r"\.(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", key)]


def positions(text: str) -> dict[Path_, int]:
    """Map each key path written in ``text`` to its (first) line number."""
    found: dict[Path_, int] = {}
    header: Path_ = ()
    counters: dict[Path_, int] = {}
    array: Path_ | None = None
    index = 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        bare = re.sub(_STRINGS, '""', stripped)
        if array is not None:
            if stripped.startswith(("{", '"', "'")):
                found.setdefault(array + (index,), number)
                for key in re.findall(_INLINE_KEY, bare):
                    found.setdefault(array + (index, key), number)
                index += 1
            if bare.count("]") > bare.count("["):
                array = None
            continue
        head = re.match(_HEADER, line)
        if head and not re.match(_KEYLINE, line):
            path: Path_ = tuple(_parts(head.group(2)))
            if head.group(1) == "[[":
                counters[path] = counters.get(path, -1) + 1
                path = path + (counters[path],)
            header = path
            found.setdefault(header, number)
            continue
        keyline = re.match(_KEYLINE, line)
        if not keyline:
            continue
        full = header + tuple(_parts(keyline.group(1)))
        found.setdefault(full, number)
        value = re.sub(_STRINGS, '""', keyline.group(2)).strip()
        if value.startswith("{"):
            for key in re.findall(_INLINE_KEY, value):
                found.setdefault(full + (key,), number)
        elif value.startswith("[") and value.count("[") > value.count("]"):
            array, index = full, 0
    return found


def dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_toml(file: str, text: str) -> tuple[dict[str, Any] | None, list[Issue]]:
    """Parse TOML; a syntax error becomes one issue with the line ``tomllib`` names."""
    try:
        return tomlread.loads(text), []
    except tomlread.TomlError as exc:
        match = re.search(r"line (\d+)", str(exc))
        return None, [Issue(file, int(match.group(1)) if match else None, "", f"TOML 语法错误 / TOML syntax error: {exc}")]


class Checker:
    """Collects issues for one file while building its Playbook."""

    def __init__(self, file: str, text: str):
        self.file, self.text = file, text
        self.issues: list[Issue] = []
        self._pos: dict[Path_, int] | None = None

    def line(self, path: Path_) -> int | None:
        if self._pos is None:
            self._pos = positions(self.text)
        probe = path
        while probe:
            if probe in self._pos:
                return self._pos[probe]
            inside = [line for key, line in self._pos.items() if key[:len(probe)] == probe]
            if inside:
                return min(inside)
            probe = probe[:-1]
        return None

    def error(self, path: Path_, message: str) -> None:
        self.issues.append(Issue(self.file, self.line(path), dotted(path), message))

    def table(self, value: Any, path: Path_, allowed: set[str], required: set[str]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.error(path, "应为一个表 / expected a table")
            return None
        for key in value:
            if key not in allowed:
                self.error(path + (key,), f"未知字段 / unknown field; 可用 / known: {', '.join(sorted(allowed))}")
        for key in sorted(required - set(value)):
            self.error(path + (key,), "缺少必填字段 / missing required field")
        return value

    def string(self, value: Any, path: Path_) -> str:
        if not isinstance(value, str) or not value.strip():
            self.error(path, "应为非空文本 / expected non-empty text")
            return ""
        for name in _PLACEHOLDER.findall(value):
            if name not in PLACEHOLDERS:
                self.error(path, f"未知占位符 / unknown placeholder {{{name}}}; 可用 / known: "
                                 + ", ".join("{" + p + "}" for p in PLACEHOLDERS))
        if value.count("{") != value.count("}"):
            self.error(path, "花括号不成对 / unbalanced { }")
        return value

    def text2(self, value: Any, path: Path_) -> Text2:
        table = self.table(value, path, TEXT_FIELDS, TEXT_FIELDS)
        if table is None:
            return Text2("", "")
        return Text2(self.string(table.get("zh"), path + ("zh",)) if "zh" in table else "",
                     self.string(table.get("en"), path + ("en",)) if "en" in table else "")

    def ident(self, value: Any, path: Path_) -> str:
        if not isinstance(value, str) or not _ID.match(value):
            self.error(path, "id 只能用小写字母、数字和下划线 / id must be lower-case letters, digits, _")
            return str(value)
        return value


def _items(ck: Checker, raw: Any, path: Path_) -> tuple[ChecklistItem, ...]:
    if not isinstance(raw, list):
        ck.error(path, "应为列表 / expected a list")
        return ()
    items: list[ChecklistItem] = []
    for n, entry in enumerate(raw):
        table = ck.table(entry, path + (n,), ITEM_FIELDS, ITEM_FIELDS)
        if table is None:
            continue
        item_id = ck.ident(table.get("id"), path + (n, "id"))
        if any(i.id == item_id for i in items):
            ck.error(path + (n, "id"), f"清单项 id 重复 / duplicate checklist id {item_id!r}")
        label = Text2(ck.string(table.get("zh"), path + (n, "zh")), ck.string(table.get("en"), path + (n, "en")))
        items.append(ChecklistItem(item_id, label))
    return tuple(items)


def _option(ck: Checker, raw: Any, path: Path_) -> ResolutionOption | None:
    table = ck.table(raw, path, OPTION_FIELDS, {"id", "label", "action", "time", "say"})
    if table is None:
        return None
    action = table.get("action")
    if action not in ACTIONS and action != NO_ACTION:
        ck.error(path + ("action",), f"未知处理动作 / unknown action {action!r}; 可用 / known: "
                                     f"{', '.join(ACTIONS)}, {NO_ACTION}")
    amount_fen = None
    if "amount_yuan" in table:
        try:
            amount_fen = parse_yuan(table["amount_yuan"])
        except MoneyError as exc:
            ck.error(path + ("amount_yuan",), str(exc))
    source = table.get("amount_from")
    if source is not None and source not in AMOUNT_SOURCES:
        ck.error(path + ("amount_from",), f"未知金额来源 / unknown amount source {source!r}; "
                                          f"可用 / known: {', '.join(AMOUNT_SOURCES)}")
    if "amount_yuan" in table and source is not None:
        ck.error(path + ("amount_from",), "amount_yuan 与 amount_from 只能二选一 / give one of the two")
    return ResolutionOption(
        id=ck.ident(table.get("id"), path + ("id",)),
        label=ck.text2(table.get("label"), path + ("label",)),
        action=str(action),
        time=ck.text2(table.get("time"), path + ("time",)),
        say=ck.text2(table.get("say"), path + ("say",)),
        amount_fen=amount_fen,
        amount_from=source,
    )


def _followup(ck: Checker, raw: Any, path: Path_) -> FollowUpSpec | None:
    table = ck.table(raw, path, FOLLOWUP_FIELDS, FOLLOWUP_FIELDS)
    if table is None:
        return None
    kind, when = table.get("kind"), table.get("when")
    if kind not in FOLLOWUP_KINDS:
        ck.error(path + ("kind",), f"未知回访类型 / unknown follow-up kind {kind!r}; 可用 / known: "
                                   f"{', '.join(FOLLOWUP_KINDS)}")
    if not isinstance(when, str) or not WHEN.match(when):
        ck.error(path + ("when",), f"时间写法不对 / bad when {when!r}; 例 / e.g. +2d, +4h, 3d_after_delivery, "
                                   "tomorrow_10")
    note = Text2(ck.string(table.get("zh"), path + ("zh",)), ck.string(table.get("en"), path + ("en",)))
    return FollowUpSpec(str(kind), str(when), note)


def _stage(ck: Checker, key: str, raw: Any) -> Stage:
    path: Path_ = ("stages", key)
    table = ck.table(raw, path, STAGE_FIELDS, {"say"}) or {}
    say = ck.text2(table.get("say"), path + ("say",)) if "say" in table else Text2("", "")
    checklist = _items(ck, table.get("checklist", []), path + ("checklist",))
    options: list[ResolutionOption] = []
    if "options" in table and key != "resolve":
        ck.error(path + ("options",), "只有「解决」阶段可以有处理方案 / only the resolve stage has options")
    elif key == "resolve":
        raw_options = table.get("options")
        if not isinstance(raw_options, list) or not raw_options:
            ck.error(path + ("options",), "「解决」阶段至少要有一个方案 / resolve needs at least one option")
            raw_options = []
        if len(raw_options) > MAX_OPTIONS:
            ck.error(path + ("options",), f"方案最多 {MAX_OPTIONS} 个 / at most {MAX_OPTIONS} options")
        for n, entry in enumerate(raw_options):
            option = _option(ck, entry, path + ("options", n))
            if option is None:
                continue
            if any(o.id == option.id for o in options):
                ck.error(path + ("options", n, "id"), f"方案 id 重复 / duplicate option id {option.id!r}")
            options.append(option)
    followup = None
    if "followup" in table and key != "close":
        ck.error(path + ("followup",), "只有「闭环」阶段定义回访 / only the close stage has a follow-up")
    elif key == "close":
        if "followup" not in table:
            ck.error(path + ("followup",), "「闭环」阶段缺少默认回访 / close needs a default follow-up")
        else:
            followup = _followup(ck, table["followup"], path + ("followup",))
    return Stage(key, say, checklist, tuple(options), followup)


def check_text(file: str, text: str, builtin: bool = True) -> tuple[Playbook | None, list[Issue]]:
    """Validate one file's text; returns the playbook (None when anything is wrong) and the issues."""
    data, issues = load_toml(file, text)
    if data is None:
        return None, issues
    ck = Checker(file, text)
    ck.table(data, (), TOP_FIELDS, {"id", "title", "intents", "stages"})
    playbook_id = ck.ident(data.get("id"), ("id",)) if "id" in data else ""
    title = ck.text2(data.get("title"), ("title",)) if "title" in data else Text2("", "")
    notes = ck.text2(data["notes"], ("notes",)) if "notes" in data else None
    intents = data.get("intents", [])
    if not isinstance(intents, list) or not intents:
        ck.error(("intents",), "至少写一个意图 / list at least one intent")
        intents = []
    for n, intent in enumerate(intents):
        if intent not in INTENTS:
            ck.error(("intents", n), f"未知意图 / unknown intent {intent!r}; 可用 / known: {', '.join(INTENTS)}")
    stages_raw = data.get("stages", {})
    stages: dict[str, Stage] = {}
    if isinstance(stages_raw, dict):
        for key in stages_raw:
            if key not in STAGES:
                ck.error(("stages", key), f"未知阶段 / unknown stage; 可用 / known: {', '.join(STAGES)}")
        for key in STAGES:
            if key not in stages_raw:
                ck.error(("stages",), f"缺少阶段 / missing stage {key!r}")
            else:
                stages[key] = _stage(ck, key, stages_raw[key])
    elif "stages" in data:
        ck.error(("stages",), "应为一个表 / expected a table")
    if ck.issues:
        return None, ck.issues
    return Playbook(playbook_id, title, tuple(str(i) for i in intents), stages, file, builtin, notes), []
