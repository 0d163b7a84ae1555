"""Text diversity and tail indicators on a fixed token budget.

All indicators are computed on the first SAMPLE_TOKENS tokens of a seeded random sample of the
texts, so their values do not depend on the dataset's size (a distinct-n ratio on 1M texts and on
10k texts would otherwise differ for no reason). When the dataset has fewer tokens the payload says
how many were used. The collapse check draws RESAMPLES such samples (different seeds) and reports
the spread of the risk score over them. The near-duplicate rate is measured among the sampled
texts too (MinHash clusters, standard/minhash.py), so it does not grow with the file.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

import numpy as np

SAMPLE_TOKENS = 20_000
SAMPLE_SEED = 17
RESAMPLES = 3
MATTR_WINDOW = 500
MTLD_THRESHOLD = 0.72
ZIPF_MAX_RANK = 1000
SELF_SIMILARITY_DOCS = 300
_TOKEN = re.compile(r"\w+|[^\w\s]")


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).lower())


def visit_order(rows: int, seed: int = SAMPLE_SEED) -> np.ndarray:
    """``np.random.default_rng(seed).permutation(rows)``: the order in which ``sample_documents``
    visits the texts (the collapse check fetches the first ones by position from the file). The
    shuffle's draws do not depend on the dtype, so int32 gives the same order in half the memory."""
    order = np.arange(rows, dtype=np.int32 if rows < 2**31 else np.int64)
    np.random.default_rng(seed).shuffle(order)
    return order


def sample_documents(
    texts: Sequence[str | None], budget: int = SAMPLE_TOKENS, seed: int = SAMPLE_SEED
) -> list[list[str]]:
    """Token lists of randomly ordered texts until ``budget`` tokens (the last one trimmed)."""
    order = visit_order(len(texts), seed)
    documents: list[list[str]] = []
    used = 0
    for index in order:
        text = texts[int(index)]
        if not text or not text.strip():
            continue
        tokens = tokenize(text)[: budget - used]
        if tokens:
            documents.append(tokens)
            used += len(tokens)
        if used >= budget:
            break
    return documents


def distinct_n(documents: list[list[str]], n: int) -> float:
    grams = [tuple(doc[i : i + n]) for doc in documents for i in range(len(doc) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def mattr(tokens: list[str], window: int = MATTR_WINDOW) -> float:
    """Moving-average type-token ratio (Covington & McFall 2010)."""
    if len(tokens) <= window:
        return len(set(tokens)) / max(1, len(tokens))
    counts = Counter(tokens[:window])
    total = len(counts)
    for i in range(window, len(tokens)):
        counts[tokens[i]] += 1
        old = tokens[i - window]
        counts[old] -= 1
        if counts[old] == 0:
            del counts[old]
        total += len(counts)
    return total / (len(tokens) - window + 1) / window


def _mtld_pass(tokens: list[str]) -> float:
    factors, types, count = 0.0, set(), 0
    for token in tokens:
        types.add(token)
        count += 1
        if len(types) / count <= MTLD_THRESHOLD:
            factors += 1
            types, count = set(), 0
    if count:
        ttr = len(types) / count
        factors += (1 - ttr) / (1 - MTLD_THRESHOLD) if ttr < 1 else 0
    return len(tokens) / factors if factors else float(len(tokens))


def mtld(tokens: list[str]) -> float:
    """Measure of textual lexical diversity (McCarthy & Jarvis 2010), both directions averaged."""
    return (_mtld_pass(tokens) + _mtld_pass(tokens[::-1])) / 2 if tokens else 0.0


def zipf_exponent(counts: Counter) -> float:
    freqs = np.array(sorted(counts.values(), reverse=True)[:ZIPF_MAX_RANK], dtype=float)
    if len(freqs) < 10:
        return 0.0
    ranks = np.arange(1, len(freqs) + 1)
    slope, _ = np.polyfit(np.log(ranks), np.log(freqs), 1)
    return float(-slope)


def self_similarity(documents: list[list[str]]) -> float:
    """Mean pairwise cosine similarity of TF-IDF vectors of up to SELF_SIMILARITY_DOCS texts."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [" ".join(d) for d in documents[:SELF_SIMILARITY_DOCS]]
    if len(docs) < 2:
        return 0.0
    try:
        matrix = TfidfVectorizer(token_pattern=r"\S+").fit_transform(docs)
    except ValueError:
        return 0.0
    gram = (matrix @ matrix.T).toarray()
    n = len(docs)
    return float((gram.sum() - np.trace(gram)) / (n * (n - 1)))


def text_indicators(texts: Sequence[str | None], seed: int = SAMPLE_SEED) -> dict[str, float]:
    """The indicators of one sample of SAMPLE_TOKENS tokens (``seed`` picks the sample), including
    the near-duplicate rate among the sampled texts (rows repeating an earlier sampled row)."""
    from validations.engine.standard.minhash import near_duplicate_clusters

    documents = sample_documents(texts, seed=seed)
    tokens = [t for doc in documents for t in doc]
    counts = Counter(tokens)
    total = max(1, len(tokens))
    probabilities = np.array(list(counts.values()), dtype=float) / total
    joined = " ".join(" ".join(doc) for doc in documents).encode()
    return {
        "sample_tokens": len(tokens),
        **{f"distinct_{n}": round(distinct_n(documents, n), 6) for n in (1, 2, 3, 4)},
        "mattr": round(mattr(tokens), 6),
        "mtld": round(mtld(tokens), 3),
        "unigram_entropy": round(float(-(probabilities * np.log2(probabilities)).sum()), 6) if tokens else 0.0,
        "gzip_ratio": round(len(gzip.compress(joined)) / max(1, len(joined)), 6),
        "self_similarity": round(self_similarity(documents), 6),
        "hapax_ratio": round(sum(1 for c in counts.values() if c == 1) / max(1, len(counts)), 6),
        "zipf_exponent": round(zipf_exponent(counts), 6),
        "near_dup_rate": round(_near_dup_rate(documents, near_duplicate_clusters), 6),
    }


def _near_dup_rate(documents: list[list[str]], clusters_of) -> float:
    if len(documents) < 2:
        return 0.0
    clusters, _ = clusters_of([" ".join(doc) for doc in documents])
    return sum(len(c) - 1 for c in clusters) / len(documents)


def text_indicator_resamples(texts: Sequence[str | None]) -> list[dict[str, float]]:
    """text_indicators on RESAMPLES random samples (different seeds; they overlap more the smaller
    the corpus, and are identical when it holds fewer than SAMPLE_TOKENS tokens)."""
    return [text_indicators(texts, seed=SAMPLE_SEED + i) for i in range(RESAMPLES)]
