"""Kipoi's published Framepool variant effects reproduced through the VCF path (`zoo vep framepool x.vcf --genome
--annotation`): a small genome holds each published reference 5'UTR, followed by a CDS and a 3'UTR, some spliced
(an intron in the 5'UTR, one in the CDS), some on the minus strand; a GTF/GFF3 annotates them and a VCF turns each
reference UTR into the published alternative one. The scores must equal the published ones as `--pairs` does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import zoo
from zoo_core.seqio import reverse_complement
from zoo_dev.vcf import vcf_record

EX = Path(__file__).resolve().parents[1] / "src" / "zoo_framepool" / "examples"
PAIRS = pd.read_csv(EX / "calvo_pairs.tsv", sep="\t")
PUBLISHED = pd.read_csv(EX / "calvo_pairs_expected.tsv", sep="\t").set_index("id")
SCORES = ["mrl_log2fc", "mrl_log2fc_shift1", "mrl_log2fc_shift2"]
TOLERANCE = 1e-5  # as the --pairs tests: the published numbers have 6 decimals (measured here: under 1e-6)
COLUMNS = ["chrom", "pos", "ref", "alt", "id", "gene_id", "transcript_id", "strand", "model", "output",
           "ref_value", "alt_value", "score_name", "score", "flag"]
Cli = Callable[..., tuple[int, str, str]]
Span = tuple[int, int]

pytestmark = pytest.mark.slow  # runs the torch model

# per published pair (calvo_pairs.tsv order): contig, strand, and where the mRNA is cut into exons
# ("utr": an intron inside the 5'UTR away from the variant; "cds": one inside the CDS too)
LAYOUT = {
    "TMEM127": ("chr1", "-", ("utr",)),
    "CPOX": ("chr1", "+", ("utr", "cds")),
    "CDKN2A": ("chr1", "-", ("cds",)),
    "HBB": ("chr2", "-", ("utr", "cds")),
    "RPL5": ("chr2", "+", ()),
}
REAL_STRAND = {"TMEM127": "-", "CPOX": "-", "CDKN2A": "-", "HBB": "-", "RPL5": "+"}  # in GRCh38


@pytest.fixture(autouse=True)
def _framepool_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "zoo-framepool")


@dataclass
class Transcript:
    tid: str
    gene: str
    contig: str
    strand: str
    exons: list[Span]  # genomic, 0-based half-open, sorted
    cds: list[Span]


def _pre_mrna(mrna: str, cuts: list[int], introns: list[str]) -> tuple[str, list[Span]]:
    """The pre-mRNA (``introns`` at the mRNA offsets ``cuts``) and its exons, in 5'->3' offsets."""
    pre, exons, last = "", [], 0
    for cut, intron in zip([*cuts, len(mrna)], [*introns, ""], strict=True):
        exons.append((len(pre), len(pre) + cut - last))
        pre += mrna[last:cut] + intron
        last = cut
    return pre, exons


class GenomeBuilder:
    """Contigs made of random flank and transcripts, each placed 5'→3' on its strand; the VCF records that turn
    a transcript's reference mRNA into an alternative one."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.contigs: dict[str, str] = {}
        self.transcripts: list[Transcript] = []
        self.records: list[tuple[str, int, str, str, str]] = []  # contig, POS, ID, REF, ALT

    def filler(self, n: int) -> str:
        return "".join(self.rng.choice(list("ACGT"), n))

    def add(self, contig: str, strand: str, tid: str, gene: str, mrna: str, cuts: list[int], cds: Span,
            alts: dict[str, str]) -> None:
        """Place ``mrna`` (exons cut at the mRNA offsets ``cuts``, GT…AG introns between them, CDS at the mRNA
        offsets ``cds``) after some flank; ``alts``: VCF ID -> alternative mRNA (one change inside an exon)."""
        introns = ["GT" + self.filler(60 + 7 * k) + "AG" for k in range(len(cuts))]
        pre, exons = _pre_mrna(mrna, cuts, introns)
        offset = len(self.contigs.get(contig, "")) + 150
        self.contigs[contig] = self.contigs.get(contig, "") + self.filler(150)

        def genomic(s: int, e: int) -> Span:  # pre-mRNA 5'->3' offsets -> plus-strand contig coordinates
            return (offset + s, offset + e) if strand == "+" else (offset + len(pre) - e, offset + len(pre) - s)

        def plus(seq: str) -> str:
            return seq if strand == "+" else reverse_complement(seq)

        cds_pre, spliced = [], 0  # the CDS on the pre-mRNA: the mRNA range cut by the exons
        for s, e in exons:
            lo, hi = max(cds[0], spliced), min(cds[1], spliced + e - s)
            if lo < hi:
                cds_pre.append((s + lo - spliced, s + hi - spliced))
            spliced += e - s
        self.transcripts.append(Transcript(tid, gene, contig, strand, sorted(genomic(*x) for x in exons),
                                           sorted(genomic(*x) for x in cds_pre)))
        block = plus(pre)
        for vid, alt_mrna in alts.items():
            where, delta = vcf_record(mrna, alt_mrna)[0], len(alt_mrna) - len(mrna)
            alt_cuts = [c + delta if c > where else c for c in cuts]
            at, ref, alt = vcf_record(block, plus(_pre_mrna(alt_mrna, alt_cuts, introns)[0]))
            self.records.append((contig, offset + at + 1, vid, ref, alt))
        self.contigs[contig] += block

    def write(self, folder: Path, fmt: str, *, ann_chrom: Callable[[str], str] = str) -> tuple[Path, Path, Path]:
        for name in self.contigs:
            self.contigs[name] += self.filler(150)
        genome = folder / "genome.fa"
        genome.write_text("".join(f">{name}\n" + "".join(seq[i:i + 60] + "\n" for i in range(0, len(seq), 60))
                                  for name, seq in self.contigs.items()))
        lines, genes = [], set()
        for t in self.transcripts:
            chrom = ann_chrom(t.contig)
            if fmt == "gtf":
                attrs = f'gene_id "{t.gene}"; transcript_id "{t.tid}";'
                lines += [f"{chrom}\ttest\texon\t{s + 1}\t{e}\t.\t{t.strand}\t.\t{attrs}" for s, e in t.exons]
                lines += [f"{chrom}\ttest\tCDS\t{s + 1}\t{e}\t.\t{t.strand}\t0\t{attrs}" for s, e in t.cds]
            else:
                lo, hi = t.exons[0][0], t.exons[-1][1]
                if t.gene not in genes:
                    genes.add(t.gene)
                    lines.append(f"{chrom}\ttest\tgene\t{lo + 1}\t{hi}\t.\t{t.strand}\t.\tID={t.gene}")
                lines.append(f"{chrom}\ttest\tmRNA\t{lo + 1}\t{hi}\t.\t{t.strand}\t.\tID={t.tid};Parent={t.gene}")
                lines += [f"{chrom}\ttest\texon\t{s + 1}\t{e}\t.\t{t.strand}\t.\tParent={t.tid}" for s, e in t.exons]
                lines += [f"{chrom}\ttest\tCDS\t{s + 1}\t{e}\t.\t{t.strand}\t0\tParent={t.tid}" for s, e in t.cds]
        ann = folder / f"annotation.{fmt}"
        ann.write_text(("##gff-version 3\n" if fmt == "gff3" else "") + "\n".join(lines) + "\n")
        vcf = folder / "variants.vcf"
        head = ["##fileformat=VCFv4.2", *(f"##contig=<ID={c},length={len(s)}>" for c, s in self.contigs.items()),
                "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
        order = {c: k for k, c in enumerate(self.contigs)}
        rows = sorted(self.records, key=lambda r: (order[r[0]], r[1]))
        vcf.write_text("\n".join(head + [f"{c}\t{p}\t{i}\t{r}\t{a}\t.\tPASS\t." for c, p, i, r, a in rows])
                       + "\n")
        return genome, ann, vcf


def _indels(utr: str, at: int) -> dict[str, str]:
    """Alternative 5'UTRs: 2 nt deleted at ``at``, 3 nt inserted before it (ID suffix -> UTR)."""
    return {"_del": utr[:at] + utr[at + 2:], "_ins": utr[:at] + "GCA" + utr[at:]}


def _build(folder: Path, fmt: str, *, indels: bool = False,
           **names: Callable[[str], str]) -> tuple[Path, Path, Path]:
    """The five Calvo transcripts (each published pair's variant as a VCF record, ID = the pair's id), a
    non-coding transcript over RPL5, and two variants outside every 5'UTR (in a CDS, in flank); with ``indels``,
    also :func:`_indels` of each reference UTR at its published variant (IDs: the pair's id + the suffix)."""
    b = GenomeBuilder(seed=7)
    for row in PAIRS.itertuples():
        contig, strand, splits = LAYOUT[row.gene]
        ref, alt = row.ref, row.alt
        change = vcf_record(ref, alt)[0]
        cds = "ATG" + "".join(b.rng.choice(["GCT", "GAA", "CTG", "AAG", "TCC", "GGC"], 30)) + "TGA"
        tail = b.filler(40)
        cuts = []
        if "utr" in splits:  # an intron in the 5'UTR, on the side of the variant with more room
            cuts.append(change // 2 if change > len(ref) // 2 else (change + len(ref)) // 2)
        if "cds" in splits:
            cuts.append(len(ref) + 25)
        mrna, cds_span = ref + cds + tail, (len(ref), len(ref) + len(cds))
        alts = {row.id: alt + cds + tail}
        if indels:
            alts.update({row.id + k: u + cds + tail for k, u in _indels(ref, change).items()})
        if row.gene == "CPOX":  # an SNV in the CDS: outside the 5'UTR
            alts["in_cds"] = mrna[:len(ref) + 40] + ("A" if mrna[len(ref) + 40] != "A" else "C") + mrna[len(ref) + 41:]
        b.add(contig, strand, row.id, row.gene, mrna, cuts, cds_span, alts)
        if row.gene == "RPL5":
            t = b.transcripts[-1]
            b.transcripts.append(Transcript("NC_RPL5", "RPL5", contig, strand, [(t.exons[0][0], t.exons[-1][1])], []))
    b.records.append(("chr2", 20, "in_flank", b.contigs["chr2"][19], "T" if b.contigs["chr2"][19] != "T" else "G"))
    return b.write(folder, fmt, **names)


def _check_published(got: pd.DataFrame) -> float:
    """Each published pair once per score, on its transcript and strand; returns the max |Δ| to the published."""
    assert list(got.columns) == COLUMNS
    got = got[got["id"].isin(PAIRS["id"])]
    assert len(got) == len(PAIRS) * len(SCORES)
    assert set(got["id"]) == set(PAIRS["id"])
    assert (got["model"] == "framepool").all()
    assert got["flag"].fillna("").eq("").all()
    worst = 0.0
    for row in PAIRS.itertuples():
        rows = got[got["id"] == row.id].set_index("score_name")
        assert list(rows.index) == SCORES
        assert set(rows["transcript_id"]) == {row.id} and set(rows["gene_id"]) == {row.gene}
        assert set(rows["strand"]) == {LAYOUT[row.gene][1]}
        assert list(rows["output"]) == ["mrl", "mrl_shift1", "mrl_shift2"]
        np.testing.assert_allclose(rows["score"], np.log2(rows["alt_value"] / rows["ref_value"]), atol=1e-6)
        for s in SCORES:
            worst = max(worst, abs(rows.loc[s, "score"] - PUBLISHED.loc[row.id, s]))
    assert worst <= TOLERANCE
    return worst


def test_vep_cli_vcf_path_reproduces_the_15_published_effects(zoo_cli: Cli, tmp_path: Path) -> None:
    genome, ann, vcf = _build(tmp_path, "gtf")
    out = tmp_path / "effects.tsv"
    code, _, err = zoo_cli("vep", "framepool", vcf, "--genome", genome, "--annotation", ann, "-o", out)
    assert code == 0, err
    assert "7 records, 7 ALT alleles" in err and "5 (allele, feature) pairs scored" in err
    assert "2 alleles outside every input" in err
    got = pd.read_csv(out, sep="\t", dtype={"flag": str})
    _check_published(got)
    # REF/ALT are on the plus strand: Calvo's own alleles where a gene lies on its real strand, else complemented
    for row in PAIRS.itertuples():
        r = got[got["id"] == row.id].iloc[0]
        calvo_ref, calvo_alt = row.variant.split(":")[2].split(">")
        if LAYOUT[row.gene][1] != REAL_STRAND[row.gene]:
            calvo_ref, calvo_alt = reverse_complement(calvo_ref), reverse_complement(calvo_alt)
        assert (r["ref"], r["alt"]) == (calvo_ref, calvo_alt), row.gene


def test_score_vcf_with_gff3_and_other_contig_names(tmp_path: Path) -> None:
    """GFF3 without 'chr', VCF with it, genome with it: the same published numbers from Python."""
    genome, ann, vcf = _build(tmp_path, "gff3", ann_chrom=lambda c: c.removeprefix("chr"))
    got = zoo.get_model("framepool").score_vcf(vcf, genome=genome, annotation=ann)
    _check_published(got)
    assert set(got["chrom"]) == {"chr1", "chr2"}
    summary = got.attrs["summary"]
    assert (summary.records, summary.scored, summary.outside, summary.flagged) == (7, 5, 2, 0)


def test_vcf_output_carries_the_published_numbers_in_info(zoo_cli: Cli, tmp_path: Path) -> None:
    from cyvcf2 import VCF

    genome, ann, vcf = _build(tmp_path, "gtf")
    out = tmp_path / "effects.vcf.gz"
    code, _, err = zoo_cli("vep", "framepool", vcf, "--genome", genome, "--annotation", ann, "-o", out, "-q")
    assert code == 0, err
    reader = VCF(str(out))
    desc = reader.get_header_type("ZOO_FRAMEPOOL")["Description"]
    assert f"ALLELE|gene_id|transcript_id|strand|{'|'.join(SCORES)}|flag" in desc
    seen = {}
    for rec in reader:
        info = rec.INFO.get("ZOO_FRAMEPOOL")
        if rec.ID not in set(PAIRS["id"]):
            assert info is None, rec.ID
            continue
        (entry,) = info.split(",")
        allele, gene, tid, strand, *scores, flag = entry.split("|")
        assert (allele, tid, flag) == (rec.ALT[0], rec.ID, "")
        assert gene == PUBLISHED.loc[rec.ID, "gene"] and strand == LAYOUT[gene][1]
        for name, text in zip(SCORES, scores, strict=True):
            assert text == f"{float(text):.6g}"  # 6 significant digits
            assert float(text) == pytest.approx(PUBLISHED.loc[rec.ID, name], abs=TOLERANCE)
        seen[rec.ID] = [float(x) for x in scores]
    reader.close()
    assert sorted(seen) == sorted(PAIRS["id"])
    table = zoo.get_model("framepool").score_vcf(vcf, genome=genome, annotation=ann)
    for vid, values in seen.items():
        exact = table[table["id"] == vid].set_index("score_name").loc[SCORES, "score"]
        assert values == [float(f"{x:.6g}") for x in exact]


def test_indels_with_a_padding_base_score_the_edited_utr(tmp_path: Path) -> None:
    """Deletions and insertions (VCF padding base, plus strand, spliced UTRs on either strand) give what --pairs
    gives for the reference UTR and the UTR with the same edit; the UTR's length follows the indel."""
    genome, ann, vcf = _build(tmp_path, "gtf", indels=True)
    lines = [x.split("\t") for x in vcf.read_text().splitlines() if not x.startswith("#")]
    assert {len(r) - len(a) for _, _, i, r, a, *_ in lines if i.endswith("_del")} == {2}
    assert {len(a) - len(r) for _, _, i, r, a, *_ in lines if i.endswith("_ins")} == {3}
    model = zoo.get_model("framepool")
    got = model.score_vcf(vcf, genome=genome, annotation=ann)
    _check_published(got)
    pairs = pd.DataFrame([(row.id + k, row.ref, u) for row in PAIRS.itertuples()
                          for k, u in _indels(row.ref, vcf_record(row.ref, row.alt)[0]).items()], columns=["id", "ref", "alt"])
    expected = model.score_pairs(pairs).set_index("id")
    indel = got[got["id"].isin(pairs["id"])]
    assert len(indel) == len(pairs) * len(SCORES) and indel["flag"].fillna("").eq("").all()
    for vid, rows in indel.groupby("id"):
        assert set(rows["transcript_id"]) == {vid.rsplit("_", 1)[0]}
        rows = rows.set_index("score_name")
        assert rows.loc["mrl_log2fc", "ref_value"] == pytest.approx(expected.loc[vid, "mrl_ref"], abs=1e-5)
        assert rows.loc["mrl_log2fc", "alt_value"] == pytest.approx(expected.loc[vid, "mrl_alt"], abs=1e-5)
        for s in SCORES:
            assert rows.loc[s, "score"] == pytest.approx(expected.loc[vid, s], abs=1e-6), (vid, s)
