"""Stage progress of a case through its playbook: 共情 → 定位 → 解决 → 闭环.

The state lives on the case row (``cases.stage`` = current stage, ``cases.stage_state`` = JSON below,
``cases.playbook_id``) and every change is one ``BEGIN IMMEDIATE`` transaction that re-reads the row,
applies the change, writes the row with its outbox entry and, for skips, an audit entry. So progress
survives restarts, syncs to the hub like any other case change, and two windows cannot lose each
other's ticks.

Why reasons are demanded: moving on with unchecked items or skipping a stage is sometimes right (the
customer already sent photos), but the next person and the team lead must be able to see why. A case
cannot be closed while 闭环 is open — the follow-up is where a fix becomes a kept promise — unless the
agent writes down why not.

``stage_state`` (version 1)::

    {"v": 1, "playbook": "damaged_item",
     "stages": {"empathize": {"status": "done", "checked": ["ack"], "at": "...", "by": "a-lina",
                              "reason": "...", "open_items": [...]}, ...},
     "resolution": {"option": "reship", "action": "reship", "label": {"zh", "en"}, "time": {"zh", "en"},
                    "amount_fen": null, "result": {...}, "at": "...", "by": "..."},
     "followup": {"kind": "check_satisfaction", "when": "3d_after_delivery", "status": "scheduled", ...},
     "history": [{"at", "by", "event", "stage", "reason"}]}

Labels are copied into the state in both languages so the core (escalation summary, reports) can read
what was done without importing the playbooks package.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from playbooks import loader
from playbooks.schema import STAGES, Playbook, Registry
from workbench import changes
from workbench.context import Context
from workbench.record import Record
from workbench.timefmt import to_db

OPEN, DONE, SKIPPED = "open", "done", "skipped"
RESOLUTION_ITEM, FOLLOWUP_ITEM = "@resolution", "@followup"
MIN_REASON, MAX_REASON = 2, 500
HISTORY_LIMIT = 50


class ProgressError(Exception):
    """A stage change that cannot happen as asked; ``code`` says which rule (for the UI's message)."""

    def __init__(self, code: str, message: str, **detail: Any):
        self.code, self.detail = code, detail
        super().__init__(message)


class ReasonRequired(ProgressError):
    """Moving on needs a written reason: ``open_items`` lists what is not done."""

    def __init__(self, stage: str, open_items: list[str], message: str):
        super().__init__("reason_required", message, stage=stage, open_items=open_items)
        self.stage, self.open_items = stage, open_items


class CloseBlocked(ProgressError):
    """Closing while 闭环 is open needs a skip reason."""

    def __init__(self, open_stages: list[str]):
        super().__init__("close_blocked", f"闭环未完成,关闭需填写原因 / close stage still open: {open_stages}",
                         open_stages=open_stages)
        self.open_stages = open_stages


def _parse_state(raw: str | None) -> dict[str, Any]:
    try:
        state = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return {"v": 1, "previous_raw": (raw or "")[:4000]}
    return state if isinstance(state, dict) else {"v": 1, "previous_raw": str(raw)[:4000]}


class Progress(Record):
    """A case's position in its playbook, as read from the case row."""

    __slots__ = ("case_id", "playbook", "stage", "state", "case_status", "playbook_missing", "warnings")

    def __init__(self, case_id: str, playbook: Playbook, stage: str, state: dict[str, Any],
                 case_status: str = "open", playbook_missing: str = "", warnings: list[str] | None = None) -> None:
        self.case_id, self.playbook, self.stage, self.state = case_id, playbook, stage, state
        self.case_status, self.playbook_missing = case_status, playbook_missing
        self.warnings: list[str] = [] if warnings is None else warnings

    def _stage(self, key: str) -> dict[str, Any]:
        stages = self.state.setdefault("stages", {})
        entry = stages.get(key)
        if not isinstance(entry, dict):
            entry = stages[key] = {}
        return entry

    def status(self, key: str) -> str:
        value = self._stage(key).get("status", OPEN)
        return value if value in (OPEN, DONE, SKIPPED) else OPEN

    def checked(self, key: str) -> set[str]:
        items = self._stage(key).get("checked", [])
        return {str(i) for i in items} if isinstance(items, list) else set()

    @property
    def resolution(self) -> dict[str, Any] | None:
        value = self.state.get("resolution")
        return value if isinstance(value, dict) else None

    @property
    def followup(self) -> dict[str, Any] | None:
        value = self.state.get("followup")
        return value if isinstance(value, dict) else None

    def open_items(self, key: str) -> list[str]:
        """Checklist ids not ticked, plus the resolution / follow-up the stage exists for."""
        done = self.checked(key)
        missing = [i.id for i in self.playbook.stage(key).checklist if i.id not in done]
        if key == "resolve" and self.resolution is None:
            missing.append(RESOLUTION_ITEM)
        if key == "close" and self.followup is None:
            missing.append(FOLLOWUP_ITEM)
        return missing

    @property
    def complete(self) -> bool:
        return self.status("close") in (DONE, SKIPPED)

    @property
    def closed(self) -> bool:
        return self.case_status == "closed"


def progress_of(ctx: Context, case: dict[str, Any], registry: Registry | None = None) -> Progress:
    """Build the Progress of a case row (no writes: a case nobody touched gets its intent's playbook)."""
    registry = registry or loader.registry(ctx)
    state = _parse_state(case.get("stage_state"))
    wanted = case.get("playbook_id") or state.get("playbook")
    playbook = registry.get(wanted)
    missing = ""
    if playbook is None:
        if wanted:
            missing = str(wanted)
        playbook = registry.for_intent(case.get("intent"))
    stage = case.get("stage") if case.get("stage") in STAGES else STAGES[0]
    return Progress(str(case["id"]), playbook, str(stage), state, str(case.get("status") or "open"), missing)


def load(ctx: Context, case_id: str) -> Progress:
    row = ctx.store.one("SELECT * FROM cases WHERE id = ?", (case_id,))
    if row is None:
        raise LookupError(f"case {case_id} not found")
    return progress_of(ctx, dict(row))


def clean_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if len(text) < MIN_REASON:
        raise ProgressError("reason_empty", "请写明原因(至少两个字)/ please give a reason (at least 2 characters)")
    return text[:MAX_REASON]


Mutation = Callable[[Progress, str, list[tuple[str, dict[str, Any]]]], None]


def _mutate(ctx: Context, case_id: str, change: Mutation, *, extra: dict[str, Any] | None = None,
            allow_closed: bool = False) -> Progress:
    """Re-read the case inside a write transaction, apply ``change``, write row + outbox (+ audit)."""
    registry = loader.registry(ctx)
    now = to_db(ctx.clock.now())
    with ctx.store.write() as conn:
        row = conn.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
        if row is None:
            raise LookupError(f"case {case_id} not found")
        progress = progress_of(ctx, dict(row), registry)
        if progress.closed and not allow_closed:
            raise ProgressError("closed", "工单已关闭 / the case is closed")
        audits: list[tuple[str, dict[str, Any]]] = []
        change(progress, now, audits)
        progress.state["v"] = 1
        progress.state["playbook"] = progress.playbook.id
        history = progress.state.get("history")
        if isinstance(history, list) and len(history) > HISTORY_LIMIT:
            progress.state["history"] = history[-HISTORY_LIMIT:]
        values: dict[str, Any] = {
            "playbook_id": progress.playbook.id,
            "stage": progress.stage,
            "stage_state": json.dumps(progress.state, ensure_ascii=False, sort_keys=True),
            "updated_at": now,
            "version": int(row["version"] or 1) + 1,
        }
        values.update(extra or {})
        if values.get("status") == "closed":
            progress.case_status = "closed"
        changes.update(conn, ctx.clock, "cases", case_id, values, ctx.agent_id)
        for action, data in audits:
            _audit(conn, ctx, case_id, action, data)
    return progress


def _audit(conn: sqlite3.Connection, ctx: Context, case_id: str, action: str, data: dict[str, Any]) -> None:
    from workbench import audit  # skips and switches are audited; showing a case's progress is not

    audit.append(conn, ctx.clock, actor=ctx.agent_id, action=action, entity="cases", entity_id=case_id,
                 data=data)


def _event(progress: Progress, now: str, by: str, event: str, **data: Any) -> None:
    history = progress.state.setdefault("history", [])
    if isinstance(history, list):
        history.append({"at": now, "by": by, "event": event, "stage": progress.stage, **data})


def _next_stage(key: str) -> str:
    index = STAGES.index(key)
    return STAGES[min(index + 1, len(STAGES) - 1)]


def toggle_item(ctx: Context, case_id: str, item_id: str, stage: str | None = None) -> Progress:
    """Tick or untick one checklist item (of the current stage unless ``stage`` is given)."""

    def change(p: Progress, now: str, audits: list[tuple[str, dict[str, Any]]]) -> None:
        key = stage or p.stage
        if p.playbook.stage(key).item(item_id) is None:
            raise ProgressError("unknown_item", f"清单项不存在 / no checklist item {item_id!r} in {key}")
        checked = p.checked(key)
        checked.symmetric_difference_update({item_id})
        order = [i.id for i in p.playbook.stage(key).checklist]
        p._stage(key)["checked"] = [i for i in order if i in checked]

    return _mutate(ctx, case_id, change)


def advance(ctx: Context, case_id: str, reason: str | None = None) -> Progress:
    """Finish the current stage and move on. Open items need ``reason`` (stored and audited)."""

    def change(p: Progress, now: str, audits: list[tuple[str, dict[str, Any]]]) -> None:
        key = p.stage
        if p.status(key) != OPEN and key == STAGES[-1]:
            raise ProgressError("finished", "流程已走完 / the playbook is finished")
        missing = p.open_items(key)
        entry = p._stage(key)
        entry.update({"status": DONE, "at": now, "by": ctx.agent_id})
        if missing:
            if not reason:
                raise ReasonRequired(key, missing, f"还有未完成项 / open items in {key}: {missing}")
            text = clean_reason(reason)
            entry.update({"reason": text, "open_items": missing})
            audits.append(("playbook.stage_incomplete", {"stage": key, "reason": text, "open_items": missing,
                                                         "playbook": p.playbook.id}))
            _event(p, now, ctx.agent_id, "advance_incomplete", reason=text)
        else:
            _event(p, now, ctx.agent_id, "advance")
        p.stage = _next_stage(key)

    return _mutate(ctx, case_id, change)


def skip(ctx: Context, case_id: str, reason: str) -> Progress:
    """Skip the current stage with a reason (always audited)."""
    text = clean_reason(reason)

    def change(p: Progress, now: str, audits: list[tuple[str, dict[str, Any]]]) -> None:
        key = p.stage
        if p.status(key) != OPEN and key == STAGES[-1]:
            raise ProgressError("finished", "流程已走完 / the playbook is finished")
        p._stage(key).update({"status": SKIPPED, "reason": text, "at": now, "by": ctx.agent_id,
                              "open_items": p.open_items(key)})
        audits.append(("playbook.stage_skip", {"stage": key, "reason": text, "playbook": p.playbook.id}))
        _event(p, now, ctx.agent_id, "skip", reason=text)
        p.stage = _next_stage(key)

    return _mutate(ctx, case_id, change)


def back(ctx: Context, case_id: str) -> Progress:
    """Reopen the previous stage (the customer came back with new facts)."""

    def change(p: Progress, now: str, audits: list[tuple[str, dict[str, Any]]]) -> None:
        key = p.stage
        if p.status(key) != OPEN:
            p._stage(key)["status"] = OPEN
        else:
            index = STAGES.index(key)
            if index == 0:
                raise ProgressError("first", "已经是第一步 / already at the first stage")
            p.stage = STAGES[index - 1]
            p._stage(p.stage)["status"] = OPEN
        _event(p, now, ctx.agent_id, "back")

    return _mutate(ctx, case_id, change)


def _result_subset(outcome: dict[str, Any] | None) -> dict[str, Any]:
    """Keep the few plain fields of a compensation result worth remembering on the case."""
    if not isinstance(outcome, dict):
        return {}
    keep = ("id", "status", "action", "amount_fen", "decision_reason", "reason")
    return {k: outcome[k] for k in keep if k in outcome and isinstance(outcome[k], (str, int, float, bool))}


def choose_resolution(ctx: Context, case_id: str, option_id: str, *, amount_fen: int | None = None,
                      outcome: dict[str, Any] | None = None) -> Progress:
    """Record the option the customer chose (and what the compensation flow returned, if anything)."""

    def change(p: Progress, now: str, audits: list[tuple[str, dict[str, Any]]]) -> None:
        option = p.playbook.stage("resolve").option(option_id)
        if option is None:
            raise ProgressError("unknown_option", f"没有这个方案 / no option {option_id!r}")
        result = _result_subset(outcome)
        amount = result.get("amount_fen", amount_fen)
        p.state["resolution"] = {
            "option": option.id, "action": option.action,
            "label": {"zh": option.label.zh, "en": option.label.en},
            "time": {"zh": option.time.zh, "en": option.time.en},
            "amount_fen": amount if isinstance(amount, int) else None,
            "result": result, "at": now, "by": ctx.agent_id,
        }
        _event(p, now, ctx.agent_id, "resolution", option=option.id)

    return _mutate(ctx, case_id, change)


def record_followup(ctx: Context, case_id: str, kind: str, when: str, *, note: str = "",
                    status: str = "recorded", followup_id: str | None = None) -> Progress:
    """Remember the 闭环 follow-up: ``scheduled`` when the follow-up flow created one, else ``recorded``."""

    def change(p: Progress, now: str, audits: list[tuple[str, dict[str, Any]]]) -> None:
        p.state["followup"] = {"kind": kind, "when": when, "note": note[:MAX_REASON], "status": status,
                               "id": followup_id, "at": now, "by": ctx.agent_id}
        _event(p, now, ctx.agent_id, "followup", kind=kind, when=when)

    return _mutate(ctx, case_id, change)


def switch_playbook(ctx: Context, case_id: str, playbook_id: str) -> Progress:
    """Use another playbook; stage statuses stay, ticks and the chosen option (the old set's) are dropped."""
    registry = loader.registry(ctx)
    target = registry.get(playbook_id)
    if target is None:
        raise ProgressError("unknown_playbook", f"没有这个剧本 / no playbook {playbook_id!r}")

    def change(p: Progress, now: str, audits: list[tuple[str, dict[str, Any]]]) -> None:
        previous = p.playbook.id
        p.playbook = target
        for key in STAGES:
            valid = {i.id for i in target.stage(key).checklist}
            p._stage(key)["checked"] = [i for i in p.checked(key) if i in valid]
        if p.resolution and target.stage("resolve").option(str(p.resolution.get("option"))) is None:
            p.state["previous_resolution"] = p.state.pop("resolution")
        _event(p, now, ctx.agent_id, "switch", previous=previous)

    return _mutate(ctx, case_id, change)


def close_case(ctx: Context, case_id: str, reason: str | None = None) -> Progress:
    """Close the case. While 闭环 is open this needs a reason, which skips what is open (audited)."""
    text = clean_reason(reason) if reason else None

    def change(p: Progress, now: str, audits: list[tuple[str, dict[str, Any]]]) -> None:
        unfinished = [k for k in STAGES if p.status(k) == OPEN]
        if "close" in unfinished:
            if text is None:
                raise CloseBlocked(unfinished)
            for key in unfinished:
                p._stage(key).update({"status": SKIPPED, "reason": text, "at": now, "by": ctx.agent_id,
                                      "open_items": p.open_items(key)})
            p.stage = STAGES[-1]
            audits.append(("playbook.close_skip", {"stages": unfinished, "reason": text,
                                                   "playbook": p.playbook.id}))
            _event(p, now, ctx.agent_id, "close_skip", reason=text)
        audits.append(("case.close", {"playbook": p.playbook.id, "reason": text or ""}))
        _event(p, now, ctx.agent_id, "close")

    now = to_db(ctx.clock.now())
    return _mutate(ctx, case_id, change, extra={"status": "closed", "closed_at": now})
