"""Build the collapse calibration bank and fit the collapse-risk model (collapse_calibration.json).

    python bench/build_collapse_bank.py             # full bank (needs statsmodels; ~15 min on 2 busy cores)
    python bench/build_collapse_bank.py --fit-only  # refit from the committed bench/collapse_bank.jsonl
    python bench/build_collapse_bank.py --tables-only  # rebuild the table lines (one process), keep the text lines
    python bench/build_collapse_bank.py --smoke     # tiny input (one text and one table chain), writes nothing

Everything is offline. Human text: paragraphs (>= 30 words) of the docstrings of Python's standard
library and of numpy and scipy (installed with requirements.txt), read with ``ast`` (no imports).
Tables: scikit-learn's, statsmodels' and plotnine's bundled datasets (bench/real_data.py; all 13
of its real bank tables, none of the held-out ones).
Sources are split once and for all: BANK_* here, HELD_OUT_* only in bench/accuracy.py; the standard
library is split by a CRC32 of the top-level module name.

Each source is split in two halves: the "chain" half is generation 0 and the "reference" half plays
the human reference (so generation 0 against the reference is two samples of human data, as in
use). Generation k+1 is sampled from a model fitted on generation k ("replace"), or on the chain
half plus every generation so far ("accumulate"): text by word n-gram Markov models
(synthetic.markov_generation: order 2-3, temperature 0.8-1.0, with and without top-k/top-p), tables
by Gaussian mixtures or kernel density estimates (synthetic.table_generation: with and without
1%-quantile tail truncation; categorical columns resampled from fitted frequencies). For every
generation the engine's own indicator functions (standard/collapse.py) run alone and against the
reference; one JSON line per generation goes to bench/collapse_bank.jsonl.

The fit (collapse_model.fit_ordinal, one model per variant) uses every bank line; a missing feature
reads as the bank's human data (generation 0); the table model without a reference (WITHIN_CHAIN)
takes its weights from the changes along each chain. Its held-out metrics are leave-one-source-out:
each source's chains scored by a model fitted without that source.
Level cut points per variant: see collapse_model.py (raised above the scores of human data).
"""

from __future__ import annotations

import argparse
import ast
import datetime
import json
import math
import re
import sys
import sysconfig
import time
import zlib
from functools import cache
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from validations.engine.prediction.baselines import single_threaded  # noqa: E402
from validations.engine.standard import collapse, collapse_model  # noqa: E402
from validations.tests.engine.synthetic import markov_generation, table_generation  # noqa: E402

BANK_PATH = Path(__file__).with_name("collapse_bank.jsonl")
GENERATIONS = 5
TEXT_DOCS = 800
MAX_PARAGRAPHS = 1600
TABLE_MAX_ROWS = 1000
BANK_TEXT = ["stdlib-even", "scipy"]
HELD_OUT_TEXT = ["stdlib-odd", "numpy"]
BANK_TABLES = [
    "breast_cancer",
    "wine",
    "iris",
    "diabetes",
    "star98",
    "grunfeld",
    "modechoice",
    "engel",
    "mpg_class",
    "penguins",
    "midwest",
    "txhousing",
    "seals",
]
HELD_OUT_TABLES = ["fair", "anes96", "digits"]
TEXT_CHAINS = [
    {"order": 2, "temperature": 1.0, "regime": "replace"},
    {"order": 2, "temperature": 0.8, "regime": "replace"},
    {"order": 2, "temperature": 1.0, "top_p": 0.9, "regime": "replace"},
    {"order": 3, "temperature": 0.9, "top_k": 10, "regime": "replace"},
    {"order": 2, "temperature": 0.8, "top_p": 0.9, "regime": "accumulate"},
]
TABLE_CHAINS = [
    {"model": "gmm", "truncate": None, "regime": "replace"},
    {"model": "gmm", "truncate": 0.01, "regime": "replace"},
    {"model": "kde", "truncate": 0.01, "regime": "replace"},
    {"model": "gmm", "truncate": 0.01, "regime": "accumulate"},
]
L2 = 2.0
# Variants whose weights are fitted on the changes along each chain (collapse_model.fit_ordinal):
# without a reference a table's indicators differ more between sources than between generations.
WITHIN_CHAIN = {"table"}
MEANING = (
    "how much this looks like recursively degraded data: the expected number of rounds of "
    "'fit a model on the data, sample new data from it' (over K), 0 = like human data"
)


