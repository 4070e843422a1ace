"""scripts/ablation.py: zeroing a miRNA's feature changes only its targets, by what the network gives that feature."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from zoo_dev.scripts import load_script

ablation = load_script(Path(__file__).resolve().parents[1] / "scripts" / "ablation.py", "mirex_ablation")


def test_a_linear_network_gives_its_weights_back_on_the_targeted_genes() -> None:
    rng = np.random.default_rng(0)
    n, weights = 200, np.array([-0.5, 0.0, 0.3])
    level = np.array([2.0, 1.0, 3.0])  # log10(count + 0.1) of each miRNA
    targets = rng.random((n, 3)) < [0.3, 0.5, 0.0]  # the third miRNA targets no test gene
    x = targets * level
    base = rng.normal(size=n)
    actual = base + x @ weights + rng.normal(scale=0.1, size=n)
    rows = ablation.ablate(lambda feats: base + feats @ weights, x, actual, ["a", "b", "c"])
    by = {r["mirna"]: r for r in rows}
    assert [r["mirna"] for r in rows] == ["a", "b", "c", "all miRNAs"]
    assert by["a"]["targeted"] == targets[:, 0].sum() and by["c"]["targeted"] == 0
    assert by["a"]["mean_delta"] == pytest.approx(-0.5 * 2.0)  # the miRNA lowers its targets by weight × level
    assert by["b"]["mean_delta"] == 0.0 and by["b"]["delta_r2"] == pytest.approx(0.0)
    assert by["a"]["delta_r2"] < 0  # the true effect removed: the fit gets worse
    assert by["all miRNAs"]["targeted"] == targets[:, :2].any(axis=1).sum()
