"""Input hardening of the PTR-CNN: the --tpm table, reversed CDS coordinates, and --device through a torch model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from zoo_core.errors import InputError
from zoo_core.seqio import Record
from zoo_ptr_cnn.dataloader import read_tpm
from zoo_ptr_cnn.regions import split_record

EX = Path(__file__).resolve().parents[1] / "src" / "zoo_ptr_cnn" / "examples"
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture(autouse=True)
def _ptr_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "zoo-ptr-cnn")


@pytest.mark.parametrize(("cell", "reason"), [
    ("", "sample 'root': empty cell"),  # was: a silent NaN column, like a TPM below the threshold
    ("inf", "sample 'root': 'inf' is not a finite number"),  # was: inf log2 TPM and protein
    ("NaN", "sample 'root': 'NaN' is not a number"),
    ("NA", "sample 'root': 'NA' is not a number"),
])
def test_tpm_table_refuses_missing_and_infinite_values(tmp_path: Path, cell: str, reason: str) -> None:
    path = tmp_path / "tpm.tsv"
    path.write_text(f"id\tleaf\troot\na\t8\t4\nb\t8\t{cell}\n")
    with pytest.raises(InputError) as e:
        read_tpm(path)
    assert str(e.value) == f"{path}: record 'b': {reason}"


def test_tpm_ids_are_strings_and_low_tpm_stays_nan(tmp_path: Path) -> None:
    path = tmp_path / "tpm.tsv"
    path.write_text("id\tleaf\n007\t0.5\n1e3\t4\n")
    _, table = read_tpm(path)
    assert sorted(table) == ["007", "1e3"]
    assert table["1e3"][0] == 2.0 and table["007"][0] != table["007"][0]  # below 1: NaN, as documented


def test_reversed_cds_says_start_after_end() -> None:
    seq = "GGCTTCAAACATGGCTAAACCCGATTGACTGTATATAAAG"
    with pytest.raises(InputError) as e:  # was: "CDS 28-11 lies outside the 40-nt sequence"
        split_record(Record("x", seq, "x cds=28-11"), source="genes.fa")
    assert str(e.value).startswith("genes.fa: record 'x': CDS 28-11: start > end")


@pytest.mark.parametrize("device", ["cuda", "gpu:0", "banana"])
def test_unavailable_or_unknown_device_is_one_line(zoo_cli: Cli, tmp_path: Path, device: str) -> None:
    import torch

    if device != "banana" and torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    out = tmp_path / "out.tsv"
    code, _, err = zoo_cli("predict", "ptr-cnn-athaliana", EX / "genes_athaliana.fa", "--device", device, "-o", out)
    assert code == 1 and "Traceback" not in err and not out.exists()
    line = err.splitlines()[0]
    assert line.startswith(f"Error: --device: '{device}' is not available: torch" if device != "banana"
                           else "Error: --device: unknown device 'banana'"), line


def test_cpu_device_runs(zoo_cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out.tsv"
    code, _, err = zoo_cli("predict", "ptr-cnn-athaliana", EX / "genes_athaliana.fa", "--device", "cpu", "-o", out, "-q")
    assert code == 0, err
    assert out.exists()
