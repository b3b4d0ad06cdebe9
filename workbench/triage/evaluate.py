"""Evaluating triage (and KB suggestions) against labelled messages: the figures the README reports.

A labelled record is ``{"id", "text", "intent", "emotion", "urgent"}`` plus optionally ``kb_intent``
(a KB suggestion is relevant when one of the top 3 articles is tagged with it) or ``kb_ids`` (relevant
when one of them is in the top 3), ``vip_level`` and ``waited_minutes``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from workbench.i18n import t
from workbench.triage.engine import triage
from workbench.triage.model import INTENTS

KbLookup = Callable[[str, str], list[Any]]  # (text, predicted intent) -> hits with .id and .intents


@dataclass
class EvalReport:
    """Counts from one evaluation run; the properties turn them into rates."""

    total: int = 0
    intent_ok: int = 0
    per_intent: Counter[str] = field(default_factory=Counter)
    per_intent_ok: Counter[str] = field(default_factory=Counter)
    predicted: Counter[str] = field(default_factory=Counter)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    emotion_ok: int = 0
    angry_tp: int = 0
    angry_fp: int = 0
    angry_fn: int = 0
    urgent_ok: int = 0
    kb_checked: int = 0
    kb_relevant: int = 0
    triage_seconds: float = 0.0
    total_seconds: float = 0.0
    mistakes: list[dict[str, Any]] = field(default_factory=list)

    @staticmethod
    def _rate(n: int, d: int) -> float:
        return n / d if d else 0.0

    @property
    def intent_accuracy(self) -> float:
        return self._rate(self.intent_ok, self.total)

    @property
    def angry_recall(self) -> float:
        return self._rate(self.angry_tp, self.angry_tp + self.angry_fn)

    @property
    def angry_precision(self) -> float:
        return self._rate(self.angry_tp, self.angry_tp + self.angry_fp)

    @property
    def urgent_accuracy(self) -> float:
        return self._rate(self.urgent_ok, self.total)

    @property
    def emotion_accuracy(self) -> float:
        return self._rate(self.emotion_ok, self.total)

    @property
    def kb_top3(self) -> float:
        return self._rate(self.kb_relevant, self.kb_checked)

    @property
    def messages_per_second(self) -> float:
        return self.total / self.triage_seconds if self.triage_seconds else 0.0


def _relevant(record: dict[str, Any], hits: list[Any]) -> bool:
    wanted_ids = record.get("kb_ids") or []
    if wanted_ids:
        return any(h.id in wanted_ids for h in hits[:3])
    return any(record["kb_intent"] in h.intents for h in hits[:3])


def evaluate(records: Iterable[dict[str, Any]], kb_lookup: KbLookup | None = None) -> EvalReport:
    """Triage every labelled record and count agreements (records must be valid; see CLI for checks)."""
    report = EvalReport()
    started = time.perf_counter()
    for record in records:
        t0 = time.perf_counter()
        result = triage(record["text"], int(record.get("vip_level", 0) or 0),
                        float(record.get("waited_minutes", 0) or 0))
        report.triage_seconds += time.perf_counter() - t0
        gold, emotion = record["intent"], record.get("emotion", "calm")
        report.total += 1
        report.per_intent[gold] += 1
        report.predicted[result.intent] += 1
        report.confusion[(gold, result.intent)] += 1
        if result.intent == gold:
            report.intent_ok += 1
            report.per_intent_ok[gold] += 1
        report.emotion_ok += result.emotion == emotion
        report.angry_tp += emotion == "angry" and result.emotion == "angry"
        report.angry_fn += emotion == "angry" and result.emotion != "angry"
        report.angry_fp += emotion != "angry" and result.emotion == "angry"
        report.urgent_ok += bool(record.get("urgent", False)) == result.urgent
        if kb_lookup is not None and (record.get("kb_intent") or record.get("kb_ids")):
            report.kb_checked += 1
            report.kb_relevant += _relevant(record, kb_lookup(record["text"], result.intent))
        if result.intent != gold or result.emotion != emotion or result.urgent != bool(record.get("urgent")):
            report.mistakes.append({"id": record.get("id"), "text": record["text"], "gold": [gold, emotion, record.get("urgent")],
                                    "got": [result.intent, result.emotion, result.urgent], "cues": result.cue_labels})
    report.total_seconds = time.perf_counter() - started
    return report


def format_report(report: EvalReport) -> str:
    """A plain-text report: per-intent accuracy, confusion table, emotion/urgency, KB and throughput."""
    pct = "{:.1%}".format
    lines = [t("triage.report.header", total=report.total, intent=pct(report.intent_accuracy),
               emotion=pct(report.emotion_accuracy)), "", t("triage.report.columns")]
    for intent in INTENTS:
        n, ok, pred = report.per_intent[intent], report.per_intent_ok[intent], report.predicted[intent]
        if n or pred:
            lines.append(f"{intent:<22} {n:>6} {ok:>8} {report._rate(ok, n):>8.1%} {report._rate(ok, pred):>9.1%}")
    present = [i for i in INTENTS if report.per_intent[i] or report.predicted[i]]
    short = {i: "".join(p[0] for p in i.split("_"))[:4] for i in present}
    lines += ["", t("triage.report.confusion"), f"{'':<22}" + "".join(f"{short[i]:>5}" for i in present)]
    for gold in present:
        lines.append(f"{gold:<22}" + "".join(f"{report.confusion[(gold, pred)] or '.':>5}" for pred in present))
    lines.append("  " + "  ".join(f"{short[i]}={i}" for i in present))
    lines += ["", t("triage.report.angry", recall=pct(report.angry_recall), precision=pct(report.angry_precision),
                    labelled=report.angry_tp + report.angry_fn, predicted=report.angry_tp + report.angry_fp),
              t("triage.report.urgent", urgent=pct(report.urgent_accuracy))]
    if report.kb_checked:
        lines.append(t("triage.report.kb", rate=pct(report.kb_top3), relevant=report.kb_relevant,
                       checked=report.kb_checked))
    micros = 1e6 * report.triage_seconds / report.total if report.total else 0.0
    total_rate = report.total / report.total_seconds if report.total_seconds else 0.0
    lines.append(t("triage.report.speed", rate=f"{report.messages_per_second:,.0f}", micros=f"{micros:.0f}",
                   total_rate=f"{total_rate:,.0f}"))
    return "\n".join(lines)


def as_dict(report: EvalReport) -> dict[str, Any]:
    """Machine-readable figures (``workbench triage --eval FILE --json``)."""
    return {
        "messages": report.total,
        "intent_accuracy": round(report.intent_accuracy, 4),
        "per_intent": {i: {"n": report.per_intent[i], "correct": report.per_intent_ok[i],
                           "predicted": report.predicted[i]} for i in INTENTS if report.per_intent[i] or report.predicted[i]},
        "confusion": [{"labelled": g, "predicted": p, "count": n} for (g, p), n in sorted(report.confusion.items())],
        "emotion_accuracy": round(report.emotion_accuracy, 4),
        "angry_recall": round(report.angry_recall, 4),
        "angry_precision": round(report.angry_precision, 4),
        "urgent_accuracy": round(report.urgent_accuracy, 4),
        "kb_top3_relevant": round(report.kb_top3, 4) if report.kb_checked else None,
        "kb_checked": report.kb_checked,
        "messages_per_second": round(report.messages_per_second, 1),
    }


__all__ = ["EvalReport", "as_dict", "evaluate", "format_report"]
