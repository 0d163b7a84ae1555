"""Accuracy measurements behind the engine's documented parameters.

    python bench/accuracy.py [near-dup] [collapse] [label-noise] [false-alarms] [datasketch]

- near-dup: word-shingle Jaccard of English paragraphs (Python's own docstrings) vs. copies with
  1-15% of the words replaced, for shingle sizes 1-5 and thresholds 0.3-0.8 (the table in
  standard/minhash.py), plus end-to-end recall/precision of near_duplicate_clusters.
- collapse: risk score and level along held-out generation chains (text and tables, alone and against
  a reference; see bench/build_collapse_bank.py), with Spearman of score vs generation; goals: >= 0.9
  alone, >= 0.95 with a reference, the level never drops and rises on >= 80% of chains.
- label-noise: recall/precision of confident learning on bundled scikit-learn tables with 5% of
  labels flipped.
- false-alarms: warnings/errors raised on clean bundled scikit-learn and statsmodels tables and on
  clean held-out text (docstring paragraphs) (should be none).
- datasketch: speed of our vectorised MinHash vs. datasketch's MinHash + MinHashLSH (if installed).
"""

from __future__ import annotations

import importlib
import itertools
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from validations.engine.runner import run_validation  # noqa: E402
from validations.engine.standard import minhash  # noqa: E402

EDIT_SHARES = (0.01, 0.03, 0.05, 0.08, 0.10, 0.12, 0.15)


def docstring_paragraphs(min_words: int = 30, limit: int = 5000) -> list[str]:
    """Real English prose available offline: paragraphs of the standard library's docstrings."""
    found: list[str] = []
    seen: set[str] = set()
    for name in sorted(sys.stdlib_module_names):
        if name.startswith("_") or name in ("antigravity", "this", "idlelib", "tkinter", "turtledemo"):
            continue
        try:
            module = importlib.import_module(name)
        except Exception:  # noqa: BLE001 - platform-specific modules simply do not count
            continue
        for obj in [module] + [getattr(module, a, None) for a in dir(module) if not a.startswith("_")]:
            doc = getattr(obj, "__doc__", None)
            if not isinstance(doc, str):
                continue
            for paragraph in re.split(r"\n\s*\n", doc):
                text = " ".join(paragraph.split())
                if len(text.split()) >= min_words and text not in seen:
                    seen.add(text)
                    found.append(text)
        if len(found) >= limit:
            break
    return found


def edit(text: str, share: float, rng: np.random.Generator, vocab: list[str]) -> str:
    words = text.split()
    for i in rng.choice(len(words), size=max(1, round(share * len(words))), replace=False):
        words[i] = vocab[rng.integers(len(vocab))]
    return " ".join(words)


def near_dup(docs: list[str]) -> None:
    rng = np.random.default_rng(1)
    vocab = sorted({w for d in docs for w in d.split()})
    for k in (1, 2, 3, 4, 5):
        table: dict[str, int] = {}
        base = [set(minhash.shingle_hashes(d, table, k).tolist()) for d in docs]
        recall = {}
        for share in EDIT_SHARES:
            scores = []
            for i, doc in enumerate(docs):
                edited = set(minhash.shingle_hashes(edit(doc, share, rng, vocab), table, k).tolist())
                scores.append(len(base[i] & edited) / len(base[i] | edited))
            recall[share] = np.array(scores)
        distinct = np.array([len(a & b) / len(a | b) for a, b in itertools.combinations(base[:800], 2)])
        for threshold in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            cells = " ".join(f"{int(s * 100)}%:{(r >= threshold).mean():.2f}" for s, r in recall.items())
            print(
                f"k={k} t={threshold}: recall {cells} | distinct pairs >= t: "
                f"{int((distinct >= threshold).sum())}/{len(distinct)}"
            )
    # End to end: every document once plus one edited copy of the first 300 at a random share.
    copies = [edit(d, float(rng.choice(EDIT_SHARES)), rng, vocab) for d in docs[:300]]
    clusters, _ = minhash.near_duplicate_clusters(docs + copies)
    linked = {(c[0], m) for c in clusters for m in c[1:]}
    hits = sum(1 for i in range(300) if any(len(docs) + i in c and i in c for c in clusters))
    print(f"end to end: {hits}/300 edited copies found; {len(linked)} links in {len(clusters)} clusters")


