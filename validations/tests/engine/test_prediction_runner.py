"""The comprehensive tier: cascade, early stop, report shape, CLI; and the bench scripts' smoke runs."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from validations.engine.cli import run_cli
from validations.tests.engine.helpers import validate

ROOT = Path(__file__).resolve().parents[3]


def _write(tmp_path: Path, frame: pl.DataFrame, name: str = "d.csv") -> Path:
    path = tmp_path / name
    frame.write_csv(path)
    return path


def _separable(rows: int = 150, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, rows)
    return pl.DataFrame(
        {
            "a": rng.normal(size=rows) + 2 * y,
            "b": rng.normal(size=rows),
            "kind": rng.choice(["x", "y", "z"], rows),
            "y": y,
        }
    )


def test_comprehensive_run_gives_a_schema_valid_report_with_a_prediction(tmp_path: Path) -> None:
    stages: list[str] = []
    report = validate(
        _write(tmp_path, _separable()),
        tier="comprehensive",
        target="y",
        progress=lambda stage, percent: stages.append(stage),
    )
    assert report["tier"] == "comprehensive" and report["schema_version"] == 1
    prediction = report["prediction"]
    assert report["prediction_reason"] is None
    assert prediction["metric"] == "accuracy" and prediction["confidence"] == 0.9
    assert prediction["model"] == "HistGradientBoostingClassifier(random_state=0)"
    low, high = prediction["interval"]
    assert 0 <= low <= prediction["expected"] <= high <= 1
    assert len(prediction["learning_curve"]) >= 5
    assert all({"n", "score"} <= set(point) for point in prediction["learning_curve"])
    assert [e["n"] for e in prediction["extrapolations"]] == [150, 300, 1500]
    noise = report["checks"]["label_noise"]
    assert {"estimated_fraction", "interval", "rows", "confused_pairs"} <= set(noise)
    assert "prediction" not in report["checks"] and "prediction" in report["timings"]
    assert {"label_noise", "prediction", "done"} <= set(stages)
    json.dumps(report, allow_nan=False)


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("label", "constant"),
        ("nope", "not in the file"),
        (None, "No target"),
    ],
)
def test_cascade_stops_early_on_fatal_findings(tmp_path: Path, target: str | None, reason: str) -> None:
    frame = _separable().with_columns(pl.lit("same").alias("label"))
    began = time.perf_counter()
    report = validate(_write(tmp_path, frame), tier="comprehensive", target=target)
    assert report["prediction"] is None and reason in report["prediction_reason"]
    assert report["timings"]["prediction"] < 0.5 and time.perf_counter() - began < 20
    assert "checks" in report and "label_noise" in report["checks"]


def test_too_few_rows_per_class_gives_no_prediction(tmp_path: Path) -> None:
    frame = _separable(120).with_columns(
        pl.when(pl.int_range(pl.len()) < 3).then(pl.lit(2)).otherwise(pl.col("y")).alias("y")
    )
    report = validate(_write(tmp_path, frame), tier="comprehensive", target="y")
    assert report["prediction"] is None and "Too few rows per class" in report["prediction_reason"]


def test_cli_accepts_the_comprehensive_tier(tmp_path: Path) -> None:
    out = io.StringIO()
    path = _write(tmp_path, _separable(100))
    assert run_cli([str(path), "--tier", "comprehensive", "--target", "y"], out) == 0
    report = json.loads(out.getvalue())
    assert report["tier"] == "comprehensive" and report["prediction"]["metric"] == "accuracy"


@pytest.mark.slow
@pytest.mark.parametrize("script", ["bench/build_curve_bank.py", "bench/prediction.py"])
def test_bench_script_smoke_run(script: str) -> None:
    began = time.perf_counter()
    done = subprocess.run([sys.executable, script, "--smoke"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert time.perf_counter() - began < 60
    assert "curves in" in done.stdout or "coverage" in done.stdout
