"""The shipped ptr-cnn models through the user's commands: predict, --tpm, genome + GFF, explain, ptr-weights."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

import zoo
from zoo_core.seqio import read_fasta
from zoo_ptr_cnn.regions import split_record

PKG = Path(__file__).resolve().parents[1] / "src" / "zoo_ptr_cnn"
EX = PKG / "examples"
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture(autouse=True)
def _ptr_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "zoo-ptr-cnn")


@pytest.mark.parametrize("organism", ["athaliana", "hsapiens"])
def test_bundled_example_reproduces_expected_outputs(zoo_cli: Cli, organism: str) -> None:
    code, out, err = zoo_cli("test", f"ptr-cnn-{organism}")
    assert code == 0, err
    assert out.startswith(f"ptr-cnn-{organism}: PASS (24 records")


def test_readme_command_writes_the_table(zoo_cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out.tsv"
    code, _, err = zoo_cli("predict", "ptr-cnn-athaliana", EX / "genes_athaliana.fa", "-o", out, "-q")
    assert code == 0, err
    got = pd.read_csv(out, sep="\t", keep_default_na=False)
    assert list(got.columns) == ["id", "len_5utr", "len_cds", "len_3utr", "flags", "slope_a", "intercept_b",
                                 "slope_a_sd", "intercept_b_sd"]
    first = next(read_fasta(EX / "genes_athaliana.fa", keep_case=True))
    r = split_record(first, source="x")
    assert got.loc[0, ["id", "len_5utr", "len_cds", "len_3utr"]].tolist() == [r.id, len(r.utr5), len(r.cds), len(r.utr3)]
    expected = pd.read_csv(EX / "expected_athaliana.tsv", sep="\t")
    np.testing.assert_allclose(got["slope_a"], expected["slope_a"], atol=1e-4)


def test_tpm_gives_protein_and_ptr_per_sample(tmp_path: Path) -> None:
    got = zoo.get_model("ptr-cnn-athaliana").predict(EX / "genes_athaliana.fa", tpm=EX / "tpm_athaliana.tsv")
    tpm = pd.read_csv(EX / "tpm_athaliana.tsv", sep="\t").set_index("id").loc[got["id"]]
    for sample in ("leaf_0h", "leaf_1h", "leaf_8h"):
        x = np.where(tpm[sample] >= 1, np.log2(tpm[sample].clip(lower=1e-12)), np.nan)
        np.testing.assert_allclose(got[f"log2_tpm:{sample}"], x, rtol=1e-6)
        np.testing.assert_allclose(got[f"pred_log2_protein:{sample}"], got["slope_a"] * x + got["intercept_b"], rtol=1e-6)
        np.testing.assert_allclose(got[f"pred_log2_ptr:{sample}"], got[f"pred_log2_protein:{sample}"] - x, rtol=1e-6)


def test_genome_and_gff_give_the_same_prediction_as_fasta(zoo_cli: Cli, tmp_path: Path) -> None:
    """Put two real example transcripts into a genome with introns (one on each strand) and cut them back out."""
    recs = [split_record(r, source="x") for r in list(read_fasta(EX / "genes_athaliana.fa", keep_case=True))[:2]]
    intron = "GT" + "A" * 80 + "AG"
    comp = str.maketrans("ACGT", "TGCA")
    contig, gff = "N" * 50, []
    for k, r in enumerate(recs):
        seq = r.utr5 + r.cds + r.utr3
        cut = len(r.utr5) + len(r.cds) // 2  # an intron in the middle of the CDS
        exons = [seq[:cut], seq[cut:]]
        strand = "+" if k == 0 else "-"
        pieces = exons if strand == "+" else [e.translate(comp)[::-1] for e in reversed(exons)]
        start = len(contig)
        spans = [(start, start + len(pieces[0])), (start + len(pieces[0]) + len(intron), 0)]
        spans[1] = (spans[1][0], spans[1][0] + len(pieces[1]))
        contig += pieces[0] + intron + pieces[1] + "N" * 50
        tid = f"rna-{k}"
        attrs = f"ID={tid};orig_transcript_id=gnl|JCVI|mRNA.{r.id}"
        gff.append(f"chr1\tt\tmRNA\t{spans[0][0] + 1}\t{spans[1][1]}\t.\t{strand}\t.\t{attrs}")
        # CDS in genome coordinates: transcript offsets mapped through the exons
        c0, c1 = len(r.utr5), len(r.utr5) + len(r.cds)
        if strand == "-":
            c0, c1 = len(seq) - c1, len(seq) - c0
        plus = [(s, e) for s, e in spans]
        offset = 0
        for s, e in plus:
            gff.append(f"chr1\tt\texon\t{s + 1}\t{e}\t.\t{strand}\t.\tParent={tid}")
            lo, hi = max(c0, offset), min(c1, offset + e - s)
            if lo < hi:
                gff.append(f"chr1\tt\tCDS\t{s + lo - offset + 1}\t{s + hi - offset}\t.\t{strand}\t0\tParent={tid}")
            offset += e - s
    genome = tmp_path / "genome.fa"
    genome.write_text(">chr1\n" + contig + "\n")
    ann = tmp_path / "genes.gff3"
    ann.write_text("##gff-version 3\n" + "\n".join(gff) + "\n")
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(r.id for r in recs) + "\n")

    expected = pd.read_csv(EX / "expected_athaliana.tsv", sep="\t").set_index("id").loc[[r.id for r in recs]]
    out = tmp_path / "out.tsv"
    code, _, err = zoo_cli("predict", "ptr-cnn-athaliana", ids, "--genome", genome, "--gff", ann, "-o", out, "-q")
    assert code == 0, err
    got = pd.read_csv(out, sep="\t").set_index("id")
    np.testing.assert_allclose(got["slope_a"], expected["slope_a"], atol=1e-4)
    np.testing.assert_allclose(got["len_cds"], expected["len_cds"])
    code, _, err = zoo_cli("predict", "ptr-cnn-athaliana", ann, "--genome", genome, "-o", out, "-q")
    assert code == 0, err
    assert sorted(pd.read_csv(out, sep="\t")["id"]) == ["rna-0", "rna-1"]


@pytest.mark.parametrize(("header", "body", "reason"), [
    ("bad cds=1-10", "ATGGCTAAACCCGATTGA", "CDS length 10 is not a multiple of 3"),
    ("bad", "ATGGCTAAACCCGATTGA", "no CDS marked"),
    ("bad cds=1-18", "ATGTAAAAACCCGATTGA", "in-frame stop codon TAA"),
])
def test_malformed_record_fails_the_whole_run_with_a_clear_error(zoo_cli: Cli, tmp_path: Path, header: str, body: str,
                                                                   reason: str) -> None:
    genes = tmp_path / "genes.fa"
    genes.write_text((EX / "genes_athaliana.fa").read_text() + f">{header}\n{body}\n")
    out = tmp_path / "out.tsv"
    code, _, err = zoo_cli("predict", "ptr-cnn-athaliana", genes, "-o", out, "-q")
    assert code == 1
    assert err.startswith(f"Error: {genes}: record 'bad': {reason}")
    assert "Traceback" not in err and not out.exists() and not list(tmp_path.glob(".out.tsv*"))


def test_tpm_table_without_the_record_is_an_error(zoo_cli: Cli, tmp_path: Path) -> None:
    tpm = tmp_path / "tpm.tsv"
    tpm.write_text("id\tleaf\nsomething_else\t3\n")
    code, _, err = zoo_cli("predict", "ptr-cnn-athaliana", EX / "genes_athaliana.fa", "--tpm", tpm, "-o",
                           tmp_path / "o.tsv", "-q")
    assert code == 1 and "no row for this transcript in the TPM table" in err


def test_ism_on_each_region(zoo_cli: Cli, tmp_path: Path) -> None:
    genes = tmp_path / "one.fa"
    first = next(read_fasta(EX / "genes_athaliana.fa", keep_case=True))
    r = split_record(first, source="x")
    short = f">{r.id} cds={len(r.utr5) + 1}-{len(r.utr5) + 90}\n{r.utr5}{r.cds[:87]}TAA{r.utr3}\n"
    genes.write_text(short)
    out = tmp_path / "attr.h5"
    code, _, err = zoo_cli("explain", "ptr-cnn-athaliana", genes, "--method", "ism", "-o", out, "-q")
    assert code == 0, err
    with h5py.File(out) as h5:
        assert list(h5.attrs["inputs"]) == ["utr5", "cds", "utr3"]
        for name, length in (("utr5", len(r.utr5)), ("cds", 90), ("utr3", len(r.utr3))):
            attr, onehot = h5[f"attr/{name}/0"][:], h5[f"onehot/{name}/0"][:]
            assert attr.shape == (length, 4)
            assert np.all(attr[onehot == 1] == 0)  # the wild-type base's entry is exactly 0
            assert np.abs(attr).max() > 0


def test_ig_and_grad_run_and_ig_is_complete_on_the_cds(tmp_path: Path) -> None:
    model = zoo.get_model("ptr-cnn-athaliana")
    [ig_cds] = [a for a in model.explain(EX / "genes_athaliana.fa", method="ig") if a.input == "cds"][:1]
    assert ig_cds.attr.shape == ig_cds.onehot.shape
    grads = [a for a in model.explain(EX / "genes_athaliana.fa", method="grad") if a.input == "utr3"]
    assert len(grads) == 24 and all(np.all(g.attr[g.onehot == 0] == 0) for g in grads)


def test_ptr_weights_writes_the_global_view(zoo_cli: Cli, tmp_path: Path) -> None:
    code, _, err = zoo_cli("ptr-weights", "ptr-cnn-athaliana", "-o", tmp_path / "view")
    assert code == 0, err
    table = pd.read_csv(tmp_path / "view" / "slope_weights.tsv", sep="\t")
    assert len(table) == 376 and table["weight_on_slope"].abs().max() > 0
    for name in ("amino_acids.png", "codons.png", "start_context.png", "stop_context.png", "filters.meme",
                 "filters/conv_utr3.png"):
        assert (tmp_path / "view" / name).stat().st_size > 0
    members = json.loads((PKG / "models" / "ptr-cnn-athaliana" / "config.json").read_text())["ensemble"]
    assert (tmp_path / "view" / "filters.meme").read_text().count("MOTIF conv_utr5.") == 16 * members


def test_options_a_model_does_not_take_are_refused(zoo_cli: Cli, tmp_path: Path) -> None:
    code, _, err = zoo_cli("predict", "ptr-cnn-athaliana", EX / "genes_athaliana.fa", "--features", EX / "tpm_athaliana.tsv",
                           "-o", tmp_path / "o.tsv")
    assert code == 2 and "model ptr-cnn-athaliana has no option --features; its own options: --gff, --tpm" in err
    assert not (tmp_path / "o.tsv").exists()


def test_help_lists_the_models_own_options(zoo_cli: Cli) -> None:
    code, out, _ = zoo_cli("predict", "ptr-cnn-athaliana", "--help")
    assert code == 0
    assert "--tpm PATH" in out and "--gff PATH" in out and "per sample" in out
    code, out, _ = zoo_cli("explain", "ptr-cnn-athaliana", "--help")
    assert code == 0 and "--tpm PATH" in out


def test_png_per_region_and_an_empty_region_is_kept_empty(zoo_cli: Cli, tmp_path: Path) -> None:
    genes = tmp_path / "no_utr5.fa"
    genes.write_text(">x cds=1-18\nATGGCTAAACCCGATTGACTGTATATAAAG\n")
    code, _, err = zoo_cli("explain", "ptr-cnn-athaliana", genes, "--method", "grad", "-o", tmp_path / "a.h5",
                           "--png-dir", tmp_path / "png", "-q")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == ["x.cds.grad.png", "x.utr3.grad.png"]
    with h5py.File(tmp_path / "a.h5") as h5:
        assert h5["attr/utr5/0"].shape == (0, 4)
