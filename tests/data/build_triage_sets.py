"""Build tests/data/triage_dev.jsonl and triage_holdout.jsonl from the labelled sources.

Sources: ``triage_zh_source.txt`` (hand-written Chinese/mixed messages) and the Bitext English sample in
``../shared/data/intents/en/`` mapped through ``bitext_intent_map.toml``. About a quarter of the records go
to the hold-out, chosen by a hash of the record id (stable, not by looking at results). The rules in
``workbench/triage/rules_*.toml`` were tuned on the dev file only.

Run from the repository root:  .venv/bin/python tests/data/build_triage_sets.py
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
BITEXT = HERE.parents[2] / "shared" / "data" / "intents" / "en" / "bitext_customer_support_20k_sample_stratified.csv"
EMOTIONS = {"c": "calm", "x": "anxious", "a": "angry"}
SEED = 20261123


def chinese_records() -> list[dict]:
    records, intent = [], None
    for number, line in enumerate((HERE / "triage_zh_source.txt").read_text("utf-8").splitlines(), 1):
        if line.startswith("## "):
            intent = line[3:].strip()
            continue
        if not line.strip() or line.startswith("#"):
            continue
        emotion, urgent, text = line.split(" ", 2)
        records.append({
            "id": f"zh-{len(records) + 1:04d}",
            "text": text.replace("\\n", "\n"),
            "intent": intent,
            "emotion": EMOTIONS[emotion],
            "urgent": urgent == "1",
            "kb_intent": None if intent == "other" else intent,
            "lang": "zh",
            "source": f"triage_zh_source.txt:{number}",
        })
    return records


def bitext_records() -> list[dict]:
    mapping = tomllib.loads((HERE / "bitext_intent_map.toml").read_text("utf-8"))["map"]
    rows = list(csv.DictReader(BITEXT.open(encoding="utf-8")))
    rng = random.Random(SEED)
    out = []
    for bitext_intent, spec in mapping.items():
        candidates = [(i, r) for i, r in enumerate(rows) if r["intent"] == bitext_intent]
        for index, row in sorted(rng.sample(candidates, spec["take"]), key=lambda p: p[0]):
            angry = "W" in row["flags"]
            intent = spec["intent"]
            out.append({
                "id": f"en-bitext-{index:04d}",
                "text": row["utterance"],
                "intent": intent,
                "emotion": "angry" if angry else "calm",
                "urgent": angry or intent == "complaint",
                "kb_intent": None if intent == "other" else intent,
                "lang": "en",
                "source": f"bitext:{bitext_intent}:row{index + 2}",
            })
    return out


def is_holdout(record_id: str) -> bool:
    return hashlib.sha256(record_id.encode()).digest()[0] % 4 == 0


def main() -> None:
    records = chinese_records() + bitext_records()
    dev = [r for r in records if not is_holdout(r["id"])]
    hold = [r for r in records if is_holdout(r["id"])]
    for name, subset in (("triage_dev.jsonl", dev), ("triage_holdout.jsonl", hold)):
        with (HERE / name).open("w", encoding="utf-8") as fh:
            for record in subset:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"dev {len(dev)}  holdout {len(hold)}  total {len(records)}")


if __name__ == "__main__":
    main()
