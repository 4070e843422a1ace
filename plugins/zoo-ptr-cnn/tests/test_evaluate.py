"""scripts/evaluate.py: the paper's per-gene r² across tissues and its baselines, against hand computations."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from zoo_dev.scripts import load_script

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
sys.path.insert(0, str(SCRIPTS))  # evaluate.py imports its sibling train.py
evaluate = load_script(SCRIPTS / "evaluate.py", "ptr_evaluate")

NAN = np.nan


def test_per_gene_r2_is_within_gene_and_skips_short_or_flat_genes() -> None:
    y = np.array([[1.0, 2.0, 3.0, NAN], [5.0, 5.0, 5.0, 5.0], [0.0, 4.0, NAN, NAN]])
    pred = np.array([[1.5, 2.0, 2.5, 9.0], [5.0, 4.0, 6.0, 5.0], [0.0, 4.0, 0.0, 0.0]])
    ok = ~np.isnan(y)
    got = evaluate.per_gene_r2(pred, y, ok, min_points=3)
    # gene 0: SSE 0.25 + 0 + 0.25, SST around its mean 2: 1 + 0 + 1
    assert got[0] == pytest.approx(1 - 0.5 / 2)
    assert np.isnan(got[1])  # flat protein: r² undefined (every A. thaliana gene here)
    assert np.isnan(got[2])  # 2 points < min_points


def test_mrna_only_predicts_each_tissue_from_the_others() -> None:
    tpm = np.array([[0.0, 1.0, 2.0, 3.0]])
    protein = np.array([[1.0, 3.0, 5.0, 8.0]])
    pred = evaluate.mrna_only(tpm, protein)
    # leave out tissue 3: the line through (0,1), (1,3), (2,5) is 2x + 1, so 7 at x = 3
    assert pred[0, 3] == pytest.approx(7.0)
    slope = np.polyfit([1.0, 2.0, 3.0], [3.0, 5.0, 8.0], 1)[0]
    assert pred[0, 0] == pytest.approx(np.mean([3.0, 5.0, 8.0]) + slope * (0.0 - 2.0))


def test_naive_scaling_is_the_genes_mean_protein_shifted_by_its_tpm() -> None:
    tpm = np.array([[1.0, 3.0, NAN]])
    protein = np.array([[10.0, 14.0, 11.0]])
    assert evaluate.naive_scaling(tpm, protein)[0, :2].tolist() == [11.0, 13.0]


def test_scores_give_both_measures_with_intervals() -> None:
    rng = np.random.default_rng(1)
    tpm = rng.normal(5, 2, (40, 10))
    protein = tpm + rng.normal(0, 1, (40, 1)) + rng.normal(0, 0.5, (40, 10))
    s = evaluate.scores(protein + rng.normal(0, 0.1, protein.shape), tpm, protein, min_points=8)
    assert s["per_gene"]["genes"] == 40 and s["pooled"]["points"] == 400
    assert s["per_gene"]["r2_mean"] > 0.9 and s["per_gene"]["r2_mean_ci95"][0] < s["per_gene"]["r2_mean"]
    assert s["pooled"]["r2_ci95"][0] <= s["pooled"]["r2"] <= s["pooled"]["r2_ci95"][1]


def test_markdown_table_has_a_row_per_predictor_with_its_figures() -> None:
    s = {"pooled": {"r2": 0.4161, "r2_ci95": [0.32, 0.49], "pearson_r": 0.7, "genes": 288, "points": 2524},
         "per_gene": {"r2_mean": -3.06, "r2_median": -0.97, "r2_mean_ci95": [-4.0, -2.2], "genes": 152, "points": 1900,
                      "min_points": 8}}
    result = {"split": "test", "samples": 16, "model": {**s, "members": 5}, "model_member0": s,
              "baselines": {"mrna_only": s, "mrna_linear": s, "naive_scaling": s},
              "ablation": {"without codons": {**s, "members": 1}}}
    text = evaluate.markdown(result)
    assert text.count("| -3.06 (-4.00 to -2.20) | -0.97 | 0.416 (0.32 to 0.49) | 0.700 |") == 6
    assert "152 genes with ≥ 8 points" in text and "288 genes, 2524 (gene, sample) points over 16 samples" in text
