"""zoo vep with Xpresso: on the real hg38 chr22 piece, at the four Kipoi windows' TSSs (one on the plus strand,
three on the minus), every score equals predict(alt window) − predict(ref window), the windows built here by
slicing the genome with the documented rule (an indel keeps the 10,500 nt by taking or dropping flank on the side
away from the TSS)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pyfaidx
import pytest

import zoo
from zoo_core.seqio import reverse_complement
from zoo_dev.vcf import write_vcf

EX = Path(__file__).resolve().parents[1] / "src" / "zoo_xpresso" / "examples"
GENOME = EX / "chr22_32000000_32300000.fa"
CONTIG = "chr22_32000000_32300000"
LENGTH, TSS_INDEX = 10500, 7000

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _xpresso_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "zoo-xpresso")


def _tss() -> list[tuple[str, int, str]]:
    out = []
    for line in (EX / "tss.bed").read_text().splitlines():
        _, start, _, name, _, strand = line.split("\t")
        out.append((name, int(start), strand))
    return out


def _variants(seq: str) -> list[tuple[int, str, str, str, int]]:
    """(0-based VCF position, REF, ALT, gene, tss): per TSS an SNV and 1-20 nt indels on both sides of it."""
    rng = random.Random(22)
    rows = []
    for name, tss, strand in _tss():
        for offset in (-6000, -40, -3, 0, 2, 35, 3000):  # on the gene's strand: upstream is negative
            p = tss + offset if strand == "+" else tss - offset
            kind = rng.choice(["snv", "del", "ins"])
            if kind == "snv":
                rows.append((p, seq[p], rng.choice([b for b in "ACGT" if b != seq[p]]), name, tss))
            elif kind == "del":
                n = rng.randint(1, 20)
                rows.append((p, seq[p: p + n + 1], seq[p], name, tss))
            else:
                rows.append((p, seq[p], seq[p] + "".join(rng.choice("ACGT") for _ in range(rng.randint(1, 20))), name, tss))
    return rows


def _window(seq: str, tss: int, strand: str, delta: int = 0, left_moves: bool = False) -> str:
    lo = tss - TSS_INDEX if strand == "+" else tss + TSS_INDEX + 1 - LENGTH
    if left_moves:
        lo += delta
    w = seq[lo: lo + LENGTH]
    return reverse_complement(w) if strand == "-" else w


def test_vep_equals_predict_on_independently_built_windows(zoo_cli, tmp_path: Path) -> None:
    seq = str(pyfaidx.Fasta(str(GENOME))[CONTIG]).upper()
    strands = {name: strand for name, _, strand in _tss()}
    rows = _variants(seq)
    vcf = tmp_path / "variants.vcf"
    write_vcf(vcf, [(CONTIG, p + 1, f"v{k}", ref, alt) for k, (p, ref, alt, _, _) in enumerate(rows)])
    out = tmp_path / "effects.parquet"
    code, _, err = zoo_cli("vep", "xpresso-human-median", vcf, "--genome", GENOME, "--annotation", EX / "tss.bed",
                           "-o", out)
    assert code == 0, err
    got = pd.read_parquet(out)
    assert got["id"].tolist() == [f"v{k}" for k in range(len(rows))]  # each variant touches exactly its own window
    refs, alts = [], []
    for p, ref, alt, name, tss in rows:
        strand = strands[name]
        mutated = seq[:p] + alt + seq[p + len(ref):]
        delta = len(alt) - len(ref)
        upstream = p + len(ref) - 1 < tss  # every changed base left of the TSS in genome order
        refs.append(_window(seq, tss, strand))
        alts.append(_window(mutated, tss, strand, delta, left_moves=upstream))
    assert all(len(a) == LENGTH for a in alts)
    m = zoo.get_model("xpresso-human-median")
    ref_pred = m.predict(list(dict.fromkeys(refs)))
    by_seq = dict(zip(dict.fromkeys(refs), ref_pred["expression_pred"], strict=True))
    alt_pred = m.predict(alts)["expression_pred"].to_numpy()
    expected = alt_pred - np.array([by_seq[r] for r in refs])
    assert np.abs(got["score"].to_numpy() - expected).max() < 1e-6
    assert got["strand"].tolist() == [strands[r[3]] for r in rows]
    assert got["gene_id"].tolist() == [r[3] for r in rows]
    assert (got["flag"] == "").all() and (got["score_name"] == "delta_expression_pred").all()
    # each window's reference once, each allele once: 28 + 4 forward passes for 28 pairs
    assert "1.143 forward passes per scored pair" in err


def test_a_gtf_of_transcripts_gives_the_same_scores_as_a_bed_of_tss(tmp_path: Path) -> None:
    seq = str(pyfaidx.Fasta(str(GENOME))[CONTIG]).upper()
    gtf = tmp_path / "tx.gtf"
    lines = []
    for name, tss, strand in _tss():
        lo, hi = (tss + 1, tss + 2000) if strand == "+" else (tss - 1999, tss + 1)  # 1-based inclusive
        attrs = f'gene_id "{name}"; transcript_id "{name}.t1";'
        lines += [f"{CONTIG}\tzoo\ttranscript\t{lo}\t{hi}\t.\t{strand}\t.\t{attrs}",
                  f"{CONTIG}\tzoo\texon\t{lo}\t{hi}\t.\t{strand}\t.\t{attrs}"]
    gtf.write_text("\n".join(lines) + "\n")
    rows = _variants(seq)[::5]
    vcf = tmp_path / "v.vcf"
    write_vcf(vcf, [(CONTIG, p + 1, f"v{k}", ref, alt) for k, (p, ref, alt, _, _) in enumerate(rows)])
    m = zoo.get_model("xpresso-human-median")
    by_bed = m.score_vcf(vcf, genome=GENOME, annotation=EX / "tss.bed")
    by_gtf = m.score_vcf(vcf, genome=GENOME, annotation=gtf)
    np.testing.assert_allclose(by_gtf["score"], by_bed["score"], atol=1e-7)
    assert by_gtf["transcript_id"].tolist() == [f"{g}.t1" for g in by_bed["gene_id"]]


def test_the_readme_example_vcf(zoo_cli, tmp_path: Path) -> None:
    out = tmp_path / "effects.tsv"
    code, _, err = zoo_cli("vep", "xpresso-human-median", EX / "variants.vcf", "--genome", GENOME, "--annotation",
                           EX / "tss.bed", "-o", out)
    assert code == 0, err
    got = pd.read_csv(out, sep="\t", keep_default_na=False, na_values=[""])
    assert "10 records, 12 ALT alleles" in err and "1 alleles outside every input" in err
    assert got["id"].tolist() == ["ex1", "ex2", "ex3", "ex5", "ex6", "ex6", "ex6", "ex7", "ex8", "ex9", "ex10"]
    assert got.loc[got["id"] == "ex9", "flag"].tolist() == ["symbolic_alt"] and got["score"].isna().sum() == 1
    kipoi = pd.read_csv(EX / "kipoi_expected.tsv", sep="\t").set_index("id")["expression_pred"]
    # the reference value of each window is the published prediction of that promoter
    assert np.abs(got["ref_value"].dropna() - kipoi.loc[got["gene_id"]].to_numpy()[got["ref_value"].notna()]).max() < 1e-5
