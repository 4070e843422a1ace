"""scripts/train.py: a stopped run resumes from its safetensors state (no pickle), and --init starts from weights."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pytest
from safetensors.torch import load_file

from zoo_dev.scripts import load_script

train = load_script(Path(__file__).resolve().parents[1] / "scripts" / "train.py", "bioseq2seq_train")
TINY = ["--enc-layers", "1", "--d-ff", "16", "--max-tokens", "2000", "--accum", "1", "--valid-every", "2",
        "--threads", "1", "--warmup", "2"]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = random.Random(0)
    rows = []
    for i in range(12):
        pc = i % 2 == 0
        orf = "ATG" + "".join(rng.choice(["GCT", "AAA", "TGG", "CCC"]) for _ in range(20)) + "TAA"
        rna = "".join(rng.choice("ACGT") for _ in range(30)) + (orf if pc else orf.replace("ATG", "CTG", 1)) + "GGCC" * 5
        rows.append({"id": f"t{i}", "species": "hsapiens", "class": "PC" if pc else "NC", "length": len(rna),
                     "target_source": "annotation", "rna": rna, "protein": ""})
    df = pd.DataFrame(rows)
    df.loc[df["class"] == "PC", "protein"] = "MAKWP"  # any peptide: the test is about the loop, not the fit
    folder = tmp_path_factory.mktemp("data")
    for split in ("train", "valid"):
        df.to_csv(folder / f"{split}.tsv", sep="\t", index=False)
    return folder


def test_a_stopped_run_resumes_where_it_stopped(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    train.main(["--data", str(data), "--out", str(out), *TINY, "--max-updates", "2"])
    first = load_file(str(out / "last.safetensors"))
    assert (out / "state.safetensors").exists() and not list(out.glob("*.pt"))
    train.main(["--data", str(data), "--out", str(out), *TINY, "--max-updates", "4"])
    log = json.loads((out / "log.json").read_text())
    assert [h["update"] for h in log["history"]] == [2, 4]  # resumed at update 2, not restarted
    second = load_file(str(out / "last.safetensors"))
    assert any((first[k] != second[k]).any() for k in first)


def test_init_starts_from_the_given_weights(data: Path, tmp_path: Path) -> None:
    train.main(["--data", str(data), "--out", str(tmp_path / "a"), *TINY, "--max-updates", "2"])
    train.main(["--data", str(data), "--out", str(tmp_path / "b"), *TINY, "--max-updates", "2", "--valid-every", "1",
                "--init", str(tmp_path / "a" / "last.safetensors"), "--peak-lr", "1e-12"])
    a, b = load_file(str(tmp_path / "a" / "last.safetensors")), load_file(str(tmp_path / "b" / "last.safetensors"))
    # a learning rate of 1e-12 leaves the initial weights (those of run a) in place to float32 precision
    for k in a:
        assert (a[k] - b[k]).abs().max() < 1e-6, k
    assert json.loads((tmp_path / "b" / "log.json").read_text())["init"].endswith("last.safetensors")
