"""Pure rendering for the stepper: progress in, ``rich.text.Text`` out (no markup is ever parsed).

Kept apart from the widget so the drawing is easy to read and to test, and the widget file stays about
behaviour. Filled phrasing contains customer data, so it is appended as plain text segments only.
"""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text

from playbooks.fill import Filled, option_amount_fen
from playbooks.progress import DONE, FOLLOWUP_ITEM, RESOLUTION_ITEM, SKIPPED, Progress
from playbooks.schema import STAGES, FollowUpSpec
from workbench.i18n import t
from workbench.money import format_fen

NUMBERS = "①②③④"
_WHEN = re.compile(r"^\+(\d+)([mhd])$|^(\d+)d_after_delivery$|^tomorrow_(\d+)$")
_FIELD = re.compile(r"\{[a-z_]+\}")


def when_label(when: str, lang: str) -> str:
    """``+2d`` → 2 天后, ``3d_after_delivery`` → 签收 3 天后 (the raw text when it is something else)."""
    match = _WHEN.match(when or "")
    if not match:
        return when
    if match.group(1):
        return t(f"playbook.when.plus_{match.group(2)}", lang, n=match.group(1))
    if match.group(3):
        return t("playbook.when.after_delivery", lang, n=match.group(3))
    return t("playbook.when.tomorrow", lang, hour=match.group(4))


def item_label(progress: Progress, stage: str, item_id: str, lang: str) -> str:
    if item_id == RESOLUTION_ITEM:
        return t("playbook.item_resolution", lang)
    if item_id == FOLLOWUP_ITEM:
        return t("playbook.item_followup", lang)
    item = progress.playbook.stage(stage).item(item_id)
    return item.label.get(lang) if item else item_id


def head(progress: Progress, lang: str) -> Text:
    """``① 共情 ✓  ② 定位 ●  ③ 解决  ④ 闭环`` plus the playbook's name."""
    text = Text(no_wrap=False)
    for n, key in enumerate(STAGES):
        status = progress.status(key)
        current = key == progress.stage and not progress.complete
        mark = {DONE: " ✓", SKIPPED: " ↷"}.get(status, " ●" if current else "")
        style = "bold reverse" if current else ("green" if status == DONE else ("yellow" if status == SKIPPED else "dim"))
        if n:
            text.append("  ")
        text.append(f"{NUMBERS[n]} {t(f'playbook.stage.{key}', lang)}{mark}", style=style)
    text.append("  · ", style="dim")
    text.append(progress.playbook.title.get(lang), style="italic")
    if progress.closed:
        text.append("  " + t("playbook.closed_banner", lang), style="bold green")
    elif progress.complete:
        text.append("  " + t("playbook.finished", lang), style="green")
    return text


def checklist(progress: Progress, lang: str, cursor: int, focused: bool) -> Text:
    """The current stage's checklist: ☑ ticked, ☐ open; the cursor item is highlighted when focused."""
    stage = progress.playbook.stage(progress.stage)
    text = Text(t("playbook.checklist", lang) + ": ", style="bold")
    if not stage.checklist:
        text.append(t("playbook.no_items", lang), style="dim")
        return text
    ticked = progress.checked(progress.stage)
    for n, item in enumerate(stage.checklist):
        done = item.id in ticked
        style = "reverse" if focused and n == cursor else ("green" if done else "")
        if n:
            text.append("  ")
        text.append(("☑ " if done else "☐ ") + item.label.get(lang), style=style)
    return text


def say(filled: Filled, lang: str) -> Text:
    """The suggested phrasing; unfilled ``{fields}`` stand out so the agent sees what is missing."""
    text = Text(t("playbook.phrase", lang) + ": ", style="bold")
    last = 0
    for match in _FIELD.finditer(filled.text):
        text.append(filled.text[last:match.start()])
        style = "bold yellow" if match.group(0)[1:-1] in filled.missing else ""
        text.append(match.group(0), style=style)
        last = match.end()
    text.append(filled.text[last:])
    if filled.missing:
        names = "、".join(t(f"playbook.field.{m}", lang) for m in filled.missing)
        text.append("  " + t("playbook.missing_fields", lang, fields=names), style="yellow")
    return text


def options(progress: Progress, view: Any, lang: str, compact: bool = False) -> Text:
    """The resolve options: number, label, the time to promise, the authority action and amount.

    ``compact`` runs them on together (short terminals); otherwise one option per line.
    """
    text = Text(t("playbook.options", lang) + ":", style="bold")
    chosen = (progress.resolution or {}).get("option")
    for n, option in enumerate(progress.playbook.stage("resolve").options, start=1):
        text.append(" " if compact else "\n")
        picked = option.id == chosen
        text.append(f" {n} ", style="bold reverse" if picked else "bold")
        text.append(" " + option.label.get(lang), style="green" if picked else "")
        text.append(" · " + option.time.get(lang), style="dim")
        amount = option_amount_fen(option, view)
        action = t(f"playbook.action.{option.action}", lang)
        text.append(f"  [{action}{' ' + format_fen(amount) if amount else ''}]", style="cyan")
        if picked:
            text.append(" ✓", style="bold green")
    return text


def followup(progress: Progress, spec: FollowUpSpec | None, lang: str) -> Text:
    """The 闭环 default follow-up, and whether it is already recorded or scheduled."""
    text = Text(t("playbook.followup", lang) + ": ", style="bold")
    if spec is None:
        return text
    kind = t(f"playbook.followup_kind.{spec.kind}", lang)
    text.append(f"{kind} · {when_label(spec.when, lang)} · {spec.note.get(lang)}")
    recorded = progress.followup
    if recorded:
        text.append("  ✓ " + when_label(str(recorded.get("when") or ""), lang), style="bold green")
    else:
        text.append(f"  (f {t('playbook.key.followup', lang)})", style="dim")
    return text
