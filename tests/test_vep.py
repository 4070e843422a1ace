"""`zoo vep MODEL variants.vcf`: VCF → model inputs (anchors) → scores, with the correctness rules of the docs.

Expected sequences and scores are computed here by plain string slicing on the genome and by predicting the
independently built windows, never by the code under test.
"""

from __future__ import annotations

import gzip
import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

import zoo
from zoo_core import hookimpl
from zoo_core.anchors import Feature
from zoo_core.errors import InputError
from zoo_core.intervals import Genome
from zoo_core.seqio import reverse_complement
from zoo_core.variants import allele
from zoo_dev.vcf import write_vcf

LENGTH, ANCHOR = 200, 50  # the toy's window, with its anchor (a "site") at index 50


def _genome(path: Path, contigs: dict[str, str]) -> Path:
    path.write_text("".join(f">{name}\n{seq}\n" for name, seq in contigs.items()))
    return path


@pytest.fixture(scope="module")
def chrom() -> str:
    rng = random.Random(7)
    return "".join(rng.choice("ACGT") for _ in range(3000))


@pytest.fixture
def genome(tmp_path: Path, chrom: str) -> Path:
    return _genome(tmp_path / "genome.fa", {"chr1": chrom, "chr2": chrom[::-1]})


@pytest.fixture
def toy_vep(toy_plugin: ModuleType, use_plugins: Callable, tmp_path: Path) -> str:
    """The toy model with an anchored 200-nt window and ``vep: {anchor: window}``, registered as toy-vep."""
    src = Path(toy_plugin.__file__).parent / "models" / "toy"
    dest = tmp_path / "models" / "toy-vep"
    shutil.copytree(src, dest)
    text = (dest / "model.yaml").read_text()
    text = text.replace("name: toy ", "name: toy-vep ", 1)
    text = text.replace("    # anchor: {name: TSS, index: 7000}", f"    anchor: {{name: site, index: {ANCHOR}}}")
    text = text.replace("\ndataloader:", "\nvep:\n  anchor: window\ndataloader:", 1)
    (dest / "model.yaml").write_text(text)

    class Plugin:
        @hookimpl
        def register_models(self, register: Callable) -> None:
            register(dest / "model.yaml", "zoo_toy.model:Model")

    use_plugins((Plugin(), "zoo-toyvep"))
    return "toy-vep"


def _vcf(path: Path, rows: list[tuple], contigs: tuple[str, ...] = ("chr1", "chr2")) -> Path:
    return write_vcf(path, rows, contigs)


def _window(seq: str, site: int, strand: str) -> str:
    """The toy window of a 0-based site on its strand, by slicing."""
    if strand == "+":
        return seq[site - ANCHOR: site - ANCHOR + LENGTH]
    return reverse_complement(seq[site + ANCHOR + 1 - LENGTH: site + ANCHOR + 1])


# ---- anchors: alleles built by the rules, checked against slicing --------------------------------------------


@pytest.mark.parametrize("strand", ["+", "-"])
def test_a_window_keeps_its_length_taking_or_dropping_flank_on_the_side_away_from_the_anchor(genome: Path, chrom: str,
                                                                                             strand: str) -> None:
    g = Genome(genome)
    site = 1000
    lo = site - ANCHOR if strand == "+" else site + ANCHOR + 1 - LENGTH
    f = Feature("window", "g", "", "chr1", strand, ((lo, lo + LENGTH),), anchor=site)
    assert f.reference(g)[0] == _window(chrom, site, strand)
    snv = "A" if chrom[site + 20] != "A" else "C"
    # (0-based VCF position, REF, ALT): an SNV, deletions and insertions on both sides of the anchor
    cases = [(site + 20, chrom[site + 20], snv), (site - 30, chrom[site - 30: site - 25], chrom[site - 30]),
             (site + 40, chrom[site + 40: site + 44], chrom[site + 40]), (site - 10, chrom[site - 10], chrom[site - 10] + "GGTT"),
             (site + 5, chrom[site + 5], chrom[site + 5] + "CC")]
    for p, ref, alt in cases:
        v = allele(0, "chr1", p + 1, "v", ref, alt, "chr1")
        mutated = chrom[:p] + alt + chrom[p + len(ref):]
        delta = len(alt) - len(ref)
        # every changed base left of the anchor (genome order): the right edge stays, the window takes or drops
        # flank on the left; otherwise the left edge stays
        if p + len(ref) - 1 < site:
            window = mutated[lo + delta: lo + delta + LENGTH]
        else:
            window = mutated[lo: lo + LENGTH]
        expected = reverse_complement(window) if strand == "-" else window
        assert f.alternative(g, v) == (expected, "", []), (p, ref, alt)
        assert len(expected) == LENGTH


