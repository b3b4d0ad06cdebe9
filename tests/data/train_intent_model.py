"""Train the fallback intent and emotion models (``workbench/triage/intent_model.json``) on dev; cross-validate.

Training data: ``triage_dev.jsonl`` (dev + the dev-only extras), ``triage_dev3.jsonl`` and ``triage_dev4.jsonl``
— never a hold-out.
Deterministic: integer counts, sorted keys, so the same data always gives the same bytes.

    .venv/bin/python tests/data/train_intent_model.py          # write the model
    .venv/bin/python tests/data/train_intent_model.py --cv     # k-fold CV (rules alone vs rules + model)
    .venv/bin/python tests/data/train_intent_model.py --cv-emotion   # k-fold CV of the emotion model's thresholds

``--cv`` splits the dev records into k folds (by a hash of the id), trains on k-1 folds, and runs the real engine
on the held-out fold with that fold's model, for a grid of (model_below_score, model_min_posterior); it prints
intent accuracy per setting, so the thresholds in ``workbench/triage/triage.toml`` are chosen on dev only.
``--cv-emotion`` does the same for the emotion model ([emotion] model_angry_at / model_anxious_at).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from workbench.triage import intent_model, rules as rules_mod  # noqa: E402
from workbench.triage.engine import triage  # noqa: E402

DEV_FILES = ("triage_dev.jsonl", "triage_dev3.jsonl", "triage_dev4.jsonl")
OUT = ROOT / "workbench" / "triage" / "intent_model.json"
ALPHA = 0.3  # by 5-fold CV on all dev (dev 4): 0.3 beat 0.1, 0.5 and 1.0 with trigram features
MIN_COUNT = 2  # a feature seen once is mostly noise, and dropping it halves the file


def dev_records() -> list[dict]:
    return [json.loads(line) for name in DEV_FILES for line in (HERE / name).read_text("utf-8").splitlines() if line]


def build(records: list[dict]) -> dict:
    """Both fallback models, same features and smoothing: ``intent`` (14 classes), ``emotion`` (calm/anxious/angry)."""
    return {"models": {label: intent_model.train(records, label, ALPHA, MIN_COUNT) for label in ("intent", "emotion")}}


def fold_of(record_id: str, k: int) -> int:
    return hashlib.sha256(record_id.encode()).digest()[0] % k


def cross_validate(records: list[dict], k: int) -> None:
    rules = rules_mod.load()
    saved = (rules.model_below_score, rules.model_min_posterior)
    rules.model_min_posterior = 1.1  # rules alone first
    rows = []  # (record, rules intent, rules best score, model label, posterior)
    for fold in range(k):
        train = [r for r in records if fold_of(r["id"], k) != fold]
        model = intent_model.NaiveBayes.from_counts(build(train)["models"]["intent"])
        for record in (r for r in records if fold_of(r["id"], k) == fold):
            result = triage(record["text"])
            score = result.scores[0][1] if result.intent != "other" else 0.0
            rows.append((record, result.intent, score, *model.best(record["text"]), dict(result.scores)))
    rules.model_below_score, rules.model_min_posterior = saved

    def accuracy(below: float, threshold: float, subset: str = "") -> tuple[int, int]:
        ok = n = 0
        for record, intent, score, label, post, scored in rows:
            if subset and not record["id"].startswith(subset):
                continue
            if score < below and post >= threshold and (intent == "other" or label not in scored):
                intent = label
            ok += intent == record["intent"]
            n += 1
        return ok, n

    for name, subset in (("all dev", ""), ("dev3 only", "d3-"), ("dev4 only", "d4-")):
        ok, n = accuracy(0, 1.1, subset)
        print(f"{name}: rules alone {ok}/{n} = {ok / n:.1%}; model alone "
              f"{sum(r[3] == r[0]['intent'] for r in rows if r[0]['id'].startswith(subset))}/{n}")
    print("below_score  min_posterior   all dev        dev3 only      dev4 only")
    for below in (0.01, 2.5, 3.0, 4.0, 5.0):
        for threshold in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98):
            a, n = accuracy(below, threshold)
            b, m = accuracy(below, threshold, "d3-")
            c, o = accuracy(below, threshold, "d4-")
            print(f"{below:>11} {threshold:>14}   {a}/{n} {a / n:.1%}   {b}/{m} {b / m:.1%}   {c}/{o} {c / o:.1%}")
    print(f"configured ({saved[0]}, {saved[1]}):", accuracy(*saved), accuracy(*saved, "d3-"))


def cross_validate_emotion(records: list[dict], k: int) -> None:
    """Threshold for raising calm/anxious → angry (and calm → anxious) with the emotion model, by k-fold CV.

    The rules are fixed; per fold the emotion model is retrained on the other folds and its posteriors kept, then a
    grid of (model_angry_at, model_anxious_at) is scored: angry recall/precision, emotion accuracy, urgent accuracy.
    Pick the angry threshold with the best recall whose precision stays ≥ 90 %."""
    rules = rules_mod.load()
    saved = (rules.model_angry_at, rules.model_anxious_at)
    rules.model_angry_at = rules.model_anxious_at = 1.1  # the lexicon's emotion first
    rows = []  # (record, rules emotion, rules urgent flags (non-emotion), posterior dict)
    for fold in range(k):
        train = [r for r in records if fold_of(r["id"], k) != fold]
        model = intent_model.NaiveBayes.from_counts(build(train)["models"]["emotion"])
        for record in (r for r in records if fold_of(r["id"], k) == fold):
            result = triage(record["text"])
            flagged = any(c.kind in rules_mod.URGENT_KINDS for c in result.cues)
            rows.append((record, result.emotion, flagged, model.posterior(record["text"])))
    rules.model_angry_at, rules.model_anxious_at = saved

    def score(angry_at: float, anxious_at: float, subset: str = "") -> dict:
        tp = fp = fn = ok = urgent_ok = n = 0
        for record, emotion, flagged, post in rows:
            if subset and not record["id"].startswith(subset):
                continue
            if emotion != "angry" and post["angry"] >= angry_at:
                emotion = "angry"
            elif emotion == "calm" and post["anxious"] >= anxious_at:
                emotion = "anxious"
            gold = record["emotion"]
            tp += gold == "angry" and emotion == "angry"
            fp += gold != "angry" and emotion == "angry"
            fn += gold == "angry" and emotion != "angry"
            ok += gold == emotion
            urgent_ok += record["urgent"] == (emotion == "angry" or flagged)
            n += 1
        return {"tp": tp, "fp": fp, "fn": fn, "ok": ok, "urgent_ok": urgent_ok, "n": n}

    def line(label: str, s: dict) -> str:
        recall = s["tp"] / max(s["tp"] + s["fn"], 1)
        precision = s["tp"] / max(s["tp"] + s["fp"], 1)
        return (f"{label:<16} angry recall {s['tp']}/{s['tp'] + s['fn']} {recall:.1%}  precision "
                f"{s['tp']}/{s['tp'] + s['fp']} {precision:.1%}  emotion {s['ok']}/{s['n']} {s['ok'] / s['n']:.1%}  "
                f"urgent {s['urgent_ok']}/{s['n']} {s['urgent_ok'] / s['n']:.1%}")

    for name, subset in (("all dev", ""), ("dev3 only", "d3-"), ("dev4 only", "d4-")):
        print(line(f"{name} rules", score(1.1, 1.1, subset)))
    print("model_angry_at (anxious off), all dev:")
    for angry_at in (0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9999):
        print(line(f"  {angry_at}", score(angry_at, 1.1)) + "   | dev4: " + line("", score(angry_at, 1.1, "d4-")))
    print("configured angry_at + model_anxious_at, all dev:")
    for anxious_at in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.1):
        print(line(f"  {saved[0]} / {anxious_at}", score(saved[0], anxious_at)))
    for name, subset in (("all dev", ""), ("dev3 only", "d3-"), ("dev4 only", "d4-")):
        print(line(f"{name} configured", score(*saved, subset)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true", help="k-fold cross-validation instead of writing the model")
    parser.add_argument("--cv-emotion", action="store_true", help="k-fold CV of the emotion model's thresholds")
    parser.add_argument("-k", type=int, default=5)
    args = parser.parse_args()
    records = dev_records()
    if args.cv or args.cv_emotion:
        (cross_validate_emotion if args.cv_emotion else cross_validate)(records, args.k)
        return
    text = json.dumps(build(records), ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
    OUT.write_text(text, "utf-8")
    print(f"{OUT.relative_to(ROOT)}: {len(records)} records, {len(text.encode()) // 1024} KB")


if __name__ == "__main__":
    main()
