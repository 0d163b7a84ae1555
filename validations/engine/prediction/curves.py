"""Learning-curve families, their fitting, selection by leave-last-size-out, and extrapolation.

Sizes are scaled by ``scale`` (the largest measured size) before fitting, so every family works
on u = n / scale around 1 and the optimiser sees well-conditioned numbers. All families rise to
an asymptote of at most 1 (accuracy and R² cannot exceed 1):
- pow3: a - b·u^(-c)                      (power law; Viering & Loog 2022 survey)
- mmf4: (a·b + c·u^d) / (b + u^d)         (Morgan-Mercer-Flodin; asymptote c)
- wbl4: c - b·exp(-a·u^d)                 (Weibull; asymptote c)
- exp3: a - b·exp(-c·u)
- last: the last measured mean (a plateau), the naive rival every family must beat
The chosen family is the one whose fit on all sizes but the largest best predicts the largest.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


def pow3(u: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    return a - b * np.power(u, -c)


def mmf4(u: np.ndarray, a: float, b: float, c: float, d: float) -> np.ndarray:
    ud = np.power(u, d)
    return (a * b + c * ud) / (b + ud)


def wbl4(u: np.ndarray, a: float, b: float, c: float, d: float) -> np.ndarray:
    return c - b * np.exp(-a * np.power(u, d))


def exp3(u: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    return a - b * np.exp(-c * u)


@dataclass(frozen=True)
class Family:
    name: str
    function: Callable[..., np.ndarray]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    starts: tuple[tuple[float, ...], ...]


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "pow3", pow3, (-10.0, -10.0, 0.0), (1.0, 10.0, 5.0), ((0.9, 0.1, 0.5), (1.0, 0.3, 0.3), (0.8, 0.05, 1.0))
        ),
        Family(
            "mmf4",
            mmf4,
            (-10.0, 1e-6, -10.0, 1e-3),
            (1.0, 1e6, 1.0, 10.0),
            ((0.0, 0.1, 0.9, 1.0), (0.5, 1.0, 1.0, 0.5), (-1.0, 0.05, 0.8, 2.0)),
        ),
        Family(
            "wbl4",
            wbl4,
            (1e-6, -10.0, -10.0, 1e-3),
            (1e3, 10.0, 1.0, 10.0),
            ((2.0, 0.5, 0.9, 1.0), (5.0, 0.5, 1.0, 0.5), (1.0, 1.0, 0.8, 2.0)),
        ),
        Family(
            "exp3", exp3, (-10.0, -10.0, 1e-4), (1.0, 10.0, 100.0), ((0.9, 0.5, 2.0), (1.0, 1.0, 5.0), (0.8, 0.2, 1.0))
        ),
    )
}
NAIVE = "last"


@dataclass
class Fit:
    family: str
    params: tuple[float, ...]
    scale: float

    def predict(self, n: float | np.ndarray) -> np.ndarray:
        n = np.asarray(n, dtype=np.float64)
        if self.family == NAIVE:
            return np.full_like(n, self.params[0])
        value = FAMILIES[self.family].function(n / self.scale, *self.params)
        return np.minimum(value, 1.0)


def fit_family(
    name: str,
    sizes: Sequence[float],
    means: Sequence[float],
    errors: Sequence[float] | None = None,
    *,
    scale: float | None = None,
    start: tuple[float, ...] | None = None,
) -> Fit | None:
    """Least-squares fit of one family (weighted by the standard errors); None if it fails."""
    n = np.asarray(sizes, dtype=np.float64)
    y = np.asarray(means, dtype=np.float64)
    scale = float(scale or n.max())
    if name == NAIVE:
        return Fit(NAIVE, (float(y[np.argmax(n)]),), scale)
    family = FAMILIES[name]
    if len(n) < len(family.lower):
        return None
    from scipy.optimize import curve_fit

    sigma = None
    if errors is not None:
        e = np.asarray(errors, dtype=np.float64)
        sigma = np.maximum(e, max(1e-3, float(np.median(e)) * 0.5 if np.any(e > 0) else 1e-3))
    best: tuple[float, tuple[float, ...]] | None = None
    u = n / scale
    for guess in (start,) if start else family.starts:
        p0 = np.clip(guess, np.array(family.lower) + 1e-9, np.array(family.upper) - 1e-9)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                params, _ = curve_fit(
                    family.function, u, y, p0=p0, sigma=sigma, bounds=(family.lower, family.upper), maxfev=800
                )
        except (RuntimeError, ValueError):
            continue
        residual = family.function(u, *params) - y
        if sigma is not None:
            residual = residual / sigma
        loss = float(np.sum(residual**2))
        if np.isfinite(loss) and (best is None or loss < best[0]):
            best = (loss, tuple(float(p) for p in params))
    return None if best is None else Fit(name, best[1], scale)


def select_family(
    sizes: Sequence[float], means: Sequence[float], errors: Sequence[float] | None = None
) -> tuple[str, dict[str, float]]:
    """The family whose fit without the largest size best predicts it (absolute error)."""
    n = np.asarray(sizes, dtype=np.float64)
    y = np.asarray(means, dtype=np.float64)
    e = None if errors is None else np.asarray(errors, dtype=np.float64)
    order = np.argsort(n)
    n, y = n[order], y[order]
    e = None if e is None else e[order]
    head = slice(0, len(n) - 1)
    scores: dict[str, float] = {}
    for name in (*FAMILIES, NAIVE):
        fit = fit_family(name, n[head], y[head], None if e is None else e[head], scale=n[-1])
        if fit is not None:
            scores[name] = round(float(abs(fit.predict(n[-1]) - y[-1])), 6)
    return min(scores, key=lambda k: scores[k]), scores