@pytest.mark.parametrize("strand", ["+", "-"])
def test_a_transcript_moves_or_resizes_its_cds_and_flags_frameshifts_and_boundaries(genome: Path, chrom: str,
                                                                                    strand: str) -> None:
    g = Genome(genome)
    exons = ((100, 200), (300, 450))
    # CDS on the plus-strand splice: genomic 150..200 and 300..400 -> spliced [50, 100) + [100, 200) = [50, 200)
    f = Feature("transcript", "g", "t", "chr1", strand, exons, cds=(50, 200))
    plus = chrom[100:200] + chrom[300:450]

    def expect(mutated_plus: str, cds: tuple[int, int] | None) -> tuple[str, str]:
        seq = reverse_complement(mutated_plus) if strand == "-" else mutated_plus
        if cds is None:
            return seq, ""
        cs, ce = cds if strand == "+" else (len(mutated_plus) - cds[1], len(mutated_plus) - cds[0])
        return seq, f"cds={cs + 1}-{ce}"

    assert f.reference(g) == expect(plus, (50, 200))
    # insertion of 2 nt at genomic 120 (spliced 20): before the CDS on the plus strand, so it moves
    v = allele(0, "chr1", 120, "v", chrom[119], chrom[119] + "GA", "chr1")
    seq, desc, flags = f.alternative(g, v)
    assert (seq, desc) == expect(plus[:20] + "GA" + plus[20:], (52, 202)) and flags == []
    # in-frame deletion of 3 nt inside the CDS, second exon (genomic 320..323 -> spliced 120..123)
    v = allele(0, "chr1", 320, "v", chrom[319:323], chrom[319], "chr1")
    seq, desc, flags = f.alternative(g, v)
    assert (seq, desc) == expect(plus[:120] + plus[123:], (50, 197)) and flags == []
    # 1-nt deletion inside the CDS: a frameshift, still built
    v = allele(0, "chr1", 320, "v", chrom[319:321], chrom[319], "chr1")
    seq, desc, flags = f.alternative(g, v)
    assert (seq, desc) == expect(plus[:120] + plus[121:], (50, 199)) and flags == ["frameshift"]
    # a deletion across the CDS start (genomic 148..152): no CDS mark, flagged
    v = allele(0, "chr1", 148, "v", chrom[147:152], chrom[147], "chr1")
    seq, desc, flags = f.alternative(g, v)
    assert (seq, desc) == expect(plus[:48] + plus[52:], None) and flags == ["cds_boundary"]
    # a deletion across the exon 1 / intron boundary: not built
    v = allele(0, "chr1", 198, "v", chrom[197:203], chrom[197], "chr1")
    assert f.alternative(g, v) == (None, "", ["exon_boundary"])
    # an intronic SNV does not touch the transcript; an insertion exactly at the exon edge neither
    assert not f.touches(allele(0, "chr1", 251, "v", chrom[250], "A" if chrom[250] != "A" else "C", "chr1"))
    assert not f.touches(allele(0, "chr1", 200, "v", chrom[199], chrom[199] + "T", "chr1"))