def _docstring_paragraphs(files: list[Path], min_words: int = 30) -> list[str]:
    found: list[str] = []
    seen: set[str] = set()
    for path in files:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for paragraph in re.split(r"\n\s*\n", ast.get_docstring(node) or ""):
                text = " ".join(paragraph.split())
                if len(text.split()) >= min_words and text not in seen:
                    seen.add(text)
                    found.append(text)
    return found


def _python_files(root: Path) -> list[Path]:
    return [p for p in sorted(root.rglob("*.py")) if not any(part.startswith("test") for part in p.parts)]


@cache
def text_source(name: str, max_files: int | None = None) -> list[str]:
    """Paragraphs of one text source, at most MAX_PARAGRAPHS, in a fixed random order (``max_files``:
    read only that many files, for the smoke run)."""
    if name.startswith("stdlib-"):
        lib = Path(sysconfig.get_paths()["stdlib"])
        parity = 0 if name == "stdlib-even" else 1
        skip = {"site-packages", "idlelib", "lib2to3", "tkinter", "turtledemo", "ensurepip", "config-3.11"}
        files = []
        for entry in sorted(lib.iterdir()):
            top = entry.name.removesuffix(".py")
            if top.startswith(("_", "test")) or top in skip or zlib.crc32(top.encode()) % 2 != parity:
                continue
            files += [entry] if entry.suffix == ".py" else _python_files(entry) if entry.is_dir() else []
    else:
        import importlib.util

        spec = importlib.util.find_spec(name)
        files = _python_files(Path(spec.origin).parent)
    paragraphs = _docstring_paragraphs(files[:max_files])
    order = np.random.default_rng(zlib.crc32(name.encode())).permutation(len(paragraphs))
    return [paragraphs[i] for i in order[:MAX_PARAGRAPHS]]


@cache
def table_source(name: str) -> pl.DataFrame:
    from bench.real_data import LOADERS

    frame, _ = LOADERS[name]()
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    return frame[rng.permutation(frame.height)[: 2 * TABLE_MAX_ROWS]]


def halves(items: Any) -> tuple[Any, Any]:
    """(chain half, reference half) of texts or rows, already in random order."""
    middle = len(items) // 2
    return items[:middle], items[middle:]


def chain_generations(
    kind: str, start: Any, config: dict[str, Any], generations: int, seed: int, text_docs: int = TEXT_DOCS
):
    """Yield (generation, data) from 0 (the human start) to ``generations``."""
    current, pool = start, [start]
    yield 0, start
    for number in range(1, generations + 1):
        train = current
        if config["regime"] == "accumulate":
            train = [t for part in pool for t in part] if kind == "text" else pl.concat(pool, how="vertical_relaxed")
        if kind == "text":
            options = {k: config[k] for k in ("order", "temperature", "top_k", "top_p") if k in config}
            current = markov_generation(train, text_docs, seed=seed + number, **options)
        else:
            current = table_generation(
                train, start.height, seed=seed + number, model=config["model"], truncate=config["truncate"]
            )
        pool.append(current)
        yield number, current


def run_chain(job: tuple[str, str, int, int, bool]) -> list[dict[str, Any]]:
    """Bank lines of one chain: indicators alone and against the reference, per generation."""
    kind, source, chain_index, generations, small = job
    config = (TEXT_CHAINS if kind == "text" else TABLE_CHAINS)[chain_index]
    data = text_source(source, 40 if small else None) if kind == "text" else table_source(source)
    if small:
        data = data[:200]
    start, reference = halves(data)
    lines, cached = [], None
    with single_threaded():
        chain = chain_generations(
            kind, start, config, generations, seed=31 * chain_index, text_docs=len(start) if small else TEXT_DOCS
        )
        for number, generation in chain:
            evidence = collapse.text_evidence if kind == "text" else collapse.table_evidence
            against = evidence(generation, reference, cached)
            cached = against["reference"]
            lines.append(
                {
                    "kind": kind,
                    "source": source,
                    "chain": chain_index,
                    "config": config,
                    "generation": number,
                    "alone": against["indicators"],
                    "against_indicators": {**against["indicators"], **against["shared"]},
                    "against_reference": against["reference"],
                }
            )
    return lines


