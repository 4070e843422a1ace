"""The --gdc readers on tiny files in the GDC and TargetScan layouts, and the hairpin → mature mapping."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from zoo_mirex.dataloader import read_profile
from zoo_mirex.gdc import (
    hairpin_profile,
    mean_profile,
    paper_mirna_name,
    read_gdc_mirna,
    read_star_counts,
    read_targetscan_context,
)

from zoo_core.errors import InputError

STAR = """# gene-model: GENCODE v36
gene_id\tgene_name\tgene_type\tunstranded\tstranded_first\tstranded_second\ttpm_unstranded\tfpkm_unstranded\tfpkm_uq_unstranded
N_unmapped\t\t\t1981\t1981\t1981\t\t\t
N_multimapping\t\t\t3029\t3029\t3029\t\t\t
N_noFeature\t\t\t1020\t40528\t40577\t\t\t
N_ambiguous\t\t\t9003\t1015\t1046\t\t\t
ENSG00000000003.15\tTSPAN6\tprotein_coding\t5452\t2731\t2721\t97.9460\t29.4016\t33.2659
ENSG00000000005.6\tTNMD\tprotein_coding\t0\t0\t0\t0.0000\t0.0000\t0.0000
ENSG00000182378.14_PAR_Y\tPLCXD1\tprotein_coding\t0\t0\t0\t0.0000\t0.0000\t0.0000
"""
MIRNA = """miRNA_ID\tread_count\treads_per_million_miRNA_mapped\tcross-mapped
hsa-let-7a-1\t60123\t15022.3\tN
hsa-let-7a-2\t59877\t14960.1\tN
hsa-let-7a-3\t60010\t14993.3\tN
hsa-mir-23a\t812\t202.9\tN
hsa-mir-1-1\t0\t0\tN
"""
TS7 = ("Gene ID\tGene Symbol\tTranscript ID\tGene Tax ID\tmiRNA\tSite Type\tUTR_start\tUTR_end\tcontext++ score\t"
       "context++ score percentile\tweighted context++ score\tweighted context++ score percentile\n"
       "ENSG00000121410.7\tA1BG\tENST00000263100.3\t9606\thsa-miR-23a-3p\t2\t137\t143\t-0.092\t44\t-0.040\t26\n"
       "ENSG00000121410.7\tA1BG\tENST00000263100.3\t9606\thsa-miR-23a-3p\t3\t300\t307\t-0.300\t90\t-0.250\t88\n"
       "ENSG00000121410.7\tA1BG\tENST00000263100.3\t10090\thsa-miR-23a-3p\t3\t300\t307\t-0.300\t90\t-0.250\t88\n"
       "ENSG00000148584.10\tA1CF\tENST00000373997.3\t9606\thsa-miR-124-3p.1\t1\t8\t14\t-0.1\t50\tNULL\tNULL\n")
TS8 = ("Gene ID\tGene Symbol\tTranscript ID\tSpecies ID\tmiRNA\tSite type\tUTR start\tUTR end\tcontext++ score\t"
       "context++ score percentile\tweighted context++ score\tweighted context++ score percentile\tpredicted relative KD\n"
       "ENSG00000121410.12\tA1BG\tENST00000263100.8\t9606\thsa-miR-23a-3p\t2\t137\t143\t-0.092\t44\t-0.040\t26\t-1.2\n")


def _write(path: Path, text: str, gz: bool = False) -> Path:
    if gz:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("gz", [False, True])
def test_star_counts(tmp_path: Path, gz: bool) -> None:
    path = _write(tmp_path / "a.rna_seq.augmented_star_gene_counts.tsv", STAR, gz)
    assert read_star_counts(path) == {"ENSG00000000003": 5452.0, "ENSG00000000005": 0.0}  # N_* and _PAR_Y skipped
    assert read_star_counts(path, "tpm_unstranded")["ENSG00000000003"] == 97.946


def test_star_counts_errors(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.tsv", STAR.replace("\t5452\t", "\tfive\t"))
    with pytest.raises(InputError, match=r"record 'ENSG00000000003.15': line 7: column 'unstranded': 'five' is not a number"):
        read_star_counts(bad)
    with pytest.raises(InputError, match="not a GDC STAR gene-count header"):
        read_star_counts(_write(tmp_path / "x.tsv", "a\tb\n1\t2\n"))


def test_gdc_mirna_quantification(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.mirbase21.mirnas.quantification.txt", MIRNA)
    counts = read_gdc_mirna(path)
    assert counts["hsa-mir-23a"] == 812.0 and len(counts) == 5
    assert read_gdc_mirna(path, "rpm")["hsa-mir-23a"] == 202.9
    assert mean_profile([counts, {"hsa-mir-23a": 188.0}]) == (
        {"hsa-let-7a-1": 30061.5, "hsa-let-7a-2": 29938.5, "hsa-let-7a-3": 30005.0, "hsa-mir-1-1": 0.0,
         "hsa-mir-23a": 500.0}, 2)
    dup = _write(tmp_path / "dup.txt", MIRNA + "hsa-mir-23a\t1\t1\tN\n")
    with pytest.raises(InputError, match=r"record 'hsa-mir-23a': line 7: miRNA listed twice"):
        read_gdc_mirna(dup)
    # a --mirna profile in this format is recognised and read as hairpins
    assert read_profile(path)[0] == "hairpin"


@pytest.mark.parametrize("text", [TS7, TS8])
def test_targetscan_context_scores(tmp_path: Path, text: str) -> None:
    cwcs = read_targetscan_context(_write(tmp_path / "Predicted_Targets_Context_Scores.default_predictions.txt", text))
    want = -0.29 if text is TS7 else -0.04  # summed over the pair's sites, human rows only; NULL skipped
    assert cwcs.keys() == {("ENSG00000121410", "hsa-miR-23a-3p")}
    assert cwcs[("ENSG00000121410", "hsa-miR-23a-3p")] == pytest.approx(want)


def test_targetscan_header_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a TargetScan context-score header: no weighted context"):
        read_targetscan_context(_write(tmp_path / "t.txt", "Gene ID\tGene Tax ID\tmiRNA\n"))


def test_paper_names_and_hairpin_profile() -> None:
    assert paper_mirna_name("hsa-miR-23a-3p") == "hsa-mir-23a"
    assert paper_mirna_name("hsa-miR-124-3p.1") == "hsa-mir-124-1"
    hp = {"hsa-let-7a-1": 1.0, "hsa-let-7a-2": 2.0, "hsa-let-7a-3": 3.0, "hsa-mir-23a": 5.0}
    assert hairpin_profile(hp, ["hsa-let-7a-5p", "hsa-miR-23a-3p", "hsa-miR-99-5p"]) == {
        "hsa-let-7a-5p": 6.0, "hsa-miR-23a-3p": 5.0}
