"""The trainer reads Xpresso's datapack layout, and a run stopped mid-epoch resumes to the very same weights.

The datapack files are synthetic (random one-hot windows) in the published layout: ``train.h5`` / ``valid.h5`` /
``test.h5`` with ``promoter`` (N, 20000, 4), ``data`` (N, 8), ``label`` (N,), ``geneName``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from zoo_dev.scripts import load_script

h5py = pytest.importorskip("h5py")
train = load_script(Path(__file__).resolve().parents[1] / "scripts" / "train.py", "perceiver_train_test")


def datapack(folder: Path, n: int = 12) -> Path:
    rng = np.random.default_rng(0)
    folder.mkdir()
    for split in ("train", "valid", "test"):
        codes = rng.integers(0, 4, (n, 20_000))
        onehot = np.eye(4, dtype=np.uint8)[codes]
        onehot[:, :100] = 0  # N at the far end, outside the model window
        with h5py.File(folder / f"{split}.h5", "w") as h5:
            h5["promoter"] = onehot
            h5["data"] = rng.normal(size=(n, 8)).astype(np.float32)
            h5["label"] = rng.normal(size=n).astype(np.float32)
            h5["geneName"] = np.array([f"{split}{i}".encode() for i in range(n)])
    return folder


def test_the_datapack_is_read_with_the_model_window_cropped(tmp_path: Path) -> None:
    folder = datapack(tmp_path / "pack")
    data = train.load_xpresso_datapack(folder)
    with h5py.File(folder / "valid.h5") as h5:
        onehot = h5["promoter"][:]
        expected = onehot[:, 3000:13500].argmax(axis=2)
        half_life, label = h5["data"][:], h5["label"][:]
    assert data["valid"].dna.shape == (12, 10_500)
    np.testing.assert_array_equal(data["valid"].dna, expected)
    np.testing.assert_array_equal(data["valid"].half_life, half_life)
    np.testing.assert_array_equal(data["valid"].labels[:, 0], label)
    assert data["valid"].ids[:2] == ["valid0", "valid1"]


def test_a_stopped_run_resumes_to_the_same_weights(tmp_path: Path) -> None:
    folder = datapack(tmp_path / "pack")
    common = ["xpresso", "--xpresso-datapack", str(folder), "--batch", "4", "--max-epochs", "2", "--threads", "1"]
    torch.manual_seed(0)
    train.main([*common, "--out", str(tmp_path / "whole")])
    # 3 updates per epoch: stop inside the second epoch, then resume
    train.main([*common, "--out", str(tmp_path / "parts"), "--stop-after-updates", "4"])
    partial = json.loads((tmp_path / "parts" / "state.json").read_text())
    assert (partial["epoch"], partial["batch_index"], partial["done"]) == (1, 1, False)
    train.main([*common, "--out", str(tmp_path / "parts")])

    whole = json.loads((tmp_path / "whole" / "state.json").read_text())
    parts = json.loads((tmp_path / "parts" / "state.json").read_text())
    assert parts["done"] and parts["step"] == whole["step"] == 6
    for a, b in zip(whole["history"], parts["history"], strict=True):
        assert {k: v for k, v in a.items() if k != "wall_seconds"} == {k: v for k, v in b.items() if k != "wall_seconds"}
    w, p = (load_file(str(tmp_path / run / "state.safetensors")) for run in ("whole", "parts"))
    assert w.keys() == p.keys()
    for key in w:
        assert torch.equal(w[key], p[key]), key


def test_lamb_scales_each_update_by_the_trust_ratio() -> None:
    w = torch.nn.Parameter(torch.tensor([3.0, 4.0]))  # |w| = 5
    opt = train.Lamb([w], lr=0.1, weight_decay=0.0)
    w.grad = torch.tensor([1.0, -2.0])
    opt.step()
    # first step: m̂ = g, v̂ = g², so the Adam direction is sign(g) (eps aside), |u| = √2, trust = 5 / √2
    u = torch.tensor([1.0, -1.0])
    expected = torch.tensor([3.0, 4.0]) - 0.1 * (5 / 2**0.5) * u
    torch.testing.assert_close(w.detach(), expected, rtol=1e-5, atol=1e-5)


def test_the_noam_schedule_is_the_papers_at_8000_warmup_steps() -> None:
    recipe = train.RECIPES["dnaperceiver"]
    for step in (1, 4000, 8000, 50_000):
        paper = 32**-0.5 * min(step**-0.5, step * 8000**-1.5)
        assert train.learning_rate(recipe, step, 8000, 10**6) == pytest.approx(paper, rel=1e-12)
    assert train.learning_rate(recipe, 8000, 8000, 10**6) == pytest.approx(1.976e-3, rel=1e-3)
