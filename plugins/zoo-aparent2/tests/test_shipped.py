"""The shipped model through the user's commands: the published variant effects, zoo test, every input mode."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

import zoo
from zoo_core.seqio import read_fasta

PLUGIN = Path(__file__).resolve().parents[1]
EXAMPLES = PLUGIN / "src" / "zoo_aparent2" / "examples"
SHARED = PLUGIN.parents[1] / ".." / "shared" / "data" / "published" / "aparent2"  # read-only published files
PAIRS = EXAMPLES / "variant_pairs.tsv"
PUBLISHED = ["delta_logodds_77_127", "delta_logodds_0_205"]
# the published values have 6 decimals: rounding alone may differ by 5e-7
TOLERANCE = 1e-5
Cli = Callable[..., tuple[int, str, str]]


def _published() -> pd.DataFrame:
    return pd.read_csv(EXAMPLES / "variant_pairs_published.tsv", sep="\t")


def _check_golden(got: pd.DataFrame) -> None:
    expected = _published()
    assert got["id"].tolist() == expected["id"].tolist() == ["PTEN", "TP53", "F2"]
    for col in PUBLISHED:
        diff = np.abs(got[col].to_numpy(float) - expected[col].to_numpy(float))
        assert diff.max() <= TOLERANCE, (col, diff)


def test_zoo_vep_reproduces_the_published_variant_effects(zoo_cli: Cli, tmp_path: Path) -> None:
    code, _, err = zoo_cli("vep", "aparent2-resnet", "--pairs", PAIRS, "-o", tmp_path / "out.tsv", "-q")
    assert code == 0, err
    got = pd.read_csv(tmp_path / "out.tsv", sep="\t")
    assert list(got.columns) == ["id", *PUBLISHED, "delta_logodds_80_110", "iso_prob_ref", "iso_prob_alt"]
    _check_golden(got)
    # the sign of the narrow score follows the iso_prob change for these three variants
    assert (np.sign(got["delta_logodds_80_110"]) == np.sign(got["iso_prob_alt"] - got["iso_prob_ref"])).all()


def test_score_pairs_in_python_reproduces_the_published_variant_effects() -> None:
    _check_golden(zoo.get_model("aparent2-resnet").score_pairs(str(PAIRS)))
    frame = pd.read_csv(PAIRS, sep="\t")
    _check_golden(zoo.get_model("aparent2").score_pairs(frame, batch_size=2))


def test_the_library_option_reaches_the_variant_scores(zoo_cli: Cli, tmp_path: Path) -> None:
    code, _, err = zoo_cli("vep", "aparent2-resnet", "--pairs", PAIRS, "--library", "5", "-o", tmp_path / "lib5.tsv", "-q")
    assert code == 0, err
    cli = pd.read_csv(tmp_path / "lib5.tsv", sep="\t")
    api = zoo.get_model("aparent2-resnet").score_pairs(str(PAIRS), library=5)
    np.testing.assert_allclose(cli["iso_prob_ref"], api["iso_prob_ref"], atol=1e-7)
    assert np.abs(cli["iso_prob_ref"] - _default_library_run()["iso_prob_ref"]).max() > 1e-3


def _default_library_run() -> pd.DataFrame:
    return zoo.get_model("aparent2-resnet").score_pairs(str(PAIRS))


@pytest.mark.skipif(not (SHARED / "golden_aparent2_example_variants.tsv").is_file(), reason="published data not here")
def test_bundled_pairs_are_the_published_table() -> None:
    golden = pd.read_csv(SHARED / "golden_aparent2_example_variants.tsv", sep="\t", dtype=str)
    pairs = pd.read_csv(PAIRS, sep="\t", dtype=str)
    assert pairs["ref"].tolist() == golden["ref_seq"].tolist() and pairs["alt"].tolist() == golden["var_seq"].tolist()
    published = pd.read_csv(EXAMPLES / "variant_pairs_published.tsv", sep="\t", dtype=str)
    assert published["delta_logodds_77_127"].tolist() == golden["delta_logodds_narrow_77_127"].tolist()
    assert published["delta_logodds_0_205"].tolist() == golden["delta_logodds_0_205"].tolist()


def test_zoo_test_passes(zoo_cli: Cli) -> None:
    code, out, err = zoo_cli("test", "aparent2-resnet")
    assert code == 0, err
    assert out.startswith("aparent2-resnet: PASS (6 records")


def test_genome_and_bed_give_the_windows_on_either_strand(zoo_cli: Cli, tmp_path: Path) -> None:
    """1-nt hexamer site (+), 6-nt hexamer (−) and a whole 205-nt window (+) on a contig of the reference windows."""
    code, _, err = zoo_cli("predict", "aparent2-resnet", EXAMPLES / "pas_sites.bed", "--genome", EXAMPLES / "pas_contig.fa",
                           "-o", tmp_path / "bed.tsv", "-q")
    assert code == 0, err
    bed = pd.read_csv(tmp_path / "bed.tsv", sep="\t")
    assert bed[["id", "chrom", "start", "end", "strand"]].values.tolist() == [
        ["PTEN_site", "pas_contig", 0, 205, "+"], ["TP53_hexamer", "pas_contig", 205, 410, "-"],
        ["F2_window", "pas_contig", 410, 615, "+"]]
    fasta = zoo.get_model("aparent2-resnet").predict(EXAMPLES / "pas_windows.fa").set_index("id")
    cleavage = [c for c in bed.columns if c.startswith("cleavage.")]
    for rid, gene in zip(bed["id"], ["PTEN", "TP53", "F2"], strict=True):
        row = bed.set_index("id").loc[rid]
        assert row["iso_prob"] == pytest.approx(fasta.loc[f"{gene}_ref", "iso_prob"], abs=1e-6)
        np.testing.assert_allclose(row[cleavage].to_numpy(float), fasta.loc[f"{gene}_ref", "cleavage"], atol=1e-6)


def test_gzip_fasta_raw_strings_and_lower_case_give_the_same_numbers(tmp_path: Path) -> None:
    text = (EXAMPLES / "pas_windows.fa").read_bytes()
    (tmp_path / "w.fa.gz").write_bytes(gzip.compress(text))
    model = zoo.get_model("aparent2-resnet")
    plain = model.predict(EXAMPLES / "pas_windows.fa")
    packed = model.predict(tmp_path / "w.fa.gz")
    strings = model.predict([r.seq.lower() for r in read_fasta(EXAMPLES / "pas_windows.fa")])
    assert strings["id"].tolist() == [f"seq_{i}" for i in range(6)]
    np.testing.assert_allclose(packed["iso_prob"], plain["iso_prob"], atol=1e-7)
    np.testing.assert_allclose(strings["iso_prob"], plain["iso_prob"], atol=1e-7)


@pytest.mark.parametrize("ext", [".parquet", ".h5"])
def test_the_cleavage_vector_is_one_array_per_window(zoo_cli: Cli, tmp_path: Path, ext: str) -> None:
    out = tmp_path / f"out{ext}"
    code, _, err = zoo_cli("predict", "aparent2-resnet", EXAMPLES / "pas_windows.fa", "--library", "5", "-o", out, "-q")
    assert code == 0, err
    if ext == ".h5":
        with h5py.File(out) as h5:
            cut = h5["cleavage"][()]
    else:
        cut = np.stack(pd.read_parquet(out)["cleavage"].to_list())
    assert cut.shape == (6, 206)
    np.testing.assert_allclose(cut.sum(axis=1), 1.0, atol=1e-6)


def test_explain_writes_iso_prob_attributions(zoo_cli: Cli, tmp_path: Path) -> None:
    one = tmp_path / "one.fa"
    one.write_text("".join(f">{r.id}\n{r.seq}\n" for r in read_fasta(EXAMPLES / "pas_windows.fa") if r.id == "F2_ref"))
    code, _, err = zoo_cli("explain", "aparent2-resnet", one, "--method", "grad", "-o", tmp_path / "a.h5", "-q")
    assert code == 0, err
    with h5py.File(tmp_path / "a.h5") as h5:
        assert h5.attrs["target"] == "iso_prob"
        attr = h5["attr/pas_window/0"][()]
    assert attr.shape == (205, 4) and np.isfinite(attr).all() and np.abs(attr).sum() > 0
