"""The shipped bioseq2seq and EDC models through the user's commands, on the bundled real transcripts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

import zoo
from zoo_core.explain import ism

PKG = Path(__file__).resolve().parents[1] / "src" / "zoo_bioseq2seq"
EXAMPLE = PKG / "examples" / "transcripts.fa"
SHIPPED = sorted(p.parent.name for p in (PKG / "models").glob("*/model.yaml"))
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture(autouse=True)
def _bioseq2seq_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "zoo-bioseq2seq")


def test_the_family_names_resolve_to_the_shipped_models() -> None:
    assert SHIPPED == ["bioseq2seq-12layer-v2", "bioseq2seq-4layer", "edc-4layer"]
    assert zoo.get_model("bioseq2seq").name == "bioseq2seq-4layer"
    assert zoo.get_model("edc").name == "edc-4layer"


@pytest.mark.parametrize("name", SHIPPED)
def test_bundled_example_reproduces_expected_outputs(zoo_cli: Cli, name: str) -> None:
    code, out, err = zoo_cli("test", name)
    assert code == 0, err
    assert out.startswith(f"{name}: PASS (12 records")


def test_readme_command_classifies_the_example(zoo_cli: Cli, tmp_path: Path) -> None:
    """The bundled example: 2 annotated mRNAs and 2 lncRNAs each of human, mouse and Arabidopsis, from the test split."""
    code, _, err = zoo_cli("predict", "bioseq2seq", EXAMPLE, "-o", tmp_path / "out.tsv", "-q")
    assert code == 0, err
    got = pd.read_csv(tmp_path / "out.tsv", sep="\t")
    assert list(got.columns) == ["id", "length", "in_domain", "n_non_acgt", "coding_prob", "logit_diff", "class"]
    assert ((got["class"] == "PC") == (got["logit_diff"] > 0)).all()
    coding = ["NM_006274", "NM_003530", "ENSMUST00000107583.2", "ENSMUST00000176816.7", "AT1G65484.2", "AT1G73065.1"]
    truth = np.where(got["id"].isin(coding), "PC", "NC")
    assert (got["class"] == truth).mean() >= 0.75


def test_full_decode_gives_the_top_beam_and_four_beams(zoo_cli: Cli, tmp_path: Path) -> None:
    code, _, err = zoo_cli("predict", "bioseq2seq", EXAMPLE, "--full-decode", "-o", tmp_path / "out.tsv", "-q")
    assert code == 0, err
    got = pd.read_csv(tmp_path / "out.tsv", sep="\t", keep_default_na=False)
    for protein, beams in zip(got["protein"], got["beams"], strict=True):
        parsed = [b.split(":") for b in beams.split("|")]
        assert len(parsed) == 4 and parsed[0][1] == protein
        assert all((label == "PC") == (len(peptide) > 0) for label, peptide, _ in parsed), beams
        assert all(set(peptide) <= set("ACDEFGHIKLMNPQRSTVWY") for _, peptide, _ in parsed)
        assert [float(score) for *_, score in parsed] == sorted((float(score) for *_, score in parsed), reverse=True)


def test_mdig_agrees_with_ism_on_real_transcripts(tmp_path: Path) -> None:
    """The paper's claim for MDIG (spec §7): it estimates the ΔS of ISM, here on a real mRNA and a lncRNA."""
    model = zoo.get_model("bioseq2seq")
    impl = model.load()
    for batch in model.batches(_subset(tmp_path, "AT1G65484.2", "AT1G09847.1"), batch_size=1):
        n = batch.lengths["transcript"][0]
        delta = ism(impl, batch.inputs, "transcript", target="logit_diff", batch_size=64, lengths=[n])[0, :n]
        estimate = model.explainer("mdig")(impl, batch.inputs, "transcript", target="logit_diff")[0, :n]
        mutations = batch.inputs["transcript"][0, :n] == 0
        assert (estimate[~mutations] == 0).all()
        a, b = estimate[mutations], delta[mutations]
        large = np.abs(b) >= np.quantile(np.abs(b), 0.75)
        assert np.corrcoef(a, b)[0, 1] > 0.5, batch.ids
        assert (np.sign(a[large]) == np.sign(b[large])).mean() > 0.75, batch.ids


def test_explain_mdig_writes_attributions_and_a_plot(zoo_cli: Cli, tmp_path: Path) -> None:
    code, _, err = zoo_cli("explain", "bioseq2seq", _subset(tmp_path, "AT1G65484.2"), "--method", "mdig", "-o", tmp_path / "a.h5",
                           "--png-dir", tmp_path / "png", "-q")
    assert code == 0, err
    with h5py.File(tmp_path / "a.h5") as h5:
        attr = h5["attr/transcript/0"][()]
    assert attr.shape == (335, 4) and np.isfinite(attr).all()
    pngs = list((tmp_path / "png").glob("*.png"))
    assert len(pngs) == 1 and pngs[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _subset(folder: Path, *ids: str) -> Path:
    """A FASTA of the example's records ``ids``."""
    from zoo_core.seqio import read_fasta

    path = folder / "subset.fa"
    path.write_text("".join(f">{r.id}\n{r.seq}\n" for r in read_fasta(EXAMPLE) if r.id in ids))
    return path
