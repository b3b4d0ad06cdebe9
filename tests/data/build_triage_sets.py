"""Build tests/data/triage_dev.jsonl and triage_holdout.jsonl from the labelled sources.

Sources: ``triage_zh_source.txt`` (hand-written Chinese/mixed messages) and the Bitext English sample in
``../shared/data/intents/en/`` mapped through ``bitext_intent_map.toml``. About a quarter of the records go
to the hold-out, chosen by a hash of the record id (stable, not by looking at results). The rules in
``workbench/triage/rules_*.toml`` were tuned on the dev file only.

``triage_zh_dev_extra.txt`` and ``triage_en_dev_extra.txt`` widen the dev file only (written later, without
looking at the hold-out): their records (ids ``zhx-``/``enx-``) are appended to dev and never hashed into the
hold-out, so the hold-out file stays byte-for-byte what it was when it was first built.

``triage_dev3_source.txt`` (2026-12, written without opening either hold-out) becomes its own dev file,
``triage_dev3.jsonl`` (ids ``d3-001``…, language from the text); the dev figures and the intent model
(``train_intent_model.py``) use ``triage_dev.jsonl`` + ``triage_dev3.jsonl`` + ``triage_dev4.jsonl``.

``triage_dev4_source.txt`` (2026-12, after hold-out 3, written without opening any hold-out) becomes
``triage_dev4.jsonl`` the same way (ids ``d4-001``…).

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


def labelled_lines(name: str, prefix: str, lang: str) -> list[dict]:
    """Records from a hand-labelled source file (``## intent`` blocks of ``<emotion> <urgent> <text>``)."""
    records, intent = [], None
    for number, line in enumerate((HERE / name).read_text("utf-8").splitlines(), 1):
        if line.startswith("## "):
            intent = line[3:].strip()
            continue
        if not line.strip() or line.startswith("#"):
            continue
        emotion, urgent, text = line.split(" ", 2)
        if intent is None or emotion not in EMOTIONS or urgent not in ("0", "1"):
            raise SystemExit(f"{name}:{number}: expected '<c|x|a> <0|1> <text>' inside a '## intent' block")
        records.append({
            "id": f"{prefix}-{len(records) + 1:04d}",
            "text": text.replace("\\n", "\n"),
            "intent": intent,
            "emotion": EMOTIONS[emotion],
            "urgent": urgent == "1",
            "kb_intent": None if intent == "other" else intent,
            "lang": lang,
            "source": f"{name}:{number}",
        })
    return records


def chinese_records() -> list[dict]:
    return labelled_lines("triage_zh_source.txt", "zh", "zh")


def dev_extra_records() -> list[dict]:
    """The later dev-only widening; appended to dev after the hash split (never in the hold-out)."""
    return labelled_lines("triage_zh_dev_extra.txt", "zhx", "zh") + labelled_lines("triage_en_dev_extra.txt", "enx", "en")


def dev3_records() -> list[dict]:
    """The third dev-only widening: its own file, ids ``d3-NNN``, ``lang`` from the text (mixed zh/en is zh)."""
    records = labelled_lines("triage_dev3_source.txt", "d3", "zh")
    for number, record in enumerate(records, 1):
        record["id"] = f"d3-{number:03d}"
        record["lang"] = "zh" if any("\u3400" <= ch <= "\u9fff" for ch in record["text"]) else "en"
    return records


def dev4_records() -> list[dict]:
    """The fourth dev-only widening (``triage_dev4_source.txt``): ids ``d4-NNN``, ``lang`` from the text."""
    records = labelled_lines("triage_dev4_source.txt", "d4", "zh")
    for number, record in enumerate(records, 1):
        record["id"] = f"d4-{number:03d}"
        record["lang"] = "zh" if any("\u3400" <= ch <= "\u9fff" for ch in record["text"]) else "en"
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
    dev = [r for r in records if not is_holdout(r["id"])] + dev_extra_records()
    hold = [r for r in records if is_holdout(r["id"])]
    dev3 = dev3_records()
    dev4 = dev4_records()
    ids = [r["id"] for r in dev + hold + dev3 + dev4]
    if len(ids) != len(set(ids)):
        raise SystemExit("duplicate record ids")
    (HERE / "triage_dev3.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in dev3), "utf-8")
    (HERE / "triage_dev4.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in dev4), "utf-8")
    (HERE / "triage_dev.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in dev), "utf-8")
    # The hold-out is frozen: it is written only when missing, and a source edit that would change it
    # (an inserted line renumbers every later id, and so reshuffles the split) is refused, not applied.
    holdout = HERE / "triage_holdout.jsonl"
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in hold)
    if not holdout.exists():
        holdout.write_text(text, "utf-8")
    elif holdout.read_text("utf-8") != text:
        raise SystemExit("triage_holdout.jsonl would change: append new records to a dev-only file instead "
                         "(triage_*_dev_extra.txt); the hold-out must stay as it was first built")
    print(f"dev {len(dev)}  dev3 {len(dev3)}  dev4 {len(dev4)}  holdout {len(hold)}  "
          f"total {len(dev) + len(dev3) + len(dev4) + len(hold)}")


if __name__ == "__main__":
    main()