def test_alleles_are_trimmed_and_classified() -> None:
    ins = allele(0, "1", 100, "v", "A", "AT", "chr1")
    assert (ins.start, ins.end, ins.insert, ins.delta) == (100, 100, "T", 1)
    dele = allele(0, "1", 100, "v", "ACT", "A", "chr1")
    assert (dele.start, dele.end, dele.insert, dele.delta) == (100, 102, "", -2)
    mnv = allele(0, "1", 100, "v", "ACG", "ATG", "chr1")
    assert (mnv.start, mnv.end, mnv.insert) == (100, 101, "T")
    kinds = {alt: allele(0, "1", 5, "v", "A", alt, "chr1").kind
             for alt in ["<DEL>", "]chr2:5]A", "A[chr3:7[", "A.", "*", ".", "AXT"]}
    assert kinds == {"<DEL>": "symbolic", "]chr2:5]A": "breakend", "A[chr3:7[": "breakend", "A.": "breakend",
                     "*": "spanning", ".": "missing", "AXT": "invalid"}


# ---- the command and the API -----------------------------------------------------------------------------------


@pytest.fixture
def sites(tmp_path: Path) -> Path:
    bed = tmp_path / "sites.bed"
    bed.write_text("chr1\t1000\t1001\tplus_site\t0\t+\nchr2\t2000\t2001\tminus_site\t0\t-\n")
    return bed


def _independent(model: str, seqs: list[str]) -> np.ndarray:
    return zoo.get_model(model).predict(seqs)["score"].to_numpy()


def test_vep_scores_equal_predict_on_independently_built_windows(toy_vep: str, genome: Path, chrom: str, sites: Path,
                                                                  tmp_path: Path, zoo_cli) -> None:
    c2 = chrom[::-1]
    snv = "A" if chrom[1010] != "A" else "G"
    rows = [("chr1", 1011, "s1", chrom[1010], snv),                                    # SNV downstream of the site
            ("chr1", 980, "d1", chrom[979:984], chrom[979]),                            # 4-nt deletion upstream
            ("chr2", 2030, "i1", c2[2029], c2[2029] + "TTAG"),                          # insertion, minus-strand feature
            ("chr1", 2500, "far", chrom[2499], "T" if chrom[2499] != "T" else "A")]     # outside every window
    vcf = _vcf(tmp_path / "v.vcf", rows)
    got = zoo.get_model(toy_vep).score_vcf(vcf, genome=genome, annotation=sites)
    assert got["id"].tolist() == ["s1", "d1", "i1"]  # 'far' is counted, not written
    assert got.attrs["summary"].outside == 1
    ref1, ref2 = _window(chrom, 1000, "+"), _window(c2, 2000, "-")
    m1 = chrom[:1010] + snv + chrom[1011:]
    m2 = chrom[:980] + chrom[984:]  # upstream deletion: right edge stays, the window takes 4 nt more on the left
    m3 = c2[:2030] + "TTAG" + c2[2030:]  # right of the minus-strand site in genome order: left edge stays
    alts = [_window(m1, 1000, "+"), m2[1000 - ANCHOR - 4: 1000 - ANCHOR - 4 + LENGTH],
            reverse_complement(m3[2000 + ANCHOR + 1 - LENGTH: 2000 + ANCHOR + 1])]
    refs = _independent(toy_vep, [ref1, ref1, ref2])
    expected = _independent(toy_vep, alts) - refs
    np.testing.assert_allclose(got["score"], expected, atol=1e-6)
    np.testing.assert_allclose(got["ref_value"], refs, atol=1e-6)
    assert got["strand"].tolist() == ["+", "+", "-"] and got["gene_id"].tolist() == ["plus_site"] * 2 + ["minus_site"]
    assert (got["flag"] == "").all() and (got["score_name"] == "delta_score").all() and (got["output"] == "score").all()
    # the CLI writes the same table
    out = tmp_path / "effects.tsv.gz"
    code, _, err = zoo_cli("vep", toy_vep, vcf, "--genome", genome, "--annotation", sites, "-o", out)
    assert code == 0, err
    assert "3 records" not in err and "4 records, 4 ALT alleles" in err and "1 alleles outside every input" in err
    with gzip.open(out, "rt") as fh:
        table = pd.read_csv(fh, sep="\t", keep_default_na=False, na_values=[""])
    assert table.columns.tolist() == ["chrom", "pos", "ref", "alt", "id", "gene_id", "transcript_id", "strand", "model",
                                      "output", "ref_value", "alt_value", "score_name", "score", "flag"]
    np.testing.assert_allclose(table["score"], got["score"], rtol=1e-6, atol=1e-9)


