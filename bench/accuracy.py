"""Accuracy measurements behind the engine's documented parameters.

    python bench/accuracy.py [near-dup] [collapse] [label-noise] [false-alarms] [datasketch]

- near-dup: word-shingle Jaccard of English paragraphs (Python's own docstrings) vs. copies with
  1-15% of the words replaced, for shingle sizes 1-5 and thresholds 0.3-0.8 (the table in
  standard/minhash.py), plus end-to-end recall/precision of near_duplicate_clusters.
- collapse: indicators and risk along a recursively generated chain (bigram model, temperature 0.8).
- label-noise: recall/precision of confident learning on bundled scikit-learn tables with 5% of
  labels flipped.
- false-alarms: warnings/errors raised on clean bundled scikit-learn tables (should be none).
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
from validations.tests.engine.synthetic import next_generation  # noqa: E402

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
            print(f"k={k} t={threshold}: recall {cells} | distinct pairs >= t: "
                  f"{int((distinct >= threshold).sum())}/{len(distinct)}")
    # End to end: every document once plus one edited copy of the first 300 at a random share.
    copies = [edit(d, float(rng.choice(EDIT_SHARES)), rng, vocab) for d in docs[:300]]
    clusters, _ = minhash.near_duplicate_clusters(docs + copies)
    linked = {(c[0], m) for c in clusters for m in c[1:]}
    hits = sum(1 for i in range(300) if any(len(docs) + i in c and i in c for c in clusters))
    print(f"end to end: {hits}/300 edited copies found; {len(linked)} links in {len(clusters)} clusters")


def collapse() -> None:
    """Risk along recursively generated chains: each generation is sampled from a bigram model fitted
    on the previous one. Temperature < 1 sharpens (the usual decoding); 1.0 is plain resampling,
    which loses rare bigrams only through finite sampling."""
    human = docstring_paragraphs()
    for temperature in (0.8, 0.7, 1.0):
        generation = human
        for number in range(6):
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "g.csv"
                pl.DataFrame({"text": generation}).write_csv(path)
                alone = run_validation(path, tier="standard")["collapse_risk"]
                if number:
                    reference = Path(tmp) / "human.csv"
                    pl.DataFrame({"text": human}).write_csv(reference)
                    against = run_validation(path, tier="standard", reference=reference)["collapse_risk"]
                else:
                    against = {"score": 0.0, "level": "-"}
            indicators = alone["indicators"]
            print(f"T={temperature} gen{number}: risk {alone['score']:.3f} {alone['level']:6} "
                  f"vs human {against['score']:.3f} {against['level']:6} "
                  + " ".join(f"{k}={indicators[k]}" for k in ("distinct_2", "mattr", "unigram_entropy",
                                                             "gzip_ratio", "self_similarity", "zipf_exponent")))
            generation = next_generation(generation, 1000, seed=number, temperature=temperature)


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
        print(f"{name}: recall {len(found & true) / len(true):.2f} "
              f"precision {len(found & true) / max(1, len(found)):.2f} ({len(found)} flagged)")


def false_alarms() -> None:
    for name in ("iris", "wine", "breast_cancer", "diabetes", "digits"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "d.csv"
            _bundled(name).write_csv(path)
            report = run_validation(path, tier="standard", target="target")
        loud = [f"{i['severity']}:{i['check']}" for i in report["issues"] if i["severity"] != "info"]
        print(f"{name}: score {report['quality_score']} collapse {report['collapse_risk']['level']} "
              f"warnings/errors {loud or 'none'}")


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
    print(f"20,000 texts: ours {ours:.1f}s (incl. verification and clusters); "
          f"datasketch MinHash+LSH {theirs:.1f}s (signatures and queries only)")


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
