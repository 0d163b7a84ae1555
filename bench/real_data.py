"""Real tables that ship offline inside installed packages, for the prediction benches.

scikit-learn's bundled sets need nothing else; statsmodels' bundled sets need ``pip install
statsmodels`` (requirements-bench.txt). Nothing here downloads. Each loader returns
(frame, target column); the bank and the held-out bench use disjoint sets (BANK vs HELD_OUT).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl


def _sklearn(name: str) -> tuple[pl.DataFrame, str]:
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")()
    columns = {f"f{i}_{f}"[:40]: bunch.data[:, i] for i, f in enumerate(bunch.feature_names)}
    return pl.DataFrame({**columns, "target": bunch.target}), "target"


def _statsmodels(
    name: str, target: str, transform: Callable[[pl.DataFrame], pl.DataFrame] | None = None
) -> tuple[pl.DataFrame, str]:
    import importlib

    module = importlib.import_module(f"statsmodels.datasets.{name}")
    data = module.load_pandas().data
    frame = pl.DataFrame(
        {
            str(c): data[c].astype(str).to_numpy()
            if data[c].dtype == object or str(data[c].dtype) in ("category", "string", "str")
            else data[c].to_numpy()
            for c in data.columns
        }
    )
    if transform is not None:
        frame = transform(frame)
    return frame, target


def fair() -> tuple[pl.DataFrame, str]:
    return _statsmodels(
        "fair",
        "had_affair",
        lambda f: f.with_columns((pl.col("affairs") > 0).cast(pl.Int64).alias("had_affair")).drop("affairs"),
    )


def digits_binary() -> tuple[pl.DataFrame, str]:
    frame, target = _sklearn("digits")
    return frame.filter(pl.col(target) < 2), target


LOADERS: dict[str, Callable[[], tuple[pl.DataFrame, str]]] = {
    # calibration bank
    "breast_cancer": lambda: _sklearn("breast_cancer"),
    "wine": lambda: _sklearn("wine"),
    "iris": lambda: _sklearn("iris"),
    "diabetes": lambda: _sklearn("diabetes"),
    "star98": lambda: _statsmodels("star98", "NABOVE"),
    "modechoice": lambda: _statsmodels("modechoice", "choice"),
    "grunfeld": lambda: _statsmodels("grunfeld", "invest", lambda f: f.with_columns(pl.col("firm").cast(pl.String))),
    # held out (never in the bank)
    "digits": lambda: _sklearn("digits"),
    "digits_binary": digits_binary,
    "fair": fair,
    "anes96": lambda: _statsmodels("anes96", "vote"),
    "randhie": lambda: _statsmodels("randhie", "mdvis"),
}
BANK = ["breast_cancer", "wine", "iris", "diabetes", "star98", "modechoice", "grunfeld"]
HELD_OUT = ["fair", "randhie", "anes96", "digits"]


def inject_noise(
    frame: pl.DataFrame, target: str, rate: float, rng: np.random.Generator, *, classification: bool
) -> pl.DataFrame:
    """Replace ``rate`` of the labels: classification by another class (uniformly), regression by
    the label of a random other row."""
    if rate <= 0:
        return frame
    values = frame[target].to_numpy().copy()
    picked = rng.choice(len(values), size=int(round(rate * len(values))), replace=False)
    if classification:
        classes = np.unique(values)
        for i in picked:
            others = classes[classes != values[i]]
            values[i] = others[rng.integers(len(others))]
    else:
        values[picked] = values[rng.permutation(picked)] if len(picked) > 1 else values[picked]
        values[picked] = frame[target].to_numpy()[rng.integers(0, len(values), len(picked))]
    return frame.with_columns(pl.Series(target, values))