def test_multiallelic_records_split_and_bad_alleles_get_their_flag(toy_vep: str, genome: Path, chrom: str, sites: Path,
                                                                    tmp_path: Path) -> None:
    base = chrom[1019]
    others = [b for b in "ACGT" if b != base]
    wrong = others[0]
    rows = [("chr1", 1020, "multi", base, ",".join(others)),
            ("chr1", 1030, "mismatch", wrong if wrong != chrom[1029] else others[1], chrom[1029]),
            ("chr1", 1040, "sym", chrom[1039], "<DEL>"),
            ("chr1", 1045, "bnd", chrom[1044], f"{chrom[1044]}[chr2:100["),
            ("chr1", 1050, "star", chrom[1049], "*")]
    got = zoo.get_model(toy_vep).score_vcf(_vcf(tmp_path / "v.vcf", rows), genome=genome, annotation=sites)
    assert got["id"].tolist() == ["multi"] * 3 + ["mismatch", "sym", "bnd", "star"]
    assert got["alt"].tolist()[:3] == others  # one row per ALT, in the record's order
    assert got["flag"].tolist() == ["", "", "", "ref_mismatch", "symbolic_alt", "breakend_alt", "spanning_deletion"]
    assert got["score"][:3].notna().all() and got["score"][3:].isna().all()  # never a silent score
    s = got.attrs["summary"]
    assert (s.records, s.alleles, s.ref_mismatch, s.skipped_alt, s.scored) == (5, 7, 1, 3, 3)
    # three ALTs of one window: the reference is predicted once
    assert s.forward_passes == 4


def test_contigs_match_with_or_without_chr_and_a_missing_one_is_an_error(toy_vep: str, genome: Path, chrom: str,
                                                                          sites: Path, tmp_path: Path, zoo_cli) -> None:
    snv = "A" if chrom[1010] != "A" else "G"
    bare = _vcf(tmp_path / "bare.vcf", [("1", 1011, "s1", chrom[1010], snv)], contigs=("1",))
    got = zoo.get_model(toy_vep).score_vcf(bare, genome=genome, annotation=sites)
    assert got["chrom"].tolist() == ["1"] and got["score"].notna().all()  # the VCF's own name is kept
    vcf = _vcf(tmp_path / "v.vcf", [("chr1", 1011, "s1", chrom[1010], snv), ("chrUn_x", 5, "u", "A", "C")],
               contigs=("chr1", "chrUn_x"))
    out = tmp_path / "out.tsv"
    code, _, err = zoo_cli("vep", toy_vep, vcf, "--genome", genome, "--annotation", sites, "-o", out)
    assert code == 1 and not out.exists()
    assert f"{vcf}: record 'chrUn_x:5': contig 'chrUn_x' is not in genome genome.fa" in err
    assert "Traceback" not in err