def _held_out_chain(job: tuple[str, str, int]) -> dict:
    """Scores along one held-out chain, alone and against the source's reference half."""
    from bench.build_collapse_bank import (
        GENERATIONS,
        TABLE_CHAINS,
        TEXT_CHAINS,
        chain_generations,
        halves,
        table_source,
        text_source,
    )
    from validations.engine.prediction.baselines import single_threaded
    from validations.engine.standard import collapse as collapse_check

    kind, source, index = job
    config = (TEXT_CHAINS if kind == "text" else TABLE_CHAINS)[index]
    start, reference = halves(text_source(source) if kind == "text" else table_source(source))
    evidence_of = collapse_check.text_evidence if kind == "text" else collapse_check.table_evidence
    points, cached = [], None
    with single_threaded():
        for number, generation in chain_generations(kind, start, config, GENERATIONS, seed=7919 + 31 * index):
            evidence = evidence_of(generation, reference, cached)  # the indicators are the same alone
            cached = evidence["reference"]
            against = collapse_check.risk_payload(**evidence)["risk"]
            alone_evidence = {**evidence, "variant": kind, "reference": None, "shared": {}}
            alone = collapse_check.risk_payload(**alone_evidence)["risk"]
            points.append((number, alone["score"], alone["level"], against["score"], against["level"]))
    label = " ".join(f"{k}={v}" for k, v in config.items() if v is not None)
    return {"kind": kind, "source": source, "label": label, "points": points}


LEVEL_RANK = {"low": 0, "medium": 1, "high": 2}


def _summary(chains: list[dict], which: int) -> str:
    """Mean and min per-chain Spearman, pooled Spearman, level never drops / rises (share of chains)."""
    from scipy.stats import spearmanr

    rhos, drops, rises, gens, scores = [], 0, 0, [], []
    for chain in chains:
        g = [p[0] for p in chain["points"]]
        s = [p[which] for p in chain["points"]]
        levels = [LEVEL_RANK[p[which + 1]] for p in chain["points"]]
        rho = spearmanr(g, s).statistic
        rhos.append(float(rho) if np.isfinite(rho) else 0.0)
        drops += int(any(b < a for a, b in itertools.pairwise(levels)))
        rises += int(levels[-1] > levels[0])
        gens += g
        scores += s
    pooled = spearmanr(gens, scores).statistic
    return (
        f"Spearman per chain mean {np.mean(rhos):.3f} (min {np.min(rhos):.3f}), pooled {pooled:.3f}; "
        f"level never drops on {len(chains) - drops}/{len(chains)} chains, rises on {rises}/{len(chains)}"
    )


def collapse() -> None:
    """Collapse risk along HELD-OUT chains (sources never in the calibration bank; same chain recipes as
    bench/build_collapse_bank.py): per chain the scores and levels by generation, alone and against a
    reference (the other half of the human source), then Spearman and level summaries."""
    from multiprocessing import get_context

    from bench.build_collapse_bank import HELD_OUT_TABLES, HELD_OUT_TEXT, TABLE_CHAINS, TEXT_CHAINS

    jobs = [("text", s, i) for s in HELD_OUT_TEXT for i in range(len(TEXT_CHAINS))]
    jobs += [("table", s, i) for s in HELD_OUT_TABLES for i in range(len(TABLE_CHAINS))]
    with get_context("spawn").Pool(2) as pool:
        chains = []
        for chain in pool.imap(_held_out_chain, jobs):  # printed as they finish
            chains.append(chain)
            _print_chain(chain)
    for kind in ("text", "table"):
        subset = [c for c in chains if c["kind"] == kind]
        print(f"{kind} alone: {_summary(subset, 1)}")
        print(f"{kind} with reference: {_summary(subset, 3)}")


def _print_chain(chain: dict) -> None:
    from scipy.stats import spearmanr

    g = [p[0] for p in chain["points"]]
    rho_alone = spearmanr(g, [p[1] for p in chain["points"]]).statistic
    rho_ref = spearmanr(g, [p[3] for p in chain["points"]]).statistic
    alone = " ".join(f"{p[1]:.2f}{p[2][0]}" for p in chain["points"])
    against = " ".join(f"{p[3]:.2f}{p[4][0]}" for p in chain["points"])
    print(
        f"{chain['kind']:5} {chain['source']:12} {chain['label']:45} alone [{alone}] rho {rho_alone:.2f} | "
        f"vs reference [{against}] rho {rho_ref:.2f}",
        flush=True,
    )


