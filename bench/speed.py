"""Speed and memory of the engine on generated files.

    python bench/speed.py [--rows 1000000] [--tier quick|standard] [--text]

Writes a synthetic CSV (numeric, categorical and optionally a text column) to a temp dir, runs
the tier, and prints rows/s, MB/s, per-stage timings and peak RSS. With --compare-ydata and
ydata-profiling installed (requirements-bench.txt) it also times ydata's minimal profile.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from validations.engine.runner import run_validation  # noqa: E402


def make_file(path: Path, rows: int, *, text: bool, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    columns = {
        "id": np.arange(rows),
        "x": rng.normal(size=rows),
        "n": rng.integers(0, 1000, rows),
        "cat": rng.choice(["a", "b", "c", "NA"], rows),
        "y": rng.integers(0, 2, rows),
    }
    if text:
        syllables = np.array(["ka", "lo", "mi", "ra", "tu", "ne", "so", "vi", "pe", "da", "ge", "fo"])
        vocab = np.array(["".join(rng.choice(syllables, size=rng.integers(1, 5))) for _ in range(5000)])
        weights = 1 / np.arange(1, 5001)
        words = rng.choice(vocab, size=(rows, 30), p=weights / weights.sum())
        columns["text"] = [" ".join(r) for r in words]
    pl.DataFrame(columns).write_csv(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tier", default="quick", choices=("quick", "standard"))
    parser.add_argument("--text", action="store_true")
    parser.add_argument("--compare-ydata", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        make_file(path, args.rows, text=args.text)
        size_mb = path.stat().st_size / 1e6
        started = time.perf_counter()
        report = run_validation(path, tier=args.tier, target="y")
        seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({
            "rows": args.rows, "file_mb": round(size_mb, 1), "tier": args.tier,
            "seconds": round(seconds, 2), "rows_per_second": round(args.rows / seconds),
            "mb_per_second": round(size_mb / seconds, 1), "peak_rss_mb": round(peak_mb),
            "timings": report["timings"],
        }, indent=2))
        if args.compare_ydata:
            import pandas as pd
            from ydata_profiling import ProfileReport

            started = time.perf_counter()
            ProfileReport(pd.read_csv(path), minimal=True, progress_bar=False).to_json()
            print(json.dumps({"ydata_minimal_seconds": round(time.perf_counter() - started, 2)}))


if __name__ == "__main__":
    main()
