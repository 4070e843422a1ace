"""The statistics of the paper's protocol without SciPy: Spearman's rho, Pearson r², the t-based 95 % CI of a mean and
Student's two-sample t-test (equal variances, two-sided), as ``scipy.stats.spearmanr`` / ``linregress`` /
``t.ppf`` / ``ttest_ind`` compute them (spec §4: CI = SEM · t(0.975, n − 1); p from ``ttest_ind``)."""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import numpy as np


def ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (1-based, ties share their mean rank), as ``scipy.stats.rankdata``."""
    x = np.asarray(x, np.float64)
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    # boundaries of runs of equal values
    edges = np.flatnonzero(np.r_[True, sorted_x[1:] != sorted_x[:-1], True])
    out = np.empty(len(x), np.float64)
    for a, b in itertools.pairwise(edges):
        out[order[a:b]] = (a + b + 1) / 2.0  # mean of ranks a+1 .. b
    return out


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson r; NaN when either side is constant."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    dx, dy = x - x.mean(), y - y.mean()
    den = math.sqrt(float((dx * dx).sum()) * float((dy * dy).sum()))
    return float((dx * dy).sum() / den) if den > 0 else math.nan


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho (Pearson r of average ranks); NaN when either side is constant."""
    return pearson(ranks(x), ranks(y))


def r2_scores(pred: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """``r2_pearson``: squared Pearson r (the authors' code); ``r2``: 1 − RSS/TSS (the paper's formula)."""
    pred, actual = np.asarray(pred, np.float64), np.asarray(actual, np.float64)
    r = pearson(pred, actual)
    tss = float(((actual - actual.mean()) ** 2).sum())
    return {"r2_pearson": r * r, "r2": 1 - float(((actual - pred) ** 2).sum()) / tss if tss > 0 else math.nan,
            "pearson_r": r}


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularised incomplete beta function (Lentz's method)."""
    tiny, eps = 1e-300, 3e-16
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_sf2(t: float, df: float) -> float:
    """Two-sided p-value P(|T| ≥ |t|) of Student's t with ``df`` degrees of freedom."""
    if math.isnan(t):
        return math.nan
    return betainc(df / 2.0, 0.5, df / (df + t * t))


def t_quantile(q: float, df: float) -> float:
    """The ``q`` quantile (0.5 < q < 1) of Student's t, by bisection on :func:`t_sf2`."""
    lo, hi = 0.0, 1e3
    target = 2 * (1 - q)
    for _ in range(200):
        mid = (lo + hi) / 2
        if t_sf2(mid, df) > target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


class MeanCI(NamedTuple):
    mean: float
    low: float
    high: float
    n: int


def mean_ci(values: np.ndarray, level: float = 0.95) -> MeanCI:
    """Mean and its t-based CI: mean ± SEM · t((1 + level) / 2, n − 1), SEM with ddof 1 (the authors' ``plot.py``)."""
    v = np.asarray(values, np.float64)
    n = len(v)
    m = float(v.mean()) if n else math.nan
    if n < 2:
        return MeanCI(m, math.nan, math.nan, n)
    half = float(v.std(ddof=1)) / math.sqrt(n) * t_quantile((1 + level) / 2, n - 1)
    return MeanCI(m, m - half, m + half, n)


def ttest_ind(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Student's two-sample t-test with pooled variance, two-sided: ``(t, p)``, as ``scipy.stats.ttest_ind``."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    na, nb = len(a), len(b)
    df = na + nb - 2
    if na < 2 or nb < 2:
        return math.nan, math.nan
    pooled = ((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / df
    se = math.sqrt(pooled * (1 / na + 1 / nb))
    if se == 0:
        return math.nan, math.nan
    t = float((a.mean() - b.mean()) / se)
    return t, t_sf2(t, df)
