"""Deterministic synthetic data for engine tests: prose-like texts and generation chains."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import polars as pl

SYLLABLES = ["ka", "lo", "mi", "ra", "tu", "ne", "so", "vi", "pe", "da", "ge", "fo", "zu", "bi"]


def vocabulary(size: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES, size=rng.integers(1, 5))))
    return sorted(words)


def zipf_texts(count: int, *, words: int = 60, vocab_size: int = 3000, seed: int = 0) -> list[str]:
    """Independent texts whose word frequencies follow Zipf's law, like natural prose."""
    rng = np.random.default_rng(seed)
    vocab = vocabulary(vocab_size, seed)
    weights = 1 / np.arange(1, vocab_size + 1)
    weights /= weights.sum()
    texts = []
    for _ in range(count):
        picked = rng.choice(vocab_size, size=words, p=weights)
        texts.append(" ".join(vocab[i] for i in picked).capitalize() + ".")
    return texts


def edit_words(text: str, share: float, seed: int) -> str:
    rng = np.random.default_rng(seed)
    tokens = text.split()
    vocab = vocabulary(500, seed=99)
    for i in rng.choice(len(tokens), size=max(1, round(share * len(tokens))), replace=False):
        tokens[i] = vocab[rng.integers(len(vocab))]
    return " ".join(tokens)


def markov_generation(
    texts: list[str],
    count: int,
    *,
    seed: int,
    order: int = 2,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    max_length: int = 120,
) -> list[str]:
    """Texts sampled from an ``order``-gram Markov model fitted on ``texts`` (word tokens, case kept).

    Decoding like a language model's: counts sharpened by ``temperature`` (1.0 = plain
    resampling), optionally truncated to the ``top_k`` most likely next words or to the smallest
    set holding ``top_p`` of the probability (nucleus). Each text's length is that of a random
    training text (capped at ``max_length``); a context with no continuation ends the text early.
    """
    rng = np.random.default_rng(seed)
    context_size = order - 1
    transitions: dict[tuple[str, ...], Counter] = defaultdict(Counter)
    starts: Counter = Counter()
    lengths = []
    for text in texts:
        tokens = text.split()
        if len(tokens) < order:
            continue
        lengths.append(min(max_length, len(tokens)))
        starts[tuple(tokens[:context_size])] += 1
        for i in range(context_size, len(tokens)):
            transitions[tuple(tokens[i - context_size : i])][tokens[i]] += 1
    tables: dict[tuple[str, ...], tuple[list, np.ndarray]] = {}

    def table(counter: Counter) -> tuple[list, np.ndarray]:
        options = sorted(counter, key=lambda o: -counter[o])
        p = np.array([counter[o] for o in options], dtype=float) ** (1 / temperature)
        p /= p.sum()
        keep = len(options)
        if top_k:
            keep = min(keep, top_k)
        if top_p is not None:
            keep = min(keep, int(np.searchsorted(np.cumsum(p), top_p)) + 1)
        cumulative = np.cumsum(p[:keep])
        return options[:keep], cumulative / cumulative[-1]

    def pick(key: tuple[str, ...] | None, counter: Counter):
        if key not in tables:
            tables[key] = table(counter)
        options, cumulative = tables[key]
        return options[min(len(options) - 1, int(np.searchsorted(cumulative, rng.random())))]

    result = []
    for _ in range(count):
        length = lengths[rng.integers(len(lengths))]
        doc = list(pick(None, starts))
        while len(doc) < length:
            key = tuple(doc[len(doc) - context_size :])
            if not transitions.get(key):
                break
            doc.append(pick(key, transitions[key]))
        result.append(" ".join(doc))
    return result


def _decimals(values: np.ndarray) -> int:
    """Fewest decimals (0-6) that reproduce every value: generators round to the source's precision."""
    for places in range(7):
        if np.allclose(values, np.round(values, places), rtol=0, atol=1e-9):
            return places
    return 6


