"""Bad inputs: each exits 1 with one line naming the file, record and reason, and writes nothing."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zoo_core.errors import InputError
from zoo_core.seqio import read_fasta

GOOD = "ACGT" * 50  # 200 nt, the toy model's window


def _fa(records: list[tuple[str, str]]) -> str:
    return "".join(f">{i}\n{s}\n" for i, s in records)


BAD = {
    "empty": ("", None, "empty file: no FASTA records"),
    "not-fasta": ("id\tvalue\nfoo\t1\n", None, "not a FASTA file: line 1 comes before any '>' header"),
    "letters": (_fa([("ok", GOOD), ("bad1", "ACGTX" + GOOD[5:])]), "bad1", "invalid nucleotide letter 'X' at position 5"),
    "length": (_fa([("short1", GOOD[:150])]), "short1", "sequence length 150, the model takes exactly 200 nt"),
    "duplicate": (_fa([("dup", GOOD), ("dup", GOOD)]), "dup", "duplicate id (first seen as record 1)"),
    "protein": (_fa([("prot1", "MEEPQSDPSVEPPLSQETFSDLWKLLPENNVLSPLPSQAMDDLMLSPDDIEQWFTEDPGP" * 3 + "MEEPQSDPSVEPPLSQETFS")]),
                "prot1", "this looks like a protein sequence"),
    "empty-record": (_fa([("e1", "")]) + _fa([("ok", GOOD)]), "e1", "empty sequence"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_nonzero_with_reason_and_no_output(case, toy, zoo_cli, tmp_path: Path) -> None:
    text, record, reason = BAD[case]
    inp = tmp_path / f"{case}.fa"
    inp.write_text(text)
    out = tmp_path / "out.tsv"
    code, _stdout, stderr = zoo_cli("predict", "toy", inp, "-o", out)
    assert code == 1
    first = stderr.strip().splitlines()[0]
    assert first.startswith(f"Error: {inp}")
    assert reason in first
    if record:
        assert f"record '{record}'" in first
    assert "Traceback" not in stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [inp], "no partial or temporary file left behind"


def test_missing_file(toy, zoo_cli, tmp_path: Path) -> None:
    missing = tmp_path / "nope.fa"
    code, _, stderr = zoo_cli("predict", "toy", missing, "-o", tmp_path / "out.tsv")
    assert code == 1
    assert stderr.splitlines()[0] == f"Error: {missing}: no such file"


def test_failure_late_in_file_leaves_no_partial_output(toy, zoo_cli, tmp_path: Path) -> None:
    """Many good records first (several batches written), one bad at the end: nothing is written."""
    inp = tmp_path / "in.fa"
    inp.write_text(_fa([(f"s{i}", GOOD) for i in range(100)] + [("last", GOOD[:10])]))
    out = tmp_path / "out.tsv"
    code, _, stderr = zoo_cli("predict", "toy", inp, "-o", out, "--batch-size", "8")
    assert code == 1 and "record 'last'" in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.fa"]


def test_unknown_model_suggests(toy, zoo_cli, tmp_path: Path) -> None:
    code, _, stderr = zoo_cli("predict", "tyo", tmp_path / "x.fa", "-o", tmp_path / "o.tsv")
    assert code == 1
    assert "Unknown model 'tyo'. Did you mean 'toy'?" in stderr


def test_case_gzip_and_rna_give_the_same_predictions(toy, zoo_cli, toy_example: Path, tmp_path: Path) -> None:
    records = list(read_fasta(toy_example))
    variants = {
        "upper.fa": _fa([(r.id, r.seq) for r in records]),
        "lower.fa": _fa([(r.id, r.seq.lower()) for r in records]),
        "rna.fa": _fa([(r.id, r.seq.replace("T", "U")) for r in records]),
    }
    tables = []
    for name, text in variants.items():
        (tmp_path / name).write_text(text)
        assert zoo_cli("predict", "toy", tmp_path / name, "-o", tmp_path / f"{name}.tsv", "-q")[0] == 0
        tables.append(pd.read_csv(tmp_path / f"{name}.tsv", sep="\t"))
    gz = tmp_path / "upper.fa.gz"
    gz.write_bytes(gzip.compress(variants["upper.fa"].encode()))
    assert zoo_cli("predict", "toy", gz, "-o", tmp_path / "gz.tsv", "-q")[0] == 0
    tables.append(pd.read_csv(tmp_path / "gz.tsv", sep="\t"))
    for t in tables[1:]:
        pd.testing.assert_frame_equal(t, tables[0])


def test_output_formats_by_extension(toy, zoo_cli, toy_example: Path, tmp_path: Path) -> None:
    for ext, reader in {".tsv": lambda p: pd.read_csv(p, sep="\t"), ".csv": pd.read_csv,
                        ".parquet": pd.read_parquet}.items():
        out = tmp_path / f"out{ext}"
        assert zoo_cli("predict", "toy", toy_example, "-o", out, "-q")[0] == 0
        df = reader(out)
        assert list(df.columns) == ["id", "score", "label"] and len(df) == 8
    code, _, stderr = zoo_cli("predict", "toy", toy_example, "-o", tmp_path / "out.xlsx")
    assert code == 1 and "unknown output format '.xlsx'" in stderr


def test_predictions_do_not_depend_on_batch_size(toy, toy_example: Path) -> None:
    import zoo

    m = zoo.get_model("toy")
    a = m.predict(toy_example, batch_size=1)
    b = m.predict(toy_example, batch_size=5)
    assert a["id"].tolist() == b["id"].tolist()
    assert (a["score"] - b["score"]).abs().max() < 1e-6


def test_fasta_reader_streams(tmp_path: Path) -> None:
    """The reader yields the first record before reading the rest (a bad tail is only seen later)."""
    p = tmp_path / "x.fa"
    p.write_text(">a\nACGT\n>b\n\n>a\nAC\n")
    it = read_fasta(p)
    assert next(it).id == "a"
    with pytest.raises(InputError, match="record 'b': empty sequence"):
        next(it)


def test_feature_table_by_column_name_in_any_order_with_bounds(tmp_path: Path) -> None:
    """A feature table written by another tool: columns found by name and returned in the model's order; a missing
    or unknown column and a value out of range are one-line errors naming the file, the record and the column."""
    from zoo_core.dataloaders import read_feature_table

    table = tmp_path / "features.tsv"
    table.write_text("gc\tid\tlength\nx\tg1\t1200\n")
    with pytest.raises(InputError, match=r"'x' is not a number"):
        read_feature_table(table, "extra", columns=["length", "gc"])
    table.write_text("gc\tid\tlength\n0.4\tg1\t1200\n0.6\tg2\t80\n")
    got = read_feature_table(table, "extra", columns=["length", "gc"], bounds={"gc": (0, 1)})
    assert got["g1"].tolist() == pytest.approx([1200, 0.4]) and got["g2"].tolist() == pytest.approx([80, 0.6])
    with pytest.raises(InputError, match=r"features\.tsv: record 'g2': column 'length' of input 'extra': 80 is outside "
                                         r"100\.\.inf; give raw lengths"):
        read_feature_table(table, "extra", columns=["length", "gc"], bounds={"length": (100, np.inf)},
                           hint="give raw lengths")
    table.write_text("id\tlength\tGC\n")
    with pytest.raises(InputError, match=r"expected columns 'id' \+ length, gc \(any order\) for input 'extra': "
                                         r"missing gc; unknown GC"):
        read_feature_table(table, "extra", columns=["length", "gc"])