def variant_rows(lines: list[dict[str, Any]], variant: str) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    kind = variant.split("_")[0]
    names = collapse_model.VARIANTS[variant]
    selected = [line for line in lines if line["kind"] == kind]
    rows = []
    for line in selected:
        if variant.endswith("reference"):
            features = collapse_model.model_features(line["against_indicators"], line["against_reference"])
        else:
            features = collapse_model.model_features(line["alone"], None)
        rows.append([features.get(n, np.nan) for n in names])
    return np.array(rows, dtype=float), np.array([line["generation"] for line in selected]), selected


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    value = spearmanr(a, b).statistic
    return float(value) if np.isfinite(value) else 0.0


def chain_metrics(scores: np.ndarray, lines: list[dict], levels: dict[str, float]) -> dict[str, float]:
    """Mean per-chain Spearman, pooled Spearman, and level monotonicity over chains."""
    chains: dict[tuple, list[tuple[int, float]]] = {}
    for score, line in zip(scores, lines, strict=True):
        chains.setdefault((line["source"], line["chain"]), []).append((line["generation"], score))
    rhos, never_drops, rises = [], 0, 0
    for points in chains.values():
        points.sort()
        gens, values = np.array([p[0] for p in points]), np.array([p[1] for p in points])
        rhos.append(spearman(gens, values))
        ranks = np.searchsorted([levels["medium"], levels["high"]], values, side="right")
        never_drops += int(np.all(np.diff(ranks) >= 0))
        rises += int(ranks[-1] > ranks[0])
    return {
        "chain_spearman_mean": round(float(np.mean(rhos)), 4),
        "chain_spearman_min": round(float(np.min(rhos)), 4),
        "pooled_spearman": round(spearman(np.array([line["generation"] for line in lines]), scores), 4),
        "level_never_drops": round(never_drops / len(chains), 4),
        "level_rises": round(rises / len(chains), 4),
        "chains": len(chains),
    }


def scores_with(model: dict[str, Any], matrix: np.ndarray, names: list[str]) -> np.ndarray:
    variant_model = {**model, "features": names}
    return np.array(
        [
            collapse_model.score_of(
                collapse_model.linear_predictor("", dict(zip(names, row, strict=True)), variant_model),
                model["thresholds"],
            )
            for row in matrix
        ]
    )


def cut_points(generation0_scores: np.ndarray) -> dict[str, float]:
    """0.3 / 0.6 (1.5 and 3 of the K = 5 rounds), raised when human data of the bank (generation 0)
    would otherwise read medium or high."""
    medium = max(0.3, math.ceil((float(generation0_scores.max()) + 0.05) * 20) / 20)
    return {"medium": round(medium, 2), "high": round(max(0.6, min(0.95, medium + 0.2)), 2)}


def fit_variant(
    variant: str, matrix: np.ndarray, generations: np.ndarray, chains: np.ndarray, mask: np.ndarray
) -> dict[str, Any]:
    """The variant's model fitted on the bank rows in ``mask``; a missing value reads as the bank's
    human data (generation 0) of those rows."""
    names = collapse_model.VARIANTS[variant]
    signs = [collapse_model.SIGNS[variant][n] for n in names] if variant in collapse_model.SIGNS else None
    human = matrix[mask & (generations == 0)]
    neutral = np.array([np.nanmean(c) if np.isfinite(c).any() else np.nan for c in human.T])
    options = {"chains": chains[mask]} if variant in WITHIN_CHAIN else {}
    return collapse_model.fit_ordinal(matrix[mask], generations[mask], l2=L2, signs=signs, neutral=neutral, **options)