def table_generation(
    frame: pl.DataFrame,
    rows: int,
    *,
    seed: int,
    model: str = "gmm",
    truncate: float | None = None,
    max_categories: int = 10,
) -> pl.DataFrame:
    """A table sampled from a model fitted on ``frame``, like a tabular synthesizer would make it.

    Numeric columns: a Gaussian mixture (``gmm``) or a Gaussian kernel density estimate (``kde``,
    Scott's bandwidth) fitted on the standardised numbers; values rounded to each column's decimals
    and clipped to its range. ``truncate`` (e.g. 0.01) drops samples outside the fitted data's
    [truncate, 1 - truncate] quantiles of any column (tail truncation). String columns and
    integer columns with at most ``max_categories`` values are resampled from their fitted
    frequencies (rare categories die out by chance; with ``truncate``, categories under 1% are
    dropped).
    """
    from sklearn.mixture import GaussianMixture

    rng = np.random.default_rng(seed)
    categorical, numeric = [], []
    for name, dtype in frame.schema.items():
        column = frame[name]
        if dtype.is_numeric() and not (dtype.is_integer() and column.n_unique() <= max_categories):
            numeric.append(name)
        else:
            categorical.append(name)
    out: dict[str, np.ndarray | list] = {}
    if numeric:
        data = frame.select(numeric).cast(pl.Float64).to_numpy()
        data = np.where(np.isfinite(data), data, np.nanmedian(data, 0))
        mean, std = data.mean(0), data.std(0)
        std[std == 0] = 1
        z = (data - mean) / std
        low, high = np.quantile(z, [truncate or 0.0, 1 - (truncate or 0.0)], axis=0)
        draws = np.empty((0, z.shape[1]))
        for _attempt in range(20):  # truncation of many spiky columns can reject almost every draw
            if len(draws) >= rows:
                break
            if model == "gmm":
                components = max(1, min(5, len(z) // 50))
                fitted = GaussianMixture(components, covariance_type="full", reg_covar=1e-4, random_state=seed)
                batch = fitted.fit(z).sample(2 * rows)[0]
            else:
                bandwidth = len(z) ** (-1 / (z.shape[1] + 4))
                noise = rng.multivariate_normal(
                    np.zeros(z.shape[1]),
                    np.cov(z.T, ddof=1).reshape(z.shape[1], -1) * bandwidth**2,
                    size=2 * rows,
                    method="svd",
                )
                batch = z[rng.integers(len(z), size=2 * rows)] + noise
            raw = batch
            if truncate:
                spread = high > low  # a column that is one value at both quantiles cannot be truncated
                batch = batch[((batch[:, spread] >= low[spread]) & (batch[:, spread] <= high[spread])).all(1)]
            draws = np.vstack([draws, batch[rng.permutation(len(batch))]])
            seed += 1000
        if len(draws) < rows:
            # Too few draws survived (a high-dimensional table whose columns heap on their ends): top
            # up with the last batch clipped to the bounds. Repeating the survivors instead made a
            # generation of a few rows copied over and over (30 distinct rows of 500 on digits).
            draws = np.vstack([draws, np.clip(raw[: rows - len(draws)], low, high)])
        values = np.clip(draws[:rows] * std + mean, data.min(0), data.max(0))
        for i, name in enumerate(numeric):
            column = np.round(values[:, i], _decimals(data[:, i]))
            out[name] = column.astype(np.int64) if frame.schema[name].is_integer() else column
    for name in categorical:
        counts = frame[name].value_counts(sort=True)
        labels, weights = counts[name].to_list(), counts["count"].to_numpy().astype(float)
        if truncate and (weights >= 0.01 * weights.sum()).any():
            keep = weights >= 0.01 * weights.sum()
            labels, weights = [v for v, k in zip(labels, keep, strict=True) if k], weights[keep]
        picked = rng.choice(len(labels), size=rows, p=weights / weights.sum())
        out[name] = [labels[i] for i in picked]
    return pl.DataFrame({name: out[name] for name in frame.columns}, schema=frame.schema)
