"""The SciPy-free statistics against values SciPy gives."""

from __future__ import annotations

import math

import numpy as np
from zoo_mirex.stats import mean_ci, r2_scores, ranks, spearman, t_quantile, t_sf2, ttest_ind


def test_ranks_average_ties() -> None:
    assert ranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist() == [3.5, 1.0, 3.5, 2.0]


def test_spearman_matches_scipy() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    y = np.array([2.0, 1.0, 4.0, 3.0, 6.0, 6.0])
    assert math.isclose(spearman(x, y), 0.8696565535, rel_tol=1e-8)  # scipy.stats.spearmanr
    assert math.isnan(spearman(x, np.zeros(6)))


def test_t_distribution() -> None:
    assert math.isclose(t_quantile(0.975, 9), 2.2621571628, rel_tol=1e-8)  # scipy.stats.t.ppf
    assert math.isclose(t_sf2(2.0, 18), 0.0608214657, rel_tol=1e-7)  # 2 * scipy.stats.t.sf(2, 18)


def test_ttest_and_ci_match_scipy() -> None:
    a = np.array([0.51, 0.53, 0.55, 0.52, 0.54])
    b = np.array([0.50, 0.49, 0.52, 0.51, 0.50])
    t, p = ttest_ind(a, b)  # scipy.stats.ttest_ind(a, b)
    assert math.isclose(t, 2.9824045403, rel_tol=1e-9)
    assert math.isclose(p, 0.0175359523, rel_tol=1e-7)
    ci = mean_ci(a)
    assert math.isclose(ci.mean, 0.53) and math.isclose(ci.high - ci.mean, 0.0196324316, rel_tol=1e-7)


def test_r2_definitions() -> None:
    pred, actual = np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0])
    r = r2_scores(pred, actual)
    assert math.isclose(r["r2_pearson"], 1.0) and r["r2"] < 0.5  # Pearson² ignores scale; 1 − RSS/TSS does not
