"""Homology splits: transitive clusters stay whole; with mmseqs2, near-identical proteins share a split and the leak
check names a planted leak."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from zoo_dev.homology import assign_clusters, clusters_of, cross_split_hits, homology_split, mmseqs_available

needs_mmseqs = pytest.mark.skipif(not mmseqs_available(), reason="mmseqs2 not on PATH (Debian package `mmseqs2`)")
AMINO = "ACDEFGHIKLMNPQRSTVWY"


def random_proteins(n: int, length: int = 160, seed: int = 1) -> dict[str, str]:
    rng = np.random.default_rng(seed)
    return {f"p{i:02d}": "M" + "".join(rng.choice(list(AMINO), length - 1)) for i in range(n)}


def mutate(seq: str, fraction: float, seed: int = 2) -> str:
    rng = np.random.default_rng(seed)
    out = list(seq)
    for i in rng.choice(np.arange(1, len(seq)), int(fraction * len(seq)), replace=False):
        out[i] = AMINO[(AMINO.index(out[i]) + 1) % len(AMINO)]
    return "".join(out)


def test_clusters_are_transitive_and_assigned_whole() -> None:
    ids = [f"g{i:02d}" for i in range(40)]
    clusters = clusters_of(ids, {("g01", "g02"), ("g03", "g02"), ("g05", "g06"), ("g05", "outside")})
    assert clusters["g03"] == clusters["g01"] == "g01" and clusters["g06"] == "g05" and clusters["g00"] == "g00"
    assert clusters.keys() == set(ids)
    split = assign_clusters(clusters)
    assert split["g01"] == split["g02"] == split["g03"] and split["g05"] == split["g06"]
    assert split == assign_clusters(clusters)
    assert sum(s == "test" for s in split.values()) == sum(s == "valid" for s in split.values()) == 4


def test_a_family_too_large_for_test_goes_to_train() -> None:
    clusters = {f"g{i:02d}": "g00" if i < 10 else f"g{i:02d}" for i in range(50)}  # one family of 10 + 40 singletons
    split = assign_clusters(clusters)
    assert {split[f"g{i:02d}"] for i in range(10)} == {"train"}
    assert sum(s == "test" for s in split.values()) == 5


@needs_mmseqs
def test_near_identical_proteins_share_a_split_and_a_planted_leak_is_found(tmp_path: Path) -> None:
    proteins = random_proteins(30)
    proteins["p30"] = mutate(proteins["p07"], 0.05)  # 95 % identical over the full length
    proteins["p31"] = proteins["p12"][30:100]  # all of p31, 44 % of p12: the coverage of either sequence counts
    result = homology_split(proteins, workdir=tmp_path / "all")
    assert ("p30", "p07") in result.pairs and ("p07", "p30") in result.pairs
    assert result.clusters["p30"] == result.clusters["p07"] == "p07"
    assert result.split["p30"] == result.split["p07"]
    assert result.clusters["p31"] == "p12" and result.split["p31"] == result.split["p12"]
    assert len(set(result.clusters.values())) == 30  # the random proteins stay singletons
    assert not cross_split_hits(result.split, proteins, workdir=tmp_path / "check")
    leaky = {k: "train" for k in proteins} | {"p30": "test", "p01": "valid"}
    assert cross_split_hits(leaky, proteins) == [("p30", "p07")]
