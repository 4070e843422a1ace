"""Sequence-pair scoring (`zoo vep --pairs`), the primitive of every variant effect."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import zoo
from zoo_core.errors import InputError
from zoo_core.seqio import read_fasta


@pytest.fixture
def pairs(toy_example: Path, tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    """Real 200-nt windows of the toy example, each against a copy with one or three substitutions."""
    rows = []
    for k, rec in enumerate(read_fasta(toy_example)):
        alt = list(rec.seq)
        for i in (10 * k, 100, 150 + k)[: 1 + k % 3]:
            alt[i] = {"A": "C", "C": "G", "G": "T", "T": "A"}.get(alt[i], "A")
        rows.append({"id": f"var{k}", "ref": rec.seq, "alt": "".join(alt), "note": "ignored"})
    df = pd.DataFrame(rows)
    path = tmp_path / "pairs.tsv"
    df.to_csv(path, sep="\t", index=False)
    return path, df


def test_default_scores_are_alt_minus_ref_of_each_numeric_output(toy, pairs, zoo_cli, tmp_path: Path) -> None:
    path, df = pairs
    m = zoo.get_model("toy")
    ref = m.predict(df["ref"].tolist())["score"].to_numpy()  # independent: each allele predicted on its own
    alt = m.predict(df["alt"].tolist())["score"].to_numpy()
    got = m.score_pairs(path, batch_size=3)
    assert got.columns.tolist() == ["id", "ref_score", "alt_score", "delta_score"]
    assert got["id"].tolist() == df["id"].tolist()
    np.testing.assert_allclose(got["ref_score"], ref, atol=1e-6)  # float32 sums vary with the batch
    np.testing.assert_allclose(got["delta_score"], alt - ref, atol=2e-6)
    out = tmp_path / "effects.tsv"
    code, _, err = zoo_cli("vep", "toy", "--pairs", path, "-o", out, "-q")
    assert code == 0, err
    pd.testing.assert_frame_equal(pd.read_csv(out, sep="\t"), m.score_pairs(path), rtol=1e-6)  # batch 32 both
    assert m.score_pairs(df).equals(m.score_pairs(path))  # a DataFrame works as well as a file


@pytest.mark.parametrize(("text", "reason"), [
    ("id\tref\nv1\tACGT\n", "pairs.tsv: no column 'alt'; a pairs table has columns id, ref, alt (found id, ref)"),
    ("id\tref\talt\n", "pairs.tsv: no pairs"),
    ("id\tref\talt\nv1\tAAAA\tCCCC\nv1\tGGGG\tTTTT\n", "pairs.tsv: record 'v1': duplicate id"),
    ("id\tref\talt\nv1\tAAAA\t\n", "pairs.tsv: record 'v1': empty alt"),
])
def test_a_bad_pairs_file_is_one_line_naming_file_and_record(toy, zoo_cli, tmp_path: Path, text: str,
                                                             reason: str) -> None:
    path = tmp_path / "pairs.tsv"
    path.write_text(text)
    out = tmp_path / "out.tsv"
    code, _, err = zoo_cli("vep", "toy", "--pairs", path, "-o", out)
    assert code == 1 and f"{tmp_path}/{reason}" in err and not out.exists()
    with pytest.raises(InputError):
        zoo.get_model("toy").score_pairs(path)


def test_a_bad_sequence_names_the_pair_and_the_allele(toy, pairs, zoo_cli, tmp_path: Path) -> None:
    path, df = pairs
    df.loc[5, "alt"] = df.loc[5, "alt"][:50] + "X" + df.loc[5, "alt"][51:]
    df.to_csv(path, sep="\t", index=False)
    code, _, err = zoo_cli("vep", "toy", "--pairs", path, "-o", tmp_path / "out.tsv")
    assert code == 1 and f"{path} (alt): record 'var5': invalid nucleotide letter 'X' at position 51" in err
    assert not (tmp_path / "out.tsv").exists()


def test_generic_score_functions_match_their_definitions() -> None:
    from zoo_core.model import score_function

    ref, alt = np.array([0.2, 0.5, 2.0, -1.0]), np.array([0.8, 0.5, 1.0, 0.5])
    np.testing.assert_allclose(score_function("diff", ref, alt), [0.6, 0.0, -1.0, 1.5])
    got = score_function("log2fc", ref, alt)
    np.testing.assert_allclose(got[:3], [2.0, 0.0, -1.0])
    assert np.isnan(got[3])  # a non-positive value has no fold change
    logit = score_function("logit_diff", ref[:2], alt[:2])
    np.testing.assert_allclose(logit, [np.log(0.8 / 0.2) - np.log(0.2 / 0.8), 0.0])


def test_a_declared_function_is_computed_by_the_core_from_the_allele_values(toy) -> None:
    from zoo_core.spec import ModelSpec

    m = zoo.get_model("toy")
    model = m.load()
    data = m.info.model_dump()
    data["variant_scores"] = [{"name": "score_fc", "output": "score", "function": "log2fc", "unit": "log2",
                               "doc": "log2 fold change"}]
    model.spec = ModelSpec.model_validate(data)
    ref = {"score": np.array([1.0, 4.0])}
    alt = {"score": np.array([2.0, 1.0])}
    np.testing.assert_allclose(model.compare_alleles(ref, alt)["score_fc"], [1.0, -2.0])
