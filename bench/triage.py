"""Triage speed: µs per message and messages/s, against a trivial same-run baseline (``str.lower``).

Messages are the labelled Chinese/English set in tests/data (realistic lengths and mess), repeated to
10,000, plus a long-message case (one customer pasting 2,000 characters). Also times the
``workbench triage`` command end to end (stdin JSON lines → stdout), without and with KB suggestions.

Run: .venv/bin/python bench/triage.py [--messages 10000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.triage import triage  # noqa: E402


def messages(n: int) -> list[str]:
    texts = []
    for name in ("triage_dev.jsonl", "triage_holdout.jsonl"):
        for line in (ROOT / "tests" / "data" / name).read_text("utf-8").splitlines():
            texts.append(json.loads(line)["text"])
    return (texts * (n // len(texts) + 1))[:n]


def per_message_us(fn, texts: list[str], rounds: int = 5) -> list[float]:
    """Best-of-rounds is noisy on a shared 2-core box, so every round's mean is kept for the table."""
    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        for text in texts:
            fn(text)
        out.append((time.perf_counter() - started) / len(texts) * 1e6)
    return out


def cli_rate(texts: list[str], extra: list[str]) -> float:
    payload = "\n".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in enumerate(texts)).encode()
    with tempfile.TemporaryDirectory() as tmp:
        env_args = ["--db", str(Path(tmp) / "bench.db")]
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "workbench", "triage", *env_args, *extra], input=payload,
                              capture_output=True, check=False,
                              env={"WORKBENCH_CONFIG_DIR": tmp, "WORKBENCH_DATA_DIR": tmp, "PATH": "/usr/bin:/bin"})
        seconds = time.perf_counter() - started
    lines = done.stdout.count(b"\n")
    if done.returncode != 0 or lines != len(texts):
        raise SystemExit(f"workbench triage failed ({done.returncode}): {done.stderr.decode(errors='replace')[:500]}")
    return len(texts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    texts = messages(args.messages)
    long_texts = ["".join(texts[i: i + 60])[:2000] for i in range(0, 60 * 200, 60)]
    triage(texts[0])  # load and compile the rules once, outside the timings

    rows = []
    for label, sample in (("labelled messages", texts), ("2,000-char messages", long_texts)):
        base = per_message_us(str.lower, sample)
        ours = per_message_us(triage, sample)
        rows.append((label, len(sample), statistics.median(ours), max(ours), statistics.median(base)))
    print(f"{'messages':<22} {'n':>6} {'triage µs/msg p50':>18} {'worst round':>12} {'str.lower µs':>13} "
          f"{'ratio':>8} {'msgs/s':>9}")
    for label, n, p50, worst, base in rows:
        print(f"{label:<22} {n:>6} {p50:>18.1f} {worst:>12.1f} {base:>13.2f} {p50 / base:>7.0f}x {1e6 / p50:>9,.0f}")

    sample = texts[:3000]
    no_kb = cli_rate(sample, ["--no-kb"])
    with_kb = cli_rate(sample, [])
    print(f"\nworkbench triage end to end ({len(sample)} JSON lines, incl. ~0.5 s start-up):")
    print(f"  --no-kb   {no_kb:>8,.0f} messages/s")
    print(f"  with KB   {with_kb:>8,.0f} messages/s (top 3 suggestions per message, built-in KB)")
    print(f"\ntarget < 1000 µs per message: {'met' if max(r[3] for r in rows) < 1000 else 'NOT met'}")


if __name__ == "__main__":
    main()
