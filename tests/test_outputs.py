"""Named, typed outputs: numbers, strings, vectors and '{placeholder}' families, in every table format."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType
from typing import Any

import h5py
import numpy as np
import pandas as pd
import pytest

import zoo
from zoo_core import Batch, ZooModel, hookimpl
from zoo_core.errors import ModelSpecError

OUTPUTS = """outputs:
  - {name: score, unit: arbitrary, doc: The toy's score.}
  - {name: gc, dtype: float, unit: fraction, doc: GC content.}
  - {name: composition, shape: [4], unit: fraction, doc: A C G T fractions.}
  - {name: top_base, dtype: str, unit: letter, doc: The most frequent base.}
  - {name: "count:{base}", optional: true, unit: count, doc: "Count of each base, when asked for."}
"""


class Composition(ZooModel):
    """The toy's score (a constant here) and the composition of each sequence, computed independently of zoo."""

    def predict_on_batch(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        x = inputs["sequence"]
        return np.stack([x[:, :, 0].sum(axis=1), x[:, :, 1:3].sum(axis=(1, 2)) / x.shape[1]], axis=1)

    def predict(self, batch: Batch, options: Any = None) -> dict[str, Any]:
        x = batch.inputs["sequence"]
        frac = x.mean(axis=1)
        out: dict[str, Any] = {**self.numeric(batch.inputs), "composition": frac,
                               "top_base": ["ACGT"[i] for i in frac.argmax(axis=1)]}
        for j, base in enumerate("ACGT"):
            out[f"count:{base}"] = x[:, :, j].sum(axis=1)
        return out


@pytest.fixture
def composition(use_plugins, toy_plugin: ModuleType, tmp_path: Path) -> zoo.Model:
    toy_dir = Path(toy_plugin.__file__).parent / "models" / "toy"
    text = re.sub(r"^name: \S+.*$", "name: composition", (toy_dir / "model.yaml").read_text(), count=1, flags=re.M)
    text = re.sub(r"^outputs:.*\n(?:  .*\n)+", OUTPUTS, text, count=1, flags=re.M)
    text = re.sub(r"^explain:.*\n(?:  .*\n)+", "explain: {methods: [ism]}\n", text, count=1, flags=re.M)
    folder = tmp_path / "composition"
    folder.mkdir()
    (folder / "model.yaml").write_text(text)
    (folder / "model.safetensors").symlink_to(toy_dir / "model.safetensors")

    class Plugin:
        @staticmethod
        @hookimpl
        def register_models(register):  # type: ignore[no-untyped-def]
            register(folder / "model.yaml", Composition)

    use_plugins((Plugin(), "zoo-composition"))
    return zoo.get_model("composition")


def _expected(path: Path) -> pd.DataFrame:
    from zoo_core.seqio import read_fasta

    rows = []
    for r in read_fasta(path):
        s = r.seq.upper()
        rows.append({"id": r.id, **{b: s.count(b) / len(s) for b in "ACGT"}})
    return pd.DataFrame(rows)


def test_every_kind_of_output_in_every_format(composition: zoo.Model, toy_example: Path, zoo_cli, tmp_path: Path) -> None:
    expected = _expected(toy_example)
    for ext in (".tsv", ".csv", ".parquet", ".h5"):
        out = tmp_path / f"out{ext}"
        code, _, err = zoo_cli("predict", "composition", toy_example, "-o", out, "-q")
        assert code == 0, err
        if ext == ".parquet":
            df = pd.read_parquet(out)
            comp = np.stack(df["composition"].to_list())
        elif ext == ".h5":
            with h5py.File(out) as h5:
                assert h5["composition"].shape == (8, 4)
                comp = h5["composition"][:]
                df = pd.DataFrame({"id": [i.decode() for i in h5["id"][:]],
                                   "top_base": [b.decode() for b in h5["top_base"][:]], "gc": h5["gc"][:]})
        else:
            df = pd.read_csv(out, sep="\t" if ext == ".tsv" else ",")
            assert list(df.columns) == ["id", "score", "gc", "composition.0", "composition.1", "composition.2",
                                        "composition.3", "top_base", "count:A", "count:C", "count:G", "count:T"]
            comp = df[[f"composition.{j}" for j in range(4)]].to_numpy()
        assert df["id"].tolist() == expected["id"].tolist()
        np.testing.assert_allclose(comp, expected[list("ACGT")].to_numpy(), rtol=1e-6)
        np.testing.assert_allclose(df["gc"], expected["C"] + expected["G"], rtol=1e-6)
        assert df["top_base"].tolist() == [max("ACGT", key=lambda b, r=r: r[b]) for _, r in expected.iterrows()]


def test_an_output_the_model_yaml_does_not_declare_is_refused(composition: zoo.Model, toy_example: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    original = Composition.predict
    monkeypatch.setattr(Composition, "predict", lambda self, b, o=None: {**original(self, b, o), "surprise": [1] * len(b)})
    with pytest.raises(ModelSpecError, match=r"the model returned 'surprise', which model\.yaml does not declare"):
        composition.predict(toy_example)
    monkeypatch.setattr(Composition, "predict",
                        lambda self, b, o=None: {k: v for k, v in original(self, b, o).items() if k != "top_base"})
    with pytest.raises(ModelSpecError, match=r"outputs\.top_base: the model returned no such output"):
        composition.predict(toy_example)
