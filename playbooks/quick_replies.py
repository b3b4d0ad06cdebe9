"""The quick-reply library (话术库): load, validate, search by shortcut, words or pinyin initials.

Built-in replies ship in ``playbooks/quick_replies.toml``; a team file ``<config dir>/quick_replies.toml``
adds or replaces replies by code. A broken team file is skipped with a warning (the built-ins stay).
Pinyin initials (``bfap`` for 补发安排) come from pypinyin, imported on first search only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from playbooks.fill import Filled, case_values, fill
from playbooks.schema import Issue, Text2
from playbooks.validate import Checker, load_toml
from workbench.context import Context

FILE = "quick_replies.toml"
REPLY_FIELDS = {"code", "title", "zh", "en", "tags"}
_CODE = re.compile(r"^[a-z0-9]{1,8}$")
_CACHE_KEY = "playbooks.quick_replies"


@dataclass(frozen=True)
class QuickReply:
    code: str
    title: Text2
    text: Text2
    tags: tuple[str, ...] = ()


@dataclass
class Library:
    replies: dict[str, QuickReply]
    warnings: list[Issue]

    def get(self, code: str) -> QuickReply | None:
        return self.replies.get(code.lstrip("/").lower())

    def search(self, query: str, limit: int = 50) -> list[QuickReply]:
        return search(list(self.replies.values()), query, limit)


def parse(file: str, text: str) -> tuple[list[QuickReply], list[Issue]]:
    """Validate one quick-reply file; returns the good replies and the issues (file, line, field)."""
    data, issues = load_toml(file, text)
    if data is None:
        return [], issues
    ck = Checker(file, text)
    ck.table(data, (), {"reply"}, set())
    raw = data.get("reply", [])
    if not isinstance(raw, list):
        ck.error(("reply",), "应为 [[reply]] 表数组 / expected [[reply]] tables")
        raw = []
    replies: list[QuickReply] = []
    for n, entry in enumerate(raw):
        path = ("reply", n)
        before = len(ck.issues)
        table = ck.table(entry, path, REPLY_FIELDS, {"code", "title", "zh", "en"})
        if table is None:
            continue
        code = table.get("code")
        if not isinstance(code, str) or not _CODE.match(code):
            ck.error(path + ("code",), "快捷码只能是 1–8 位小写字母或数字 / code must be 1–8 lower-case letters or digits")
            continue
        if any(r.code == code for r in replies):
            ck.error(path + ("code",), f"快捷码重复 / duplicate code {code!r}")
            continue
        tags = table.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            ck.error(path + ("tags",), "应为文本列表 / expected a list of words")
            tags = []
        reply = QuickReply(
            code, ck.text2(table.get("title"), path + ("title",)),
            Text2(ck.string(table.get("zh"), path + ("zh",)), ck.string(table.get("en"), path + ("en",))),
            tuple(tags),
        )
        if len(ck.issues) == before:
            replies.append(reply)
    return replies, ck.issues


def load(team_file: Path | None = None) -> Library:
    """Built-ins, then the team file (replace/add by code). Built-in problems are warnings too."""
    text = resources.files("playbooks").joinpath(FILE).read_text("utf-8")
    builtin, issues = parse(f"playbooks/{FILE}", text)
    library = Library({r.code: r for r in builtin}, list(issues))
    if team_file is not None and team_file.is_file():
        try:
            team_text = team_file.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            library.warnings.append(Issue(str(team_file), None, "", f"无法读取 / cannot read: {exc}"))
            return library
        team, team_issues = parse(str(team_file), team_text)
        library.warnings.extend(team_issues)
        if not team_issues:
            library.replies.update({r.code: r for r in team})
    return library


def library(ctx: Context) -> Library:
    """The library for a Context, loaded once (team file in the config dir)."""
    cached = ctx.extras.get(_CACHE_KEY)
    if not isinstance(cached, Library):
        cached = load(ctx.paths.config_dir / FILE)
        ctx.extras[_CACHE_KEY] = cached
    return cached


@lru_cache(maxsize=512)
def initials(text: str) -> str:
    """Pinyin initials of Chinese text (补发安排 → bfap); '' when pypinyin is unavailable."""
    try:
        from pypinyin import Style, lazy_pinyin
    except ImportError:
        return ""
    return "".join(p[:1] for p in lazy_pinyin(text, style=Style.FIRST_LETTER) if p).lower()


def _score(reply: QuickReply, term: str) -> int:
    if reply.code == term:
        return 100
    if reply.code.startswith(term):
        return 80
    title = f"{reply.title.zh} {reply.title.en}".lower()
    if term in title:
        return 60
    if term.isascii() and term.isalnum() and term in initials(reply.title.zh):
        return 50
    if any(term in tag.lower() for tag in reply.tags):
        return 40
    if term in reply.text.zh.lower() or term in reply.text.en.lower():
        return 30
    return 0


def search(replies: list[QuickReply], query: str, limit: int = 50) -> list[QuickReply]:
    """Replies matching every word of ``query`` (``/bf``, ``补发``, ``bfap``, ``refund``), best first."""
    terms = [t.lstrip("/").lower() for t in query.split() if t.lstrip("/")]
    if not terms:
        return sorted(replies, key=lambda r: r.code)[:limit]
    scored: list[tuple[int, str, QuickReply]] = []
    for reply in replies:
        scores = [_score(reply, term) for term in terms]
        if all(scores):
            scored.append((-sum(scores), reply.code, reply))
    return [r for _, _, r in sorted(scored, key=lambda x: (x[0], x[1]))][:limit]


def as_rows(replies: list[QuickReply], lang: str) -> list[dict[str, Any]]:
    """Plain rows for lists and the CLI."""
    return [{"code": r.code, "title": r.title.get(lang), "text": r.text.get(lang)} for r in replies]


def reply_values(ctx: Context, view: Any, lang: str) -> dict[str, str]:
    """The values replies are filled with (``view`` may be None: only the agent and shop fields).

    It reads the store (the agent's name): callers that fill many replies compute it once.
    """
    if view is not None:
        return case_values(ctx, view, lang)
    return {k: v for k, v in (("agent", str(ctx.agent().get("name") or "")), ("shop", ctx.settings.shop.name)) if v}


def fill_reply(ctx: Context, view: Any, reply: QuickReply, lang: str) -> Filled:
    """A reply's text in ``lang`` filled from the case (``view`` may be None: only agent/shop fields)."""
    return fill(reply.text.get(lang), reply_values(ctx, view, lang))