def _bundled(name: str) -> pl.DataFrame:
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")()
    columns = {str(f): bunch.data[:, i] for i, f in enumerate(bunch.feature_names)}
    return pl.DataFrame({**columns, "target": bunch.target})


def label_noise() -> None:
    rng = np.random.default_rng(0)
    for name in ("iris", "wine", "breast_cancer", "digits"):
        frame = _bundled(name)
        labels = frame["target"].to_numpy().copy()
        flipped = rng.choice(len(labels), size=round(0.05 * len(labels)), replace=False)
        classes = np.unique(labels)
        for i in flipped:
            labels[i] = rng.choice(classes[classes != labels[i]])
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "d.csv"
            frame.with_columns(pl.Series("target", labels)).write_csv(path)
            found = set(run_validation(path, tier="standard", target="target")["checks"]["label_noise"]["rows"])
        true = set(flipped.tolist())
        print(
            f"{name}: recall {len(found & true) / len(true):.2f} "
            f"precision {len(found & true) / max(1, len(found)):.2f} ({len(found)} flagged)"
        )


def false_alarms() -> None:
    """Warnings/errors on clean real files: bundled tables (scikit-learn; statsmodels' held-out ones if
    installed) and held-out human text (one CSV of docstring paragraphs per source)."""
    from bench.build_collapse_bank import HELD_OUT_TEXT, text_source

    files: list[tuple[str, pl.DataFrame, str | None]] = [
        (name, _bundled(name), "target") for name in ("iris", "wine", "breast_cancer", "diabetes", "digits")
    ]
    try:
        from bench.real_data import LOADERS

        files += [(name, *LOADERS[name]()) for name in ("fair", "randhie", "anes96")]
    except ImportError:
        print("statsmodels not installed: its tables are skipped (pip install -r requirements-bench.txt)")
    files += [(f"text:{source}", pl.DataFrame({"text": text_source(source)}), None) for source in HELD_OUT_TEXT]
    for name, frame, target in files:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "d.csv"
            frame.write_csv(path)
            report = run_validation(path, tier="standard", target=target)
        loud = [f"{i['severity']}:{i['check']}" for i in report["issues"] if i["severity"] != "info"]
        risk = report["collapse_risk"]
        print(
            f"{name}: score {report['quality_score']} collapse {risk['score']:.2f} {risk['level']} "
            f"false alarms {len(loud)} {loud or ''}"
        )


def datasketch_speed(docs: list[str]) -> None:
    try:
        from datasketch import MinHash, MinHashLSH
    except ImportError:
        print("datasketch not installed (pip install -r requirements-bench.txt)")
        return
    texts = (docs * (20_000 // len(docs) + 1))[:20_000]
    started = time.perf_counter()
    minhash.near_duplicate_clusters(texts)
    ours = time.perf_counter() - started
    started = time.perf_counter()
    lsh = MinHashLSH(threshold=minhash.THRESHOLD, num_perm=128)
    for i, text in enumerate(texts):
        words = minhash.words(text)
        sig = MinHash(num_perm=128)
        sig.update_batch([" ".join(words[j : j + 2]).encode() for j in range(len(words) - 1)])
        lsh.query(sig)
        lsh.insert(str(i), sig)
    theirs = time.perf_counter() - started
    print(
        f"20,000 texts: ours {ours:.1f}s (incl. verification and clusters); "
        f"datasketch MinHash+LSH {theirs:.1f}s (signatures and queries only)"
    )


def main() -> None:
    wanted = set(sys.argv[1:]) or {"near-dup", "collapse", "label-noise", "false-alarms", "datasketch"}
    docs = docstring_paragraphs()
    print(f"{len(docs)} docstring paragraphs")
    if "near-dup" in wanted:
        near_dup(docs)
    if "collapse" in wanted:
        collapse()
    if "label-noise" in wanted:
        label_noise()
    if "false-alarms" in wanted:
        false_alarms()
    if "datasketch" in wanted:
        datasketch_speed(docs)


if __name__ == "__main__":
    main()
