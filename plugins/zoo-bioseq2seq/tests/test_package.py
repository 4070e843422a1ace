"""scripts/package.py: a model trained on dataset v2 declares its own training range and split."""

from __future__ import annotations

from pathlib import Path

import pytest

from zoo_bioseq2seq.network import Bioseq2SeqConfig
from zoo_dev.scripts import load_script

package = load_script(Path(__file__).resolve().parents[1] / "scripts" / "package.py", "bioseq2seq_package")
METRICS = {"n": 654, "accuracy": 0.85, "f1": 0.84, "mcc": 0.70, "recall": 0.8, "precision": 0.88}


def _prov(dataset: str) -> dict:
    return {"dataset": dataset, "training_range": list(package.DATASETS[dataset]["range"]), "train_transcripts": 8858,
            "hardware": "x86_64 CPU, 2 cores"}


@pytest.mark.parametrize(("dataset", "args"), [("v1", {}), ("v2", {"training_range": [200, 3000]})])
def test_the_spec_carries_the_datasets_training_range(dataset: str, args: dict) -> None:
    config = Bioseq2SeqConfig.bioseq2seq(n_enc_layers=4, d_ff=256)
    spec = package.model_spec(f"bioseq2seq-4layer-{dataset}", [], config, _prov(dataset), METRICS)
    assert spec.dataloader.args == args
    lo, hi = package.DATASETS[dataset]["range"]
    assert f"Trained on {lo}-{hi} nt" in spec.inputs[0].doc
    measured = [m for m in spec.metrics if m.source == "measured"]
    assert {m.name for m in measured} == {"accuracy", "f1", "mcc"}
    assert all(f"test split {dataset}, 654 transcripts" in m.split for m in measured)
    assert "Trained here (x86_64 CPU, 2 cores)" in spec.description
    assert "NOT the paper's configuration: n_enc_layers 4 (paper 12); d_ff 256 (paper 2048)" in spec.description


def test_a_paper_size_network_is_not_called_smaller() -> None:
    assert package.configuration_note(Bioseq2SeqConfig.bioseq2seq(), "bioseq2seq").startswith(
        "**The paper's network configuration (bioseq2seq)")
    assert "smaller" not in package.size_word(Bioseq2SeqConfig.bioseq2seq(lr_warmup_steps=300))
    assert package.size_word(Bioseq2SeqConfig.bioseq2seq(n_enc_layers=4)) == "smaller "


def test_the_split_lists_the_run_was_trained_on_are_checked() -> None:
    listed = {name: len((d["splits"] / "train.txt").read_text().split()) for name, d in package.DATASETS.items()}
    assert listed == {"v1": 2953, "v2": 8858}  # the counts the cards and the v2 README state
