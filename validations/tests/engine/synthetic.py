"""Deterministic synthetic data for engine tests: prose-like texts and generation chains."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

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


def next_generation(texts: list[str], count: int, *, seed: int, temperature: float = 0.8,
                    length: int = 60) -> list[str]:
    """Texts sampled from a bigram model fitted on ``texts``, sharpened by ``temperature``."""
    rng = np.random.default_rng(seed)
    transitions: dict[str, Counter] = defaultdict(Counter)
    starts: Counter = Counter()
    for text in texts:
        tokens = text.lower().split()
        starts[tokens[0]] += 1
        for a, b in zip(tokens, tokens[1:], strict=False):
            transitions[a][b] += 1

    def pick(counter: Counter) -> str:
        options = list(counter)
        p = np.array([counter[o] for o in options], dtype=float) ** (1 / temperature)
        return options[rng.choice(len(options), p=p / p.sum())]

    result = []
    for _ in range(count):
        word = pick(starts)
        doc = [word]
        while len(doc) < length and transitions[word]:
            word = pick(transitions[word])
            doc.append(word)
        result.append(" ".join(doc))
    return result
