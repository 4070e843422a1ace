"""bioseq2seq on Ray (local instance, 2 workers): the same rows as a local run of `zoo predict`."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "zoo_bioseq2seq" / "examples"

pytestmark = [pytest.mark.slow, pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                                                   reason="needs the ray extra: pip install 'zoo[ray]'")]


def test_ray_predict_gives_the_local_table(ray_local, zoo_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "zoo-bioseq2seq")
    fasta = EXAMPLES / "transcripts.fa"
    assert zoo_cli("predict", "bioseq2seq", fasta, "-o", tmp_path / "local.tsv", "--batch-size", "4", "-q")[0] == 0
    code, _, err = zoo_cli("predict", "bioseq2seq", fasta, "-o", tmp_path / "ray.tsv", "--batch-size", "4",
                           "--part-size", "4", "--engine", "ray", "--num-workers", "2", "-q")
    assert code == 0, err
    a = pd.read_csv(tmp_path / "local.tsv", sep="\t")
    b = pd.read_csv(tmp_path / "ray.tsv", sep="\t")
    assert b["id"].tolist() == a["id"].tolist() and len(b) == 12  # every transcript once, in order
    assert b["class"].tolist() == a["class"].tolist()
    for col in ("coding_prob", "logit_diff"):
        np.testing.assert_allclose(b[col], a[col], atol=1e-6)
