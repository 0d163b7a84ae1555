"""Speed-ups must not change results: the fused quick scan, the text normaliser's ASCII fast path,
one-permutation MinHash and the batched outlier scores against their plain definitions."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from validations.engine import runner
from validations.engine.checks.duplicates import normalised_text
from validations.engine.runner import run_validation
from validations.engine.standard import minhash, pair_verification, word_hashes
from validations.tests.engine.synthetic import edit_words, zipf_texts


def _awkward_table(path: Path) -> Path:
    """Findings that appear only after the first rows: the sampled dtypes are wrong for some columns."""
    rng = np.random.default_rng(3)
    n = 400
    numbers = rng.normal(size=n).round(3).astype(str).astype(object)
    numbers[300], numbers[310] = "NA", " 4.5 "
    late_words = rng.integers(0, 100, n).astype(str).astype(object)
    late_words[250:] = "word"
    late_mixed = np.array(["w"] * n, dtype=object)
    late_mixed[150:] = rng.integers(0, 9, n - 150).astype(str)
    sentinel = rng.integers(0, 50, n).astype(object)
    sentinel[350] = -999
    nan_token = rng.normal(size=n).round(2).astype(str).astype(object)
    nan_token[330] = "nan"
    texts = [f"The quick fox number {i % 150} jumps over the lazy dog again and again" for i in range(n)]
    texts[100] = "Ｔｈｅ ｑｕｉｃｋ fox number 1 jumps over the lazy dog again and again!"
    texts[120] = "Ã©cole damaged text with mojibake and enough words here"
    texts[130] = "12345 6789 0000 1111 2222 3333 #### $$$$ %%%% &&&& 9999"
    frame = pl.DataFrame(
        {
            "id": list(range(n)),
            "numbers": numbers.tolist(),
            "late_words": late_words.tolist(),
            "late_mixed": late_mixed.tolist(),
            "sentinel": sentinel.tolist(),
            "nan_token": nan_token.tolist(),
            "flag": rng.choice(["true", "false"], n).tolist(),
            "text": texts,
            "y": rng.choice(["a", "b", "c"], n, p=[0.9, 0.09, 0.01]).tolist(),
        }
    )
    frame.write_csv(path)
    path.write_text(path.read_text() + ",,,,,,,,\n" + "1,2\n" + path.read_text().splitlines()[5] + "\n")
    return path


def _comparable(report: dict) -> str:
    report.pop("timings")
    return json.dumps(report, sort_keys=True)


def _plain_normalised(texts: list) -> pl.Series:
    """The text normalisation of the exact-duplicate hash, written out step by step."""
    return (
        pl.Series(texts)
        .str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all(r"[\p{P}\p{S}]+", "")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_quick_scan_does_not_depend_on_the_sample_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    path = _awkward_table(tmp_path / "a.csv")
    if fmt == "jsonl":
        pl.read_csv(path, infer_schema=False).write_ndjson(tmp_path / "a.jsonl")
        path = tmp_path / "a.jsonl"
    reports = []
    for rows in (10, 100_000):  # a sample that guesses wrong vs. the whole file as the sample
        monkeypatch.setattr(runner, "SAMPLE_ROWS", rows)
        reports.append(_comparable(run_validation(path, tier="quick", target="y")))
    assert reports[0] == reports[1]
    report = json.loads(reports[0])
    dtypes = {c["name"]: c["dtype"] for c in report["dataset"]["columns"]}
    if fmt == "csv":
        assert dtypes["late_words"] == "mixed" and dtypes["late_mixed"] == "mixed"
        assert dtypes["numbers"] == "float" and dtypes["flag"] == "boolean"
    assert report["dataset"]["text_column"] == "text"
    assert report["checks"]["text_basics"]["encoding_damage"]["text"]["rows"] == [120]


def test_normalised_text_fast_path_equals_nfkc_then_rules() -> None:
    texts = ["Ｔｈｅ  ﬁne\tDay!", "plain ascii,  text\n\nhere", "Café — naïve", "x²  y", None, "", "   "]

    def reference(text: str) -> str:
        import re

        folded = unicodedata.normalize("NFKC", text).lower()
        folded = re.sub(r"[\W_]+", lambda m: "" if not m.group().isspace() else m.group(), folded)
        return folded

    got = pl.select(normalised_text(pl.lit(pl.Series(texts)))).to_series().to_list()
    slow = _plain_normalised(texts).to_list()
    assert got == slow
    assert reference("Ｔｈｅ") == "the"


def test_one_permutation_minhash_keeps_recall_and_precision_on_labelled_edits() -> None:
    originals = zipf_texts(300, words=60, seed=11)
    copies, truth = [], set()
    for i, share in enumerate((0.0, 0.01, 0.03, 0.05, 0.08, 0.10) * 10):
        copies.append(edit_words(originals[i], share, seed=i))
        truth.add((i, 300 + len(copies) - 1))
    clusters, _ = minhash.near_duplicate_clusters(originals + copies)
    found = {(c[0], m) for c in clusters for m in c[1:]}
    recall = len(found & truth) / len(truth)
    precision = len(found & truth) / max(1, len(found))
    assert 2 * recall * precision / (recall + precision) >= 0.95


def test_one_step_densification_of_short_texts_equals_the_probing(monkeypatch: pytest.MonkeyPatch) -> None:
    # Texts from empty to 200 words: few, some and most of the 126 bins filled; a DENSIFY_CHUNK
    # boundary inside the texts.
    rng = np.random.default_rng(4)
    texts = [" ".join(f"w{v}" for v in rng.integers(0, 400, size=n)) for n in rng.integers(0, 200, size=700)]
    texts[:40] = [f"a b c d e{i}" for i in range(40)]
    values, owner = minhash.flat_shingles(texts)
    monkeypatch.setattr(minhash, "DENSIFY_CHUNK", 300)
    signatures = {}
    for few in (0, minhash.FEW_FILLED_BINS, minhash.NUM_PERM):  # probing only, as shipped, one step only
        monkeypatch.setattr(minhash, "FEW_FILLED_BINS", few)
        signatures[few] = minhash._oph(values, owner, len(texts), minhash.NUM_PERM)
    probing, shipped, one_step = signatures.values()
    assert (probing == minhash._EMPTY).any(axis=1).sum() == (len(texts) - len(set(owner.tolist())))
    assert np.array_equal(probing, shipped) and np.array_equal(probing, one_step)


def _reference_words(text: str | None) -> list[str]:
    """A text's words by the plain definition: NFKC, lower case, runs of \\w (Polars' Unicode rules)."""
    if text is None:
        return []
    return pl.Series([text]).str.normalize("NFKC").str.to_lowercase().str.extract_all(r"\w+")[0].to_list()


WORDY_TEXTS = [
    None,
    "",
    "   ",
    "!!! ---",
    "one",
    "Two WORDS",
    "Hello, World!  foo_bar  x--y 3.5 x1",
    "Ünïcode wörds, here! naïve CAFÉ — ß İstanbul",
    "ＴＨＥ ﬁne Ｋelvin ligatures",
    "日本語のテキスト です ƀar",  # ƀ is C6 80 in UTF-8: a word byte of exactly 0x80
    "tab\tsep\nnew line\r\nend",
    "_under_ score_ __",
    "eightchr ninechars sixteen_bytes_x seventeen_bytes_x " + "w" * 40,
    "hello héllo hello",
]


def test_word_hashes_are_the_hashes_of_each_texts_words(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(8)
    texts = WORDY_TEXTS + [" ".join(f"W{v}x" * int(v % 4 + 1) for v in rng.integers(0, 99, size=n)) for n in range(60)]
    expected = [[word_hashes.word_hash(w) for w in _reference_words(t)] for t in texts]
    for chunk in (word_hashes.CHUNK_BYTES, 64, 1):  # as shipped, a few texts per chunk, one text per chunk
        monkeypatch.setattr(word_hashes, "CHUNK_BYTES", chunk)
        hashes, counts = word_hashes.word_hashes(texts)
        assert counts.tolist() == [len(e) for e in expected]
        assert hashes.tolist() == [h for e in expected for h in e]
    # One word, one hash, whichever path found it; different words differ, also past their 8th byte.
    hashes, counts = word_hashes.word_hashes(["hello sixteen_bytes_x", "héllo HELLO sixteen_bytes_y"])
    assert hashes[0] == hashes[3] and hashes[1] != hashes[4] and len(set(hashes.tolist())) == 4
    for nothing in ([], [None], ["", " ! "]):
        hashes, counts = word_hashes.word_hashes(nothing)
        assert len(hashes) == 0 and counts.tolist() == [0] * len(nothing)


@pytest.mark.parametrize(("k", "run"), [(1, None), (2, None), (2, 1), (2, 7), (3, None)])
def test_flat_shingles_are_each_texts_word_shingles_in_order(
    k: int, run: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if run:  # k = 2 combines in place a run at a time: runs of 1 and 7 words cut inside the texts
        monkeypatch.setattr(minhash, "COMBINE_RUN", run)
    rng = np.random.default_rng(k)
    texts = [None, "", "one", "two words", "Ünïcode wörds, here!", "a b c d"]
    texts += [" ".join(f"w{v}" for v in rng.integers(0, 50, size=n)) for n in rng.integers(0, 9, size=300)]
    values, owner = minhash.flat_shingles(texts, k)
    expected, owners = [], []
    for position, text in enumerate(texts):
        words = [word_hashes.word_hash(w) for w in _reference_words(text)]
        width = min(k, len(words))
        for start in range(len(words) - width + 1 if words else 0):
            combined = 0
            for word in words[start : start + width]:
                combined = (combined * 1099511628211 + word) % 2**64
            expected.append(combined)
            owners.append(position)
    assert values.tolist() == expected and owner.tolist() == owners


@pytest.mark.parametrize("bands", [42, 40])
def test_candidate_pairs_link_every_bucket_to_its_first_text(bands: int) -> None:
    rng = np.random.default_rng(bands)
    sigs = rng.integers(0, 3, size=(400, minhash.NUM_PERM)).astype(np.uint32)  # buckets of many texts
    sigs[rng.integers(0, 400, size=20)] = np.iinfo(np.uint32).max  # texts without shingles
    rows = minhash.NUM_PERM // bands
    expected = set()
    for band in range(bands):
        buckets: dict[tuple, list[int]] = {}
        for text in range(len(sigs)):
            if sigs[text, 0] != np.iinfo(np.uint32).max:
                buckets.setdefault(tuple(sigs[text, band * rows : (band + 1) * rows]), []).append(text)
        expected |= {(members[0], other) for members in buckets.values() for other in members[1:]}
    assert minhash.candidate_pairs(sigs, bands).tolist() == sorted(map(list, expected))


@pytest.mark.parametrize("chunk", [minhash.DENSIFY_CHUNK, 37, 1])
def test_candidates_from_blocks_of_band_keys_equal_those_of_the_whole_signatures(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Texts without words at the start, inside and at the end; near-copies far apart, so that
    # buckets span blocks.
    rng = np.random.default_rng(9)
    base = [" ".join(f"w{v}" for v in rng.integers(0, 60, size=n)) for n in rng.integers(1, 40, size=150)]
    texts: list[str | None] = [None, "", *base, *[t + " extra" for t in base[::3]], "!!!", *base[:20], None]
    values, owner = minhash.flat_shingles(texts)
    monkeypatch.setattr(minhash, "DENSIFY_CHUNK", len(texts))
    one_block = minhash._oph(values, owner, len(texts), minhash.NUM_PERM)
    monkeypatch.setattr(minhash, "DENSIFY_CHUNK", chunk)
    assert np.array_equal(minhash._oph(values, owner, len(texts), minhash.NUM_PERM), one_block)
    whole = minhash.candidate_pairs(one_block)
    from_blocks = minhash._bucket_candidates(values, owner, len(texts))
    assert len(whole) >= 60  # the 20 exact copies and most of the 50 extended ones
    assert from_blocks.tolist() == whole.tolist()


def test_short_templated_texts_one_word_apart_form_one_cluster() -> None:
    # Rotation densification left such 12-shingle texts (Jaccard 0.71) without a shared band.
    texts = [f"The quick fox number {i % 300} jumps over the lazy dog again and again" for i in range(900)]
    clusters, _ = minhash.near_duplicate_clusters(texts)
    assert clusters == [list(range(900))]


@pytest.mark.parametrize("block", [pair_verification.PAIR_BLOCK, 7])  # one block, blocks cut inside the pairs
def test_vectorised_verification_equals_the_exact_jaccard(block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pair_verification, "PAIR_BLOCK", block)
    texts = zipf_texts(40, words=30, seed=2) + [edit_words(t, 0.2, seed=1) for t in zipf_texts(40, words=30, seed=2)]
    texts += ["", texts[5], "the the the the"]  # no shingles, a verbatim copy, one shingle repeated
    values, owner = minhash.flat_shingles(texts)
    pairs = np.array([(i, i + 40) for i in range(40)] + [(0, 1), (2, 3), (5, 81), (80, 82), (3, 82), (81, 82)])
    similarity, smaller = pair_verification.pair_jaccard(values, owner, len(texts), pairs)
    exact = [minhash.jaccard(values[owner == a], values[owner == b]) for a, b in pairs]
    assert np.allclose(similarity, exact)
    assert list(smaller) == [
        min(len(np.unique(values[owner == a])), len(np.unique(values[owner == b]))) for a, b in pairs
    ]


def test_outlier_scores_in_batches_and_threads_equal_one_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from validations.engine.standard import outliers

    rng = np.random.default_rng(4)
    values = rng.normal(50, 5, size=500)
    values[[17, 400]] = [500, -300]
    path = tmp_path / "o.csv"
    pl.DataFrame({"x": values, "z": rng.normal(size=500)}).write_csv(path)
    results = []
    monkeypatch.setattr(outliers, "MIN_THREAD_ROWS", 1)
    for batch, threads in ((1_000_000, 1), (64, 1), (64, 3), (1_000_000, 2)):
        monkeypatch.setattr(outliers, "SCORE_BATCH", batch)
        monkeypatch.setattr(outliers, "scoring_threads", lambda threads=threads: threads)
        results.append(run_validation(path, tier="standard")["checks"]["outliers"])
    assert all(result == results[0] for result in results[1:])
    forest = results[0]["isolation_forest"]
    assert forest["rows"][:2] == [17, 400] and len(forest["scores"]) == len(forest["rows"])
    assert forest["top"][0] == {"row": 17, "score": forest["scores"][0]}
    assert results[0]["columns"]["x"]["rows"] == [17, 400] and results[0]["columns"]["x"]["z"][0] > 3.5


@pytest.mark.parametrize("sample", [None, ["plain words only"] * 3], ids=["prose", "mostly-letters"])
def test_word_and_space_counts_of_the_fused_read_equal_the_regex_counts(sample: list[str] | None) -> None:
    from validations.engine.context import LOWER, PLAIN, SHARE, WORDS, with_derived

    texts = ["", "  ", "a", " a", "a ", "a  b", "a\tb c", "a\u00a0b", "x\u2028y z", "one two three", "Ｔｈｅ ２", None]
    texts += ["a, b", "a,\tb", "\t", "é ü", "x1 y", "Hello World", "hello world", "héllo wörld", "Ωmega", "a\r\nb"]
    texts += ['say "hi" now', "ǅ title", "NA"]
    frame_sample = None if sample is None else pl.DataFrame({"t": sample})
    ctx = type("Ctx", (), {"dtypes": {"t": "string"}, "target": None, "text_column": "t", "sample": frame_sample})()
    frame = with_derived(pl.DataFrame({"t": texts}).lazy(), ctx).collect()
    col = pl.col("t")
    expected = pl.DataFrame({"t": texts}).select(
        col.str.count_matches(r"\S+").alias("words"),
        (col.str.count_matches(r"[^\p{L}\s]") / (col.str.len_chars() - col.str.count_matches(r"\s"))).alias("share"),
        col.str.contains(r"^(?:[A-Za-z]+(?: [A-Za-z]+)*)?$").alias("plain"),
    )
    assert frame[WORDS + "t"].to_list() == expected["words"].to_list()
    assert frame[SHARE + "t"].fill_nan(None).to_list() == expected["share"].fill_nan(None).to_list()
    assert frame[PLAIN + "t"].fill_null(False).to_list() == expected["plain"].fill_null(False).to_list()
    # Lower-case plain texts (hashed without lower-casing) are exactly those lower-casing leaves alone.
    lower = frame[LOWER + "t"].fill_null(False).to_list()
    plain = expected["plain"].fill_null(False).to_list()
    assert all(p and t == t.lower() for t, p, low in zip(texts, plain, lower, strict=True) if low)
    if sample is not None:  # counted by exception: every plain lower-case text is found
        assert lower == [p and t == t.lower() for t, p in zip(texts, plain, strict=True)]


@pytest.mark.parametrize("sample", [None, ["plain words only"] * 3], ids=["prose", "mostly-letters"])
def test_text_hash_of_the_fused_read_equals_the_hash_of_the_normalised_text(sample: list[str] | None) -> None:
    from validations.engine.checks.duplicates import HASH_SEED, row_exprs
    from validations.engine.context import with_derived

    texts = ["Hello World", "hello world", "hello  world", " hello world ", "HELLO, world!", "héllo wörld"]
    texts += ["Ｈｅｌｌｏ ｗｏｒｌｄ", "hello\tworld", "", "  ", None, "a\r\nb", 'say "hi"', "x1 y", "ǅ title", "NA"]
    frame_sample = None if sample is None else pl.DataFrame({"t": sample})
    ctx = type(
        "Ctx",
        (),
        {
            "dtypes": {"t": "string"},
            "target": None,
            "text_column": "t",
            "sample": frame_sample,
            "stats": {},
            "table": type("T", (), {"columns": ["t"]})(),
        },
    )()
    exprs = [e for e in row_exprs(ctx) if e.meta.output_name() == "hash:text"]
    got = with_derived(pl.DataFrame({"t": texts}).lazy(), ctx).select(exprs).collect()["hash:text"].to_list()
    reference = _plain_normalised(texts)
    assert got == pl.select(pl.lit(reference).hash(seed=HASH_SEED)).to_series().to_list()
    assert got[0] == got[1] == got[2] == got[3] == got[4] == got[6] != got[5]


def test_row_hash_groups_rows_as_the_struct_hash_does() -> None:
    from validations.engine.checks.duplicates import HASH_SEED, repeats_of, row_hash

    nan = float("nan")
    frame = pl.DataFrame(
        {
            "x": [0.0, -0.0, nan, nan, None, None, 1.0, 2.0, 1.0, 2.0],
            "s": ["a", "a", "b", "b", None, "", "c", "d", "d", "c"],
            "n": [1, 1, 2, 2, None, None, 3, 3, 3, 3],
        }
    )
    names = [pl.col(c) for c in frame.columns]
    ours = frame.select(row_hash(names).alias("h"))["h"].to_numpy()
    struct = frame.select(pl.struct(names).hash(seed=HASH_SEED).alias("h"))["h"].to_numpy()
    assert [a.tolist() for a in repeats_of(ours)] == [a.tolist() for a in repeats_of(struct)] == [[1, 3], [0, 2]]


def test_damage_search_on_non_ascii_texts_only_equals_the_plain_search() -> None:
    from validations.engine.checks.text_basics import MOJIBAKE, REPLACEMENT, damaged

    texts = [None, "", "plain", "caf\u00e9", "cafÃ©", "itâ€™s", "x\ufffdy", "Â\u00a0", "ï»¿bom", "Ã"]
    frame = pl.DataFrame({"t": texts})
    ours = frame.select(damaged(pl.col("t")))["t"].to_list()
    plain = frame.select(pl.col("t").str.contains(f"{REPLACEMENT}|{MOJIBAKE}").fill_null(False))["t"].to_list()
    assert ours == plain == [False, False, False, False, True, True, True, True, True, False]


def test_repeats_equal_a_first_seen_scan() -> None:
    from validations.engine.checks.duplicates import repeats_of

    rng = np.random.default_rng(8)
    # 500 distinct values spread over the whole 64-bit range (the top bit set in half of them).
    values = rng.integers(0, 2**63, size=500, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    hashes = values[rng.integers(0, 500, size=3_000)]
    first: dict[int, int] = {}
    duplicates, originals = [], []
    for row, value in enumerate(hashes.tolist()):
        if value in first:
            duplicates.append(row)
            originals.append(first[value])
        first.setdefault(value, row)
    got = repeats_of(hashes)
    assert got[0].tolist() == duplicates and got[1].tolist() == originals
    assert [len(a) for a in repeats_of(np.arange(10, dtype=np.uint64))] == [0, 0]


def test_a_value_that_dominates_only_after_the_sample_is_still_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from validations.engine import fused

    # A sorted export: the first rows hold many rare values, the rest of "v" is one value.
    n = 20_000
    frame = pl.DataFrame(
        {
            "v": [i // 2 for i in range(100)] + [5_000] * (n - 100),
            "w": [(i // 2) % 5_000 for i in range(n)],
            "code": [None if i == 7_000 else f"c{i}" for i in range(n)],
        }
    )
    path = tmp_path / "sorted.csv"
    frame.write_csv(path)
    reports = []
    for rows in (100, 100_000):
        monkeypatch.setattr(runner, "SAMPLE_ROWS", rows)
        monkeypatch.setattr(fused, "SAMPLE_ROWS", rows)
        reports.append(_comparable(run_validation(path, tier="quick")))
    assert reports[0] == reports[1]
    columns = json.loads(reports[0])["checks"]["columns"]
    assert columns["almost_constant"] == ["v"]
    assert columns["id_like"] == [] and columns["high_cardinality"] == ["code"]


def test_hash_partitions_do_not_change_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from validations.engine.checks import duplicates

    path = _awkward_table(tmp_path / "a.csv")
    whole = run_validation(path, tier="quick", target="y")
    monkeypatch.setattr(duplicates, "PART_ROWS", 7)
    parts = run_validation(path, tier="quick", target="y")
    # One repeated row, texts repeated in partitions, and "id" counted distinct (only its repeat is not).
    assert whole["checks"]["exact_duplicates"]["count"] == 1 and whole["checks"]["exact_duplicates"]["text"]["count"]
    assert whole["checks"]["columns"]["id_like"] == [] and whole["checks"]["columns"]["constant"] == []
    assert _comparable(parts) == _comparable(whole)


def test_text_quality_rules_on_plain_texts_at_once_equal_the_rules_one_by_one() -> None:
    from validations.engine.standard import text_quality

    rng = np.random.default_rng(12)
    pieces = (
        'a Ab word x1 12 3.5 # ##tag ... wait... { } ! ? "q" it\'s Lorem ipsum JavaScript X ABC N0 - -- a_b _'.split()
    )
    pieces.append("supercalifragilistic")
    texts: list[str | None] = []
    for _ in range(1500):
        words = rng.choice(pieces, size=int(rng.integers(0, 70)))
        gaps = rng.choice([" ", "  ", "\t"], size=len(words))
        text = "".join(w + g for w, g in zip(words, gaps, strict=True))
        texts.append(text[: len(text) - int(rng.integers(0, 2))])  # some end in a space or tab
    texts += [None, "", "   ", "\t", "lorem ipsum dolor.", "one\ntwo\nthree", "- a\n- b\n", "naïve café text",
              "\x1c\x1c", "line…", "ends with tab\t", "x\x0by"]  # fmt: skip
    counts, rows, tested = text_quality.rule_hits(texts)
    expected = dict.fromkeys(text_quality.JUNK_RULES + text_quality.INFO_RULES, 0)
    expected_rows, expected_tested = [], 0
    for position, text in enumerate(texts):
        if not text or not text.strip():
            continue
        expected_tested += 1
        flags = text_quality.text_flags(text)
        for rule, hit in flags.items():
            expected[rule] += int(hit)
        if any(flags[r] for r in text_quality.JUNK_RULES):
            expected_rows.append(position)
    assert counts == expected and rows.tolist() == expected_rows and tested == expected_tested
    assert all(counts[r] > 0 for r in ("alpha_words", "mean_word_length", "symbol_ratio", "boilerplate"))