def test_shards_partition_the_chunks_and_merge_to_the_whole(toy_vep: str, genome: Path, chrom: str, sites: Path,
                                                             tmp_path: Path) -> None:
    rows = [("chr1", p, f"v{p}", chrom[p - 1], "A" if chrom[p - 1] != "A" else "C") for p in range(960, 1140, 7)]
    vcf = _vcf(tmp_path / "v.vcf", rows)
    m = zoo.get_model(toy_vep)
    whole = m.score_vcf(vcf, genome=genome, annotation=sites, chunk_size=4)
    parts = [m.score_vcf(vcf, genome=genome, annotation=sites, shard=f"{k}/3", chunk_size=4) for k in (1, 2, 3)]
    ids = [r[2] for r in rows]
    for k, part in enumerate(parts):  # shard k holds the chunks k, k + 3, … of 4 records each
        assert part["id"].tolist() == [i for n, i in enumerate(ids) if (n // 4) % 3 == k]
    merged = pd.concat(parts).set_index("id").loc[whole["id"]]
    assert (merged["score"].to_numpy() == whole["score"].to_numpy()).all()  # the same chunks: the same bits
    with pytest.raises(InputError, match="is not K/N"):
        m.score_vcf(vcf, genome=genome, annotation=sites, shard="4/3")


def test_vcf_output_annotates_every_record_with_one_info_field(toy_vep: str, genome: Path, chrom: str, sites: Path,
                                                               tmp_path: Path, zoo_cli) -> None:
    from cyvcf2 import VCF

    base = chrom[1019]
    others = [b for b in "ACGT" if b != base][:2]
    rows = [("chr1", 1020, "multi", base, ",".join(others)), ("chr1", 2500, "far", chrom[2499], "<DEL>")]
    vcf = _vcf(tmp_path / "v.vcf", rows)
    out = tmp_path / "annotated.vcf.gz"
    code, _, err = zoo_cli("vep", toy_vep, vcf, "--genome", genome, "--annotation", sites, "-o", out, "-q")
    assert code == 0, err
    with open(out, "rb") as fh:
        assert fh.read(2) == b"\x1f\x8b"  # bgzip
    reader = VCF(str(out))
    assert "ZOO_TOY_VEP" in reader.raw_header and "ALLELE|gene_id|transcript_id|strand|delta_score|flag" in reader.raw_header
    recs = list(reader)
    assert [r.ID for r in recs] == ["multi", "far"]  # every record, in order
    table = zoo.get_model(toy_vep).score_vcf(vcf, genome=genome, annotation=sites)
    entries = recs[0].INFO["ZOO_TOY_VEP"].split(",")
    assert [e.split("|")[:4] for e in entries] == [[a, "plus_site", "", "+"] for a in others]
    np.testing.assert_allclose([float(e.split("|")[4]) for e in entries], table["score"], rtol=1e-5)
    assert recs[1].INFO.get("ZOO_TOY_VEP") is None


def test_a_model_without_an_anchor_says_to_use_pairs(toy, genome: Path, sites: Path, tmp_path: Path, zoo_cli) -> None:
    vcf = _vcf(tmp_path / "v.vcf", [("chr1", 10, "v", "A", "C")])
    code, _, err = zoo_cli("vep", "toy", vcf, "--genome", genome, "--annotation", sites, "-o", tmp_path / "o.tsv")
    assert code == 1 and "declares no vep anchor" in err and "--pairs" in err


def test_a_vcf_needs_genome_and_annotation_and_not_also_pairs(toy_vep: str, genome: Path, sites: Path, tmp_path: Path,
                                                              zoo_cli) -> None:
    vcf = _vcf(tmp_path / "v.vcf", [("chr1", 10, "v", "A", "C")])
    code, _, err = zoo_cli("vep", toy_vep, vcf, "-o", tmp_path / "o.tsv")
    assert code == 1 and "needs --genome" in err
    code, _, err = zoo_cli("vep", toy_vep, vcf, "--pairs", vcf, "-o", tmp_path / "o.tsv")
    assert code == 1 and "not both or neither" in err
    bad = tmp_path / "bad.vcf"
    bad.write_text("this is not a VCF\n")
    code, _, err = zoo_cli("vep", toy_vep, bad, "--genome", genome, "--annotation", sites, "-o", tmp_path / "o.tsv")
    assert code == 1 and f"{bad}:" in err and "Traceback" not in err and not (tmp_path / "o.tsv").exists()


def test_the_local_engine_and_zoo_list_import_no_ray(toy_site: Path, toy_plugin: ModuleType, toy_example: Path,
                                                     tmp_path: Path) -> None:
    import subprocess
    import sys

    script = ("import sys\nfrom zoo.cli import main\n"
              "for argv in (['list'], ['predict', 'toy', sys.argv[1], '-o', sys.argv[2], '-q'],"
              " ['predict', 'toy', sys.argv[1], '-o', sys.argv[3] + '/', '-q']):\n"
              "    try:\n        main(argv)\n    except SystemExit as e:\n        assert not e.code, e.code\n"
              "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))\n")
    proc = subprocess.run([sys.executable, "-c", script, str(toy_example), str(tmp_path / "o.tsv"), str(tmp_path / "d")],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": f"{toy_site}:{Path(toy_plugin.__file__).parents[1]}"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "d" / "manifest.json").is_file()  # a run in parts with the local engine: no ray either
