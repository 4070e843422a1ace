"""The bundled safetensors are the published Keras h5, tensor for tensor, and the PyTorch port computes what the
saved Keras graph computes (a NumPy re-implementation straight from the h5, Keras' reverse-and-slice frames).

Needs the published files in ../shared/data/published (skipped where they are absent)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import h5py
import numpy as np
import pytest
from safetensors.numpy import load_file

import zoo
from zoo_core.encoding import one_hot
from zoo_core.seqio import read_fasta
from zoo_core.spec import load_spec
from zoo_dev.scripts import load_script

PLUGIN = Path(__file__).resolve().parents[1]
FOLDER = PLUGIN / "src" / "zoo_framepool" / "models" / "framepool"
EX = PLUGIN / "src" / "zoo_framepool" / "examples"
PUBLISHED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "published"
H5 = PUBLISHED / "framepool" / "Framepool_combined_residual.h5"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not H5.exists(), reason="published Framepool h5 not available (../shared/data)")]


@pytest.fixture(scope="module")
def convert() -> object:
    return load_script(PLUGIN / "scripts" / "convert.py", "framepool_convert")


@pytest.fixture(autouse=True)
def _framepool_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "zoo-framepool")


def test_bundled_tensors_are_the_h5_tensors_transposed(convert: object) -> None:
    bundled = load_file(str(FOLDER / "model.safetensors"))
    from zoo_framepool.network import KERAS_NAMES

    assert KERAS_NAMES == convert.KERAS_NAMES  # type: ignore[attr-defined]
    assert set(bundled) == set(KERAS_NAMES)
    with h5py.File(H5, "r") as f:
        for name, (layer, weight) in KERAS_NAMES.items():
            keras = np.asarray(f["model_weights"][layer][f"{layer}_{'1' if layer == 'scaling_regression' else '2'}"]
                               [f"{weight}:0"])
            # Conv1D (k, in, out) -> (out, in, k); Dense (in, out) -> (out, in); biases as they are
            expected = keras.transpose(2, 1, 0) if keras.ndim == 3 else keras.T
            assert bundled[name].dtype == np.float32
            np.testing.assert_array_equal(bundled[name], expected, err_msg=name)  # bit for bit


def test_conversion_is_reproducible_and_pinned(convert: object) -> None:
    again = convert.convert_tensors(H5)  # type: ignore[attr-defined]
    bundled = load_file(str(FOLDER / "model.safetensors"))
    for name, value in again.items():
        np.testing.assert_array_equal(value, bundled[name])
    spec = load_spec(FOLDER / "model.yaml")
    assert spec.weights.revision is None
    for f in spec.weights.files:
        assert hashlib.sha256((FOLDER / f.name).read_bytes()).hexdigest() == f.sha256
    assert hashlib.sha256(H5.read_bytes()).hexdigest() == convert.H5_SHA256  # type: ignore[attr-defined]


def test_model_yaml_is_what_convert_writes(convert: object) -> None:
    """model.yaml is generated (scripts/convert.py through the spec), not edited by hand."""
    from zoo_core.spec import ModelSpec

    bundled = load_spec(FOLDER / "model.yaml")
    measured = [m for m in bundled.metrics if m.source == "measured"]
    data = convert.spec_dict([f.model_dump() for f in bundled.weights.files],  # type: ignore[attr-defined]
                             convert.merge_metrics(convert.PAPER_METRICS, measured))  # type: ignore[attr-defined]
    data["weights"].update(repo_id=bundled.weights.repo_id, revision=bundled.weights.revision)
    assert ModelSpec.model_validate(data) == bundled


def _keras_reference(x: np.ndarray, weights: dict[str, np.ndarray], library: tuple[float, float]) -> float:
    """The saved Keras graph for one left-padded one-hot (L, 4), in float64 NumPy."""
    def conv(h: np.ndarray, k: np.ndarray, b: np.ndarray) -> np.ndarray:
        width = k.shape[0]
        padded = np.pad(h, ((width // 2, width // 2), (0, 0)))
        windows = np.lib.stride_tricks.sliding_window_view(padded, width, axis=0)  # (L, in, k)
        return np.maximum(np.einsum("lik,kio->lo", windows, k) + b, 0)

    mask = x.sum(axis=1)[:, None]  # compute_pad_mask
    h0 = conv(x, weights["convolution_0/kernel"], weights["convolution_0/bias"]) * mask
    h1 = conv(h0, weights["convolution_1/kernel"], weights["convolution_1/bias"]) * mask + h0
    h2 = conv(h1, weights["convolution_2/kernel"], weights["convolution_2/bias"]) * mask + h1
    rev = h2[::-1]  # FrameSliceLayer: reverse, then every third position
    frames = [rev[f::3] for f in range(3)]
    pooled = np.concatenate([fr.max(axis=0) for fr in frames] + [fr.sum(axis=0) / mask.sum() for fr in frames])
    hidden = np.maximum(pooled @ weights["fully_connected_0/kernel"] + weights["fully_connected_0/bias"], 0)
    y = float((hidden @ weights["mrl_output_unscaled/kernel"] + weights["mrl_output_unscaled/bias"])[0])
    lib = np.asarray(library)
    return float(np.concatenate([y * lib, lib]) @ weights["scaling_regression/kernel"][:, 0])


@pytest.mark.parametrize("library", ["kipoi", "egfp_unmod_1"])
def test_port_matches_the_keras_graph_on_left_padded_arrays(convert: object, library: str) -> None:
    """Kipoi's layout (zeros on the left) through predict_array, against the NumPy Keras graph."""
    from zoo_framepool.network import LIBRARIES

    with h5py.File(H5, "r") as f:
        weights = {f"{layer}/{w}": convert.keras_weight(f, layer, w).astype(np.float64)  # type: ignore[attr-defined]
                   for layer, w in convert.KERAS_NAMES.values()}  # type: ignore[attr-defined]
    seqs = [r.seq for r in read_fasta(EX / "utrs.fa")]
    width = max(map(len, seqs))
    x = np.zeros((len(seqs), width, 4), np.float32)
    for k, s in enumerate(seqs):
        x[k, width - len(s):] = one_hot(s)
    expected = [_keras_reference(x[k], weights, LIBRARIES[library]) for k in range(len(seqs))]
    model = zoo.get_model("framepool")
    if library == "kipoi":
        got = model.predict_array(x)[:, 0]
    else:
        got = model.predict(x, library=library)["mrl"].to_numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


def test_bundled_pairs_expected_is_the_published_table() -> None:
    """examples/calvo_pairs_expected.tsv holds Kipoi's published numbers verbatim, not this port's."""
    import pandas as pd

    published = pd.read_csv(PUBLISHED / "framepool" / "framepool_kipoi_example_patho_preds.tsv", sep="\t", dtype=str)
    bundled = pd.read_csv(EX / "calvo_pairs_expected.tsv", sep="\t", dtype=str)
    rows = published.set_index("transcript_id").loc[bundled["id"]]
    assert list(rows["mrl_fold_change"]) == list(bundled["mrl_log2fc"])
    assert list(rows["shift_1"]) == list(bundled["mrl_log2fc_shift1"])
    assert list(rows["shift_2"]) == list(bundled["mrl_log2fc_shift2"])
    calvo = pd.read_csv(PUBLISHED / "framepool" / "Calvo_disease.tsv", sep="\t", dtype=str).set_index("GeneName")
    pairs = pd.read_csv(EX / "calvo_pairs.tsv", sep="\t", dtype=str)
    assert list(pairs["ref"]) == list(calvo.loc[pairs["gene"], "utr"])
    assert list(pairs["alt"]) == list(calvo.loc[pairs["gene"], "snv"])
