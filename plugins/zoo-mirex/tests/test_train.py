"""train.py: a run killed after an epoch resumes to the same weights as an uninterrupted one; safetensors + JSON only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file
from zoo_mirex.dataset import Data

from zoo_dev.scripts import load_script

PLUGIN = Path(__file__).resolve().parents[1]
train = load_script(PLUGIN / "scripts" / "train.py", "mirex_train")


def toy(n: int = 24) -> Data:
    rng = np.random.default_rng(1)
    genes = np.array([f"ENSG{i:011d}" for i in range(n)])
    split = np.array(["train"] * 16 + ["valid"] * 4 + ["test"] * 4)
    labels = {"lung": rng.normal(size=n).astype(np.float32)}
    return Data(genes, genes, split, rng.integers(0, 5, (n, 2048)).astype(np.uint8),
                rng.normal(size=(n, 8)).astype(np.float32), labels, {"lung_normal": {"m1": 50.0, "m2": 3.0}}, {},
                {"m1": set(genes[::3]), "m2": set(genes[1::4])}, set(), Path("."))


def test_resume_gives_the_same_run(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    data = toy()
    kw = {"seed": 3, "max_epochs": 2, "attempts": 1, "quiet": True}
    whole = train.train_run(data, "lung", ["m1", "m2"], tmp_path / "whole", **kw)
    assert train.train_run(data, "lung", ["m1", "m2"], tmp_path / "cut", max_minutes=0, **kw) is None  # stops after 1
    state = json.loads((tmp_path / "cut" / "state.json").read_text())
    assert state["epoch"] == 1 and not list((tmp_path / "cut").glob("*.pt"))
    resumed = train.train_run(data, "lung", ["m1", "m2"], tmp_path / "cut", **kw)
    assert resumed is not None and whole is not None
    a, b = load_file(str(tmp_path / "whole" / "model.safetensors")), load_file(str(tmp_path / "cut" / "model.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert [h["valid_mse"] for h in whole["history"]] == [h["valid_mse"] for h in resumed["history"]]
    assert not (tmp_path / "cut" / "state.safetensors").exists()
    assert len((tmp_path / "cut" / "predictions.tsv").read_text().splitlines()) == 1 + 24
    assert whole["parameters"] == 55_141 + 64 * 2 and whole["test"]["genes"] == 4
