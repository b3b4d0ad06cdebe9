"""Load the playbooks in force: the built-in files shipped in this package, then the team's files.

Team files (``ctx.paths.playbooks_dir/*.toml``) add playbooks or override a built-in one with the same
``id``. A team file that fails validation is skipped and reported as a warning (the UI shows it with
``app.notify``); the built-in set keeps working, so one typo never leaves a whole team without guidance.
"""

from __future__ import annotations

from pathlib import Path

from playbooks.schema import INTENTS, Issue, Playbook, Registry
from playbooks.validate import check_text, positions
from workbench.context import Context

QUICK_REPLIES_FILE = "quick_replies.toml"
_CACHE_KEY = "playbooks.registry"


def _is_playbook_file(name: str) -> bool:
    return name.endswith(".toml") and name != QUICK_REPLIES_FILE and not name.startswith(".")


def builtin_files() -> list[tuple[str, str]]:
    """(display path, text) of every shipped playbook file, sorted by name."""
    # Shipped beside this module; importlib.resources would add its import to the first frame.
    folder = Path(__file__).parent
    out = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if _is_playbook_file(entry.name):
            out.append((f"playbooks/{entry.name}", entry.read_text("utf-8")))
    return out


def read_files(path: Path) -> tuple[list[tuple[str, str]], list[Issue]]:
    """Read one file or every ``*.toml`` in a folder; unreadable files become issues, not crashes."""
    files = [path] if path.is_file() else sorted(p for p in path.glob("*.toml") if _is_playbook_file(p.name))
    out: list[tuple[str, str]] = []
    issues: list[Issue] = []
    for file in files:
        try:
            out.append((str(file), file.read_bytes().decode("utf-8")))
        except UnicodeDecodeError as exc:
            issues.append(Issue(str(file), None, "", f"不是 UTF-8 文本 / not UTF-8 text: {exc.reason} "
                                                      f"at byte {exc.start}; 请另存为 UTF-8 / save it as UTF-8"))
        except OSError as exc:
            issues.append(Issue(str(file), None, "", f"无法读取 / cannot read: {exc.strerror or exc}"))
    return out, issues


def check_files(files: list[tuple[str, str]], builtin: bool) -> tuple[list[Playbook], list[Issue]]:
    """Validate a set of files that must not repeat an id among themselves."""
    good: list[Playbook] = []
    issues: list[Issue] = []
    seen: dict[str, str] = {}
    for name, text in files:
        playbook, found = check_text(name, text, builtin)
        if playbook is not None and playbook.id in seen:
            found = [Issue(name, positions(text).get(("id",)), "id",
                           f"id 重复 / duplicate id {playbook.id!r}, already in {seen[playbook.id]}")]
            playbook = None
        issues.extend(found)
        if playbook is not None:
            seen[playbook.id] = name
            good.append(playbook)
    return good, issues


def intent_issues(playbooks: list[Playbook]) -> list[Issue]:
    """Each fixed intent must be served by exactly one playbook of a set (the built-ins are checked so)."""
    issues: list[Issue] = []
    owner: dict[str, str] = {}
    for playbook in playbooks:
        for intent in playbook.intents:
            if intent in owner:
                issues.append(Issue(playbook.source, None, "intents",
                                    f"意图 {intent!r} 已由 {owner[intent]} 处理 / intent already served by "
                                    f"{owner[intent]}"))
            else:
                owner[intent] = playbook.id
    for intent in INTENTS:
        if intent not in owner:
            issues.append(Issue("playbooks/", None, "intents",
                                f"没有剧本处理意图 {intent!r} / no playbook serves intent {intent!r}"))
    return issues


def load(team_dir: Path | None = None) -> Registry:
    """Built-ins first, then team files (override/add by id); problems end up in ``warnings``."""
    registry = Registry()
    builtins, issues = check_files(builtin_files(), builtin=True)
    registry.warnings.extend(issues)
    for playbook in builtins:
        registry.playbooks[playbook.id] = playbook
        for intent in playbook.intents:
            registry.by_intent.setdefault(intent, playbook.id)
    if team_dir is not None and team_dir.is_dir():
        files, read_issues = read_files(team_dir)
        registry.warnings.extend(read_issues)
        team, issues = check_files(files, builtin=False)
        registry.warnings.extend(issues)
        for playbook in team:
            replaced = registry.playbooks.get(playbook.id)
            if replaced is not None:
                for intent in replaced.intents:
                    if registry.by_intent.get(intent) == replaced.id and intent not in playbook.intents:
                        registry.by_intent.pop(intent)
            registry.playbooks[playbook.id] = playbook
            for intent in playbook.intents:
                registry.by_intent[intent] = playbook.id
        general = registry.by_intent.get("other")
        for intent in INTENTS:
            registry.by_intent.setdefault(intent, general or "")
    return registry


def registry(ctx: Context) -> Registry:
    """The registry for this context, loaded once (the team dir comes from ``ctx.paths.playbooks_dir``)."""
    cached = ctx.extras.get(_CACHE_KEY)
    if isinstance(cached, Registry):
        return cached
    loaded = load(ctx.paths.playbooks_dir)
    ctx.extras[_CACHE_KEY] = loaded
    return loaded


def reload(ctx: Context) -> Registry:
    """Drop the cached registry (after a team file was edited) and load again."""
    ctx.extras.pop(_CACHE_KEY, None)
    return registry(ctx)
