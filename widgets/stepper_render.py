"""Pure rendering for the stepper: progress in, ``rich.text.Text`` out (no markup is ever parsed).

Kept apart from the widget so the drawing is easy to read and to test, and the widget file stays about
behaviour. Filled phrasing contains customer data, so it is appended as plain text segments only.
"""

from __future__ import annotations

import re
from typing import Any

from rich.cells import cell_len
from rich.text import Text

from playbooks.fill import Filled, option_amount_fen
from playbooks.progress import DONE, FOLLOWUP_ITEM, RESOLUTION_ITEM, SKIPPED, Progress
from playbooks.schema import STAGES, FollowUpSpec
from workbench.i18n import t
from workbench.money import format_fen

NUMBERS = "①②③④"
_FIELD = re.compile(r"\{[a-z_]+\}")
# Pattern strings, compiled by ``re`` on first use and cached there: follow-up times only show once a
# case reaches 闭环, and compiling them at import delays the first frame.
_WHEN = r"^\+(\d+)([mhd])$|^(\d+)d_after_delivery$|^tomorrow_(\d+)$|^(\d+)d_after_next_delivery$"
_AFTER_DELIVERY = r"^(\d+)d_after_delivery$"
_TOMORROW = r"^tomorrow_(\d+)$"


def when_label(when: str, lang: str) -> str:
    """``+2d`` → 2 天后, ``3d_after_delivery`` → 签收 3 天后 (the raw text when it is something else)."""
    match = re.match(_WHEN, when or "")
    if not match:
        return when
    if match.group(1):
        return t(f"playbook.when.plus_{match.group(2)}", lang, n=match.group(1))
    if match.group(3):
        return t("playbook.when.after_delivery", lang, n=match.group(3))
    if match.group(5):  # the replacement / exchange parcel, not the one already delivered
        return t("playbook.when.after_next_delivery", lang, n=match.group(5))
    return t("playbook.when.tomorrow", lang, hour=match.group(4))


def followup_when(when: str) -> str:
    """A playbook ``when`` in the follow-up modal's words (its quick choices, or text it parses)."""
    match = re.match(_AFTER_DELIVERY, when)
    if match:
        return "after_delivery_3d" if match.group(1) == "3" else f"签收后{match.group(1)}天"
    match = re.match(_TOMORROW, when)
    if match:
        return "tomorrow_10" if match.group(1) == "10" else f"明天{match.group(1)}点"
    return when


def item_label(progress: Progress, stage: str, item_id: str, lang: str) -> str:
    if item_id == RESOLUTION_ITEM:
        return t("playbook.item_resolution", lang)
    if item_id == FOLLOWUP_ITEM:
        return t("playbook.item_followup", lang)
    item = progress.playbook.stage(stage).item(item_id)
    return item.label.get(lang) if item else item_id


def head(progress: Progress, lang: str, width: int = 0) -> Text:
    """``① 共情 ✓  ② 定位 ●  ③ 解决  ④ 闭环`` plus the playbook's name.

    When the name does not fit on the stage line (``width`` cells; 0 = unknown), it goes on its own line
    instead of leaving a dangling 「·」 at the end of the first one.
    """
    text = Text(no_wrap=False)
    parts: list[tuple[str, str]] = []
    for n, key in enumerate(STAGES):
        status = progress.status(key)
        current = key == progress.stage and not progress.complete
        mark = {DONE: " ✓", SKIPPED: " ↷"}.get(status, " ●" if current else "")
        style = "bold reverse" if current else ("green" if status == DONE else ("yellow" if status == SKIPPED else "dim"))
        parts.append((f"{NUMBERS[n]} {t(f'playbook.stage.{key}', lang)}{mark}", style))
    # Two spaces between stages, one when that keeps the four on one line (English at 80 columns).
    gap = "  "
    if width and sum(cell_len(part) for part, _ in parts) + 2 * (len(parts) - 1) > width:
        gap = " "
    for n, (part, style) in enumerate(parts):
        if n:
            text.append(gap)
        text.append(part, style=style)
    title = progress.playbook.title.get(lang)
    inline = not width or text.cell_len + 4 + cell_len(title) <= width
    text.append("  · " if inline else "\n", style="dim")
    text.append(title, style="italic")
    if progress.closed:
        text.append("  " + t("playbook.closed_banner", lang), style="bold green")
    elif progress.complete:
        text.append("  " + t("playbook.finished", lang), style="green")
    return text


def label(key: str, lang: str) -> str:
    """A section label with the language's colon: 「清单：」 in Chinese, "Checklist: " in English."""
    return t(key, lang) + t("playbook.colon", lang)


def checklist(progress: Progress, lang: str, cursor: int, focused: bool, compact: bool = False) -> Text:
    """The current stage's checklist: ☑ ticked, ☐ open; the cursor item is highlighted when focused.

    One item per line, indented under the label, so a long item never splits from its box and ↑/↓
    move visibly; ``compact`` (short terminals) runs them on one line instead.
    """
    stage = progress.playbook.stage(progress.stage)
    head = label("playbook.checklist", lang)
    text = Text(head, style="bold")
    if not stage.checklist:
        text.append(t("playbook.no_items", lang), style="dim")
        return text
    indent = " " * cell_len(head)
    ticked = progress.checked(progress.stage)
    for n, item in enumerate(stage.checklist):
        done = item.id in ticked
        style = "reverse" if focused and n == cursor else ("green" if done else "")
        if n:
            text.append("  " if compact else "\n" + indent)
        text.append(("☑ " if done else "☐ ") + item.label.get(lang), style=style)
    return text


def say(filled: Filled, lang: str) -> Text:
    """The suggested phrasing; unfilled ``{fields}`` stand out so the agent sees what is missing."""
    text = Text(label("playbook.phrase", lang), style="bold")
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
    text = Text(label("playbook.options", lang).rstrip(), style="bold")
    chosen = (progress.resolution or {}).get("option")
    for n, option in enumerate(progress.playbook.stage("resolve").options, start=1):
        text.append(" " if compact else "\n")
        picked = option.id == chosen
        name = option.label.get(lang)
        text.append(f" {n} ", style="bold reverse" if picked else "bold")
        text.append(" " + name, style="green" if picked else "")
        amount = option_amount_fen(option, view)
        action = t(f"playbook.action.{option.action}", lang)
        # 「全额退款 [全额退款 ¥1,279]」 says it twice: name the action only when the label does not. The
        # action and amount come before the time to promise, so a narrow column wraps only the time.
        named = option.needs_authority and action.casefold() not in name.casefold()
        shown = [part for part in (action if named else "", format_fen(amount) if amount else "") if part]
        if shown:
            text.append(" [" + " ".join(shown) + "]", style="cyan")
        text.append(" · " + option.time.get(lang), style="dim")
        if picked:
            text.append(" ✓", style="bold green")
    return text


def followup(progress: Progress, spec: FollowUpSpec | None, lang: str) -> Text:
    """The 闭环 default follow-up, and whether it is already recorded or scheduled."""
    text = Text(label("playbook.followup", lang), style="bold")
    if spec is None:
        return text
    kind = t(f"playbook.followup_kind.{spec.kind}", lang)
    text.append(f"{kind} · {when_label(spec.when, lang)} · {spec.note.get(lang)}")
    recorded = progress.followup
    if recorded:
        text.append("  ✓ " + when_label(str(recorded.get("when") or ""), lang), style="bold green")
    else:
        hint = t("playbook.key_hint", lang, shortcut="f", label=t("playbook.key.followup", lang))
        text.append("  " + hint, style="dim")
    return text
