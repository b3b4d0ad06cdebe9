"""Shared helpers for the benchmarks: the large dataset, percentiles and a plain table printer."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


def large_db() -> Path:
    """The large demo cache (generated once, reused; delete bench/out/large.db to rebuild)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "large.db"
    if not path.exists():
        print(f"generating the large dataset into {path} (a few minutes)…", flush=True)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "workbench", "demo-data", "--scale", "large", "--out", str(path)],
                       check=True, cwd=ROOT)
        print(f"  done in {time.perf_counter() - started:.0f} s, {path.stat().st_size / 2**20:.0f} MiB", flush=True)
    return path


def compile_packages() -> None:
    """Write our packages' bytecode first, as an installed wheel has it (see the Makefile's bytecode)."""
    import compileall

    for package in ("workbench", "screens", "widgets", "adapters", "playbooks"):
        compileall.compile_dir(str(ROOT / package), quiet=1)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(p / 100 * (len(ordered) - 1)))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values)


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)))


def env_for_bench() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TERM", "xterm-256color")
    env["WORKBENCH_CONFIG_DIR"] = str(OUT / "config")
    env["WORKBENCH_CACHE_DIR"] = str(OUT / "cache")
    return env
