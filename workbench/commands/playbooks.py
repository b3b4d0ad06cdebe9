"""``workbench playbooks check [PATH]`` and ``workbench playbooks list``.

``check`` validates playbook files the way the app does at start and prints each problem as
``file:line [field] message``; exit code 1 when anything is wrong, so it can guard a team's repository.
Without PATH it checks the built-ins, the team folder, the quick-reply files and the team lint rules.

The playbooks package is imported inside the handlers: the core never imports it at load time (the
CLI is the composition root here, like ``workbench.app``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from workbench import paths
from workbench.i18n import language, t


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("playbooks", parents=[common], help="check or list playbooks / 检查或列出剧本")
    inner = parser.add_subparsers(dest="playbooks_command", metavar="{check,list}")
    check = inner.add_parser("check", parents=[common], help="validate playbook files / 校验剧本文件")
    check.add_argument("path", nargs="?", help="a playbook file or folder (default: built-in + team folder)")
    check.set_defaults(func=run_check)
    listing = inner.add_parser("list", parents=[common], help="list the playbooks in force / 列出生效的剧本")
    listing.set_defaults(func=run_list)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def _paths(args: argparse.Namespace) -> paths.Paths:
    return paths.resolve(getattr(args, "db", None), getattr(args, "config", None))


def _issues(args: argparse.Namespace) -> tuple[list[Any], int]:
    from playbooks import loader, quick_replies
    from playbooks.schema import Issue
    from workbench.lint import LintRuleError, parse_rules

    target = getattr(args, "path", None)
    if target:
        path = Path(target)
        if not path.exists():
            raise FileNotFoundError(path)
        if path.is_file() and path.name == quick_replies.FILE:
            replies, issues = quick_replies.parse(str(path), path.read_bytes().decode("utf-8", errors="replace"))
            return issues, len(replies)
        files, issues = loader.read_files(path)
        good, found = loader.check_files(files, builtin=False)
        return issues + found, len(good)
    builtins, issues = loader.check_files(loader.builtin_files(), builtin=True)
    issues += loader.intent_issues(builtins)
    count = len(builtins)
    where = _paths(args)
    if where.playbooks_dir.is_dir():
        files, read_issues = loader.read_files(where.playbooks_dir)
        good, found = loader.check_files(files, builtin=False)
        issues += read_issues + found
        count += len(good)
    config_dir = where.config_dir
    issues += quick_replies.load(config_dir / quick_replies.FILE).warnings
    rules_file = config_dir / "lint_rules.toml"
    if rules_file.is_file():
        try:
            parse_rules(str(rules_file), rules_file.read_bytes().decode("utf-8", errors="replace"))
        except LintRuleError as exc:
            issues.append(Issue(exc.file, exc.line, exc.field, exc.message))
    return issues, count


def run_check(args: argparse.Namespace) -> int:
    try:
        issues, count = _issues(args)
    except FileNotFoundError as exc:
        print(f"{exc.args[0]}: 文件不存在 / no such file or folder")
        return 2
    if getattr(args, "json", False):
        print(json.dumps({"ok": not issues, "playbooks": count,
                          "issues": [{"file": i.file, "line": i.line, "field": i.field, "message": i.message}
                                     for i in issues]}, ensure_ascii=False, indent=2))
    else:
        for issue in issues:
            print(str(issue))
        print(t("playbook.cli.problems", n=len(issues)) if issues else t("playbook.cli.ok", n=count))
    return 1 if issues else 0


def run_list(args: argparse.Namespace) -> int:
    from playbooks import loader

    team = _paths(args).playbooks_dir
    registry = loader.load(team)
    lang = language()
    rows = [{"id": p.id, "title": p.title.get(lang), "source": "builtin" if p.builtin else "team",
             "file": p.source, "intents": list(p.intents)} for p in registry.ordered()]
    if getattr(args, "json", False):
        print(json.dumps({"playbooks": rows, "warnings": [str(w) for w in registry.warnings]},
                         ensure_ascii=False, indent=2))
        return 0
    print(t("playbook.cli.list_header"))
    for row in rows:
        print(f"{row['id']:<18}{row['source']:<8}{', '.join(row['intents'])}  {row['title']}")
    print(t("playbook.cli.team_dir", path=team))
    for warning in registry.warnings:
        print(f"! {warning}")
    return 0
