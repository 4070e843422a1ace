"""Bad input stops with one line naming the file and the record, exit code 1, and no output file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import zoo
from zoo_core.errors import InputError
from zoo_core.seqio import read_fasta

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "zoo_aparent2" / "examples"
PAIRS = EXAMPLES / "variant_pairs.tsv"
Cli = Callable[..., tuple[int, str, str]]


def _error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, err
    return lines[0]


def test_a_204_nt_window_names_the_record(zoo_cli: Cli, tmp_path: Path) -> None:
    windows = list(read_fasta(EXAMPLES / "pas_windows.fa"))
    bad = tmp_path / "bad.fa"
    bad.write_text(f">{windows[0].id}\n{windows[0].seq}\n>short_one\n{windows[1].seq[:204]}\n")
    out = tmp_path / "out.tsv"
    code, _, err = zoo_cli("predict", "aparent2-resnet", bad, "-o", out)
    assert code == 1
    line = _error_line(err)
    assert str(bad) in line and "'short_one'" in line and "204" in line and "205" in line
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]


def test_a_pairs_file_without_alt_names_the_file(zoo_cli: Cli, tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.tsv"
    pd.read_csv(PAIRS, sep="\t").drop(columns="alt").to_csv(pairs, sep="\t", index=False)
    out = tmp_path / "out.tsv"
    code, _, err = zoo_cli("vep", "aparent2-resnet", "--pairs", pairs, "-o", out)
    assert code == 1
    line = _error_line(err)
    assert str(pairs) in line and "'alt'" in line
    assert not out.exists()


def test_a_duplicate_pair_id_names_the_file_and_the_record(zoo_cli: Cli, tmp_path: Path) -> None:
    table = pd.read_csv(PAIRS, sep="\t")
    pairs = tmp_path / "pairs.tsv"
    pd.concat([table, table.iloc[[1]]]).to_csv(pairs, sep="\t", index=False)
    out = tmp_path / "out.tsv"
    code, _, err = zoo_cli("vep", "aparent2-resnet", "--pairs", pairs, "-o", out)
    assert code == 1
    line = _error_line(err)
    assert str(pairs) in line and "'TP53'" in line and "duplicate" in line
    assert not out.exists()


def test_a_short_alt_names_the_pair(zoo_cli: Cli, tmp_path: Path) -> None:
    table = pd.read_csv(PAIRS, sep="\t")
    table.loc[2, "alt"] = table.loc[2, "alt"][:204]
    pairs = tmp_path / "pairs.tsv"
    table.to_csv(pairs, sep="\t", index=False)
    code, _, err = zoo_cli("vep", "aparent2-resnet", "--pairs", pairs, "-o", tmp_path / "out.tsv")
    assert code == 1
    line = _error_line(err)
    assert str(pairs) in line and "'F2'" in line and "204" in line
    assert not (tmp_path / "out.tsv").exists()


def test_an_unknown_library_names_the_option(zoo_cli: Cli, tmp_path: Path) -> None:
    code, _, err = zoo_cli("predict", "aparent2-resnet", EXAMPLES / "pas_windows.fa", "--library", "13",
                           "-o", tmp_path / "out.tsv")
    assert code != 0 and "--library" in err
    assert not (tmp_path / "out.tsv").exists()


def test_python_api_errors_name_the_record() -> None:
    with pytest.raises(InputError, match="seq_0"):
        zoo.get_model("aparent2-resnet").predict(["ACGT" * 51])
