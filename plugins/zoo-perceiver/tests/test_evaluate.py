"""scripts/evaluate.py's metrics, checked against hand computations on synthetic predictions."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo_dev.scripts import load_script

evaluate = load_script(Path(__file__).resolve().parents[1] / "scripts" / "evaluate.py", "perceiver_evaluate_test")


def _pearson_r2(x: np.ndarray, y: np.ndarray) -> float:
    dx, dy = x - x.mean(), y - y.mean()
    return float((dx @ dy) ** 2 / ((dx @ dx) * (dy @ dy)))


def test_r2_pair_is_pearson_squared_and_coefficient_of_determination() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(size=200)
    pred = 0.5 * y + rng.normal(scale=0.8, size=200) + 0.3  # correlated but biased and shrunk
    pearson, cod = evaluate.r2_pair(pred, y)
    assert abs(pearson - _pearson_r2(pred, y)) < 1e-12
    assert abs(cod - (1 - ((y - pred) ** 2).sum() / ((y - y.mean()) ** 2).sum())) < 1e-12
    assert cod < pearson  # bias and scale cost 1 − SSR/SST, not Pearson r²
    assert evaluate.r2_pair(np.full(200, 2.0), y)[0] == 0.0  # a constant explains nothing


def test_paired_difference_favours_the_better_predictor() -> None:
    rng = np.random.default_rng(2)
    y = rng.normal(size=300)
    good, poor = y + rng.normal(scale=0.5, size=300), y + rng.normal(scale=2.0, size=300)
    d = evaluate.paired_difference(good, poor, y)
    assert abs(d["diff"] - (_pearson_r2(good, y) - _pearson_r2(poor, y))) < 1e-12
    assert 0 < d["lo"] < d["diff"] < d["hi"] and d["p_not_better"] == 0.0
    same = evaluate.paired_difference(good, good, y)
    assert same["diff"] == same["lo"] == same["hi"] == 0.0 and same["p_not_better"] == 1.0
    ci = evaluate.with_ci(good, y)
    assert ci["r2_lo"] < ci["r2"] < ci["r2_hi"] and ci["n"] == 300
