"""scripts/compare.py: the paired bootstrap and McNemar's test between two models' calls."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from zoo_dev.scripts import load_script

compare = load_script(Path(__file__).parents[1] / "scripts" / "compare.py", "bioseq2seq_compare")


def _table(truth: str, pred: str) -> pd.DataFrame:
    code = {"P": "PC", "N": "NC"}
    return pd.DataFrame({"id": [f"t{i}" for i in range(len(truth))], "species": "hsapiens",
                         "class": [code[c] for c in truth], "predicted": [code[c] for c in pred]})


def test_point_estimates_match_a_hand_count() -> None:
    # A: TP 4, FN 1, FP 1, TN 4 -> F1 = 8/10, MCC = (16 - 1) / sqrt(5*5*5*5) = 0.6
    a = _table("PPPPPNNNNN", "PPPPNPNNNN")
    # B: TP 5, FN 0, FP 5, TN 0 -> F1 = 10/15, MCC = 0 (an empty margin)
    b = _table("PPPPPNNNNN", "PPPPPPPPPP")
    out = compare.compare(a, b, boot=500)
    assert out["f1_a"] == pytest.approx(0.8) and out["mcc_a"] == pytest.approx(0.6)
    assert out["f1_b"] == pytest.approx(2 / 3) and out["mcc_b"] == 0.0
    assert out["f1_diff"] == pytest.approx(0.8 - 2 / 3)
    lo, hi = out["mcc_diff_ci"]
    assert lo <= out["mcc_diff"] <= hi


def test_identical_models_differ_by_zero_and_clearly_better_ones_exclude_zero() -> None:
    truth = "PN" * 100
    same = compare.compare(_table(truth, truth[:150] + "N" * 50), _table(truth, truth[:150] + "N" * 50), boot=300)
    assert same["f1_diff_ci"] == [0.0, 0.0] and same["mcnemar_p"] == 1.0
    better = compare.compare(_table(truth, truth), _table(truth, "P" * 200), boot=300)
    assert better["f1_diff_ci"][0] > 0 and better["mcc_diff_ci"][0] > 0
    assert better["mcnemar_p"] < 1e-20  # 100 discordant transcripts, all won by A: p = 2 / 2**100


def test_mcnemar_is_the_exact_two_sided_binomial() -> None:
    import numpy as np

    a_right = np.array([True] * 5 + [True] * 3)
    b_right = np.array([False] * 5 + [True] * 3)
    assert compare.mcnemar_p(a_right, b_right) == pytest.approx(2 / 32)


def test_different_transcripts_are_refused(tmp_path: Path) -> None:
    a, b = _table("PN", "PN"), _table("PNP", "PNP")
    b.loc[0, "id"] = "other"
    a.to_csv(tmp_path / "a.tsv", sep="\t", index=False)
    b.to_csv(tmp_path / "b.tsv", sep="\t", index=False)
    assert compare.main([str(tmp_path / "a.tsv"), str(tmp_path / "b.tsv")]) == 1