def fit(lines: list[dict[str, Any]]) -> dict[str, Any]:
    models, metrics, levels = {}, {}, {}
    for variant, names in collapse_model.VARIANTS.items():
        matrix, generations, selected = variant_rows(lines, variant)
        if not len(matrix):
            continue
        sources = np.array([line["source"] for line in selected])
        chains = np.array([f"{line['source']}/{line['chain']}" for line in selected])

        model = fit_variant(variant, matrix, generations, chains, np.ones(len(matrix), dtype=bool))
        models[variant] = {"features": names, **model}
        held_out = np.zeros(len(matrix))
        for source in np.unique(sources):
            mask = sources == source
            partial = fit_variant(variant, matrix, generations, chains, ~mask) if len(np.unique(sources)) > 1 else model
            held_out[mask] = scores_with(partial, matrix[mask], names)
        in_sample = scores_with(model, matrix, names)
        levels[variant] = cut_points(np.r_[held_out[generations == 0], in_sample[generations == 0]])
        gen0 = held_out[generations == 0]
        metrics[variant] = {
            **chain_metrics(held_out, selected, levels[variant]),
            "generation0_score_max": round(float(gen0.max()), 4),
            "generation0_above_low": int((gen0 >= levels[variant]["medium"]).sum()),
            "lines": len(matrix),
        }
    return {"models": models, "metrics": metrics, "levels": levels}


def _bank_build(args: argparse.Namespace) -> str:
    """How the bank behind the fit was made (kept from the previous calibration on --fit-only)."""
    today = datetime.date.today().isoformat()
    if args.tables_only:
        return f"table lines rebuilt on {today} (--tables-only); text lines from the previous full run"
    if args.fit_only and collapse_model.CALIBRATION_PATH.exists():
        previous = json.loads(collapse_model.CALIBRATION_PATH.read_text())["provenance"].get("bank_build")
        return previous or "unknown (refit with --fit-only)"
    return f"full run on {today}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true", help="tiny input, prints metrics, writes nothing")
    parser.add_argument("--fit-only", action="store_true", help="refit from the committed bank")
    parser.add_argument("--tables-only", action="store_true", help="rebuild the table lines, keep the text lines")
    args = parser.parse_args()
    began = time.perf_counter()
    if args.fit_only:
        lines = [json.loads(line) for line in BANK_PATH.read_text().splitlines()]
    else:
        if args.smoke:
            jobs = [("text", "stdlib-even", 1, 2, True), ("table", "iris", 1, 2, True)]
        else:
            jobs = [("text", s, i, GENERATIONS, False) for s in BANK_TEXT for i in range(len(TEXT_CHAINS))]
            if args.tables_only:
                kept = [json.loads(line) for line in BANK_PATH.read_text().splitlines()]
                kept = [line for line in kept if line["kind"] == "text"]
                jobs = []
            jobs += [("table", s, i, GENERATIONS, False) for s in BANK_TABLES for i in range(len(TABLE_CHAINS))]
        if args.smoke or args.tables_only:  # single process: the machine is shared
            lines = [line for job in jobs for line in run_chain(job)]
        else:
            with get_context("spawn").Pool(2) as pool:
                lines = [line for chain in pool.imap(run_chain, jobs) for line in chain]
        if args.tables_only:
            lines = kept + lines
    fitted = fit(lines)
    for variant, values in fitted["metrics"].items():
        print(f"{variant}: " + " ".join(f"{k}={v}" for k, v in values.items()))
    print(f"{len(lines)} bank lines in {time.perf_counter() - began:.0f}s")
    if args.smoke:
        return
    if not args.fit_only:
        BANK_PATH.write_text("".join(json.dumps(line, sort_keys=True) + "\n" for line in lines))
    calibration = {
        "meaning": MEANING,
        "levels": fitted["levels"],
        "generations": GENERATIONS,
        "models": fitted["models"],
        "provenance": {
            "script": "bench/build_collapse_bank.py",
            "bank": f"bench/collapse_bank.jsonl ({len(lines)} lines)",
            "inputs": {
                "text": BANK_TEXT,
                "tables": BANK_TABLES,
                "text_chains": TEXT_CHAINS,
                "table_chains": TABLE_CHAINS,
                "generations": GENERATIONS,
                "l2": L2,
                "within_chain": sorted(WITHIN_CHAIN),
            },
            "bank_build": _bank_build(args),
            "date": datetime.date.today().isoformat(),
            "held_out_metrics": "leave-one-source-out over the bank: " + json.dumps(fitted["metrics"]),
        },
    }
    collapse_model.CALIBRATION_PATH.write_text(json.dumps(calibration, indent=1) + "\n")
    print(f"wrote {collapse_model.CALIBRATION_PATH.name}" + ("" if args.fit_only else f" and {BANK_PATH.name}"))


if __name__ == "__main__":
    main()
