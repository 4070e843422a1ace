"""scripts/train.py: per-tissue protein targets, and a stopped run resumes to the same weights (no pickle)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from zoo_dev.scripts import load_script

PLUGIN = Path(__file__).resolve().parents[1]
train = load_script(PLUGIN / "scripts" / "train.py", "ptr_train")
STOPS = {"TAA", "TAG", "TGA"}
CODONS = [a + b + c for a in "ACGT" for b in "ACGT" for c in "ACGT" if a + b + c not in STOPS]


def table(path: Path, n: int = 24, samples: int = 4) -> Path:
    """A small training table in build_dataset.py's layout, protein and TPM per sample, some points missing."""
    rng = np.random.default_rng(0)
    head = ["gene", "transcript", "split", "utr5", "cds", "utr3", *(f"log2_protein_t{s}" for s in range(samples)),
            *(f"log2_tpm_t{s}" for s in range(samples))]
    rows = ["\t".join(head)]
    for i in range(n):
        cds = "ATG" + "".join(rng.choice(CODONS, int(rng.integers(20, 60)))) + "TAA"
        utr5, utr3 = "".join(rng.choice(list("ACGT"), 30)), "".join(rng.choice(list("ACGT"), 50))
        tpm = rng.normal(5, 2, samples)
        protein = 0.8 * tpm + rng.normal(3, 1)
        protein[i % samples] = np.nan  # one tissue without a protein measurement
        cells = [f"{x:.4f}" if x == x else "NaN" for x in (*protein, *tpm)]
        rows.append("\t".join([f"g{i}", f"t{i}", "valid" if i % 4 == 0 else "train", utr5, cds, utr3, *cells]))
    path.write_text("\n".join(rows) + "\n")
    return path


def test_protein_per_sample_and_missing_points_are_masked(tmp_path: Path) -> None:
    import torch

    _, tpm, protein = train.load_split(table(tmp_path / "t.tsv"), "train")
    assert tpm.shape == protein.shape == (18, 4) and np.isnan(protein).sum() == 18
    ab = torch.tensor([[1.0, 0.0]] * 18)
    t, p = torch.from_numpy(tpm), torch.from_numpy(protein)
    ok = train.points(tpm, protein)
    want = float(np.mean((tpm[ok] - protein[ok]) ** 2))
    assert float(train.masked_mse(ab, t, p)) == pytest.approx(want, rel=1e-5)


def test_a_stopped_run_resumes_to_the_uninterrupted_weights(tmp_path: Path) -> None:
    from safetensors.torch import load_file

    data = table(tmp_path / "t.tsv")
    common = ["--data", str(data), "--members", "1", "--epochs", "3", "--optimizer", "adam", "--lr", "1e-3",
              "--threads", "1", "--batch-size", "8"]
    assert train.main([*common, "--out", str(tmp_path / "full")]) == 0
    assert train.main([*common, "--out", str(tmp_path / "cut"), "--max-minutes", "0"]) == 3  # stops after epoch 1
    assert sorted(p.name for p in (tmp_path / "cut").iterdir()) == ["log.json", "member0.state.safetensors"]
    assert train.main([*common, "--out", str(tmp_path / "cut")]) == 0
    full, cut = (load_file(str(tmp_path / d / "member0.safetensors")) for d in ("full", "cut"))
    assert full.keys() == cut.keys() and all(np.array_equal(full[k].numpy(), cut[k].numpy()) for k in full)
