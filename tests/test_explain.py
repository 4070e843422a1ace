"""Attributions: shapes, sign convention, agreement with brute force, the HDF5 file and the PNG."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

import zoo
from zoo_core.errors import ExplainError
from zoo_core.explain import integrated_gradients, ism


@pytest.fixture
def toy_batch(toy, toy_example: Path):  # type: ignore[no-untyped-def]
    m = zoo.get_model("toy")
    return m.load(), next(iter(m.batches(toy_example, batch_size=3)))


def test_ism_matches_brute_force_and_original_bases_are_zero(toy_batch) -> None:
    model, batch = toy_batch
    x = batch.inputs["sequence"]
    attr = ism(model, batch.inputs, "sequence", target="score")
    assert attr.shape == x.shape
    assert np.all(attr[x == 1] == 0)
    ref = model.predict_on_batch(batch.inputs)[:, 0]
    for k, i, b in [(0, 0, 0), (1, 57, 2), (2, 199, 3)]:
        mutant = x[k: k + 1].copy()
        mutant[0, i] = np.eye(4)[b]
        expected = model.predict_on_batch({"sequence": mutant})[0, 0] - ref[k]
        assert attr[k, i, b] == pytest.approx(expected, abs=1e-6)


def test_ism_on_chosen_positions_equals_full_ism_there_and_is_zero_elsewhere(toy_batch) -> None:
    model, batch = toy_batch
    full = ism(model, batch.inputs, "sequence", target="score")
    chosen = [3, 57, 199, 10_000]  # one past every record's length: skipped, not an error
    part = ism(model, batch.inputs, "sequence", target="score", positions=chosen)
    np.testing.assert_allclose(part[:, chosen[:3]], full[:, chosen[:3]], atol=1e-6)  # other batch mates
    rest = np.ones(part.shape[1], bool)
    rest[chosen[:3]] = False
    assert not part[:, rest].any()
    assert np.count_nonzero(part[:, chosen[:3]]) == 3 * 3 * 3  # 3 records x 3 positions x 3 alternative bases


def test_integrated_gradients_completeness(toy_batch) -> None:
    """Sum of IG attributions ≈ f(x) − f(baseline): the defining property (32 steps)."""
    model, batch = toy_batch
    base = np.full(4, 0.25, np.float32)
    attr = integrated_gradients(model, batch.inputs, "sequence", target="score", baseline=base, steps=256)
    f_x = model.predict_on_batch(batch.inputs)[:, 0]
    f_b = model.predict_on_batch({"sequence": np.broadcast_to(base, batch.inputs["sequence"].shape).copy()})[0, 0]
    np.testing.assert_allclose(attr.sum(axis=(1, 2)), f_x - f_b, rtol=0.02, atol=1e-3)


def test_gradient_matches_finite_differences(toy_batch) -> None:
    model, batch = toy_batch
    x = batch.inputs["sequence"][:1]
    g = model.gradient({"sequence": x}, target="score", name="sequence")
    eps = 1e-2  # the toy is piecewise linear: central differences are exact away from ReLU kinks
    for i, b in [(10, 0), (100, 3)]:
        xp, xm = x.copy(), x.copy()
        xp[0, i, b] += eps
        xm[0, i, b] -= eps
        fd = (model.predict_on_batch({"sequence": xp}) - model.predict_on_batch({"sequence": xm}))[0, 0] / (2 * eps)
        assert g[0, i, b] == pytest.approx(fd, rel=2e-3, abs=1e-5)


def test_grad_and_ism_agree_in_sign_on_strong_positions(toy_batch) -> None:
    model, batch = toy_batch
    x = batch.inputs["sequence"]
    ism_score = -ism(model, batch.inputs, "sequence", target="score").sum(axis=2) / 3  # support for the observed base
    grad = (model.gradient(batch.inputs, target="score", name="sequence") * x).sum(axis=2)
    r = np.corrcoef(ism_score.ravel(), grad.ravel())[0, 1]
    assert r > 0.5


@pytest.mark.parametrize("method", ["ism", "grad", "ig", "occlusion"])
def test_zoo_explain_writes_h5_and_png(method: str, toy, zoo_cli, toy_example: Path, tmp_path: Path) -> None:
    out, pngs = tmp_path / "attr.h5", tmp_path / "png"
    code, _, err = zoo_cli("explain", "toy", toy_example, "--method", method, "-o", out, "--png-dir", pngs, "-q")
    assert code == 0, err
    with h5py.File(out) as h5:
        ids = [i.decode() for i in h5["ids"][:]]
        assert len(ids) == 8 and h5.attrs["method"] == method and h5.attrs["alphabet"] == "ACGT"
        assert list(h5.attrs["inputs"]) == ["sequence"] and list(h5["attr"]) == ["sequence"]
        attr, onehot = h5["attr/sequence/0"][:], h5["onehot/sequence/0"][:]
        assert attr.shape == (200, 4) and onehot.shape == (200, 4)
        if method == "ism":
            assert np.all(attr[onehot == 1] == 0)
        else:
            assert np.all(attr[onehot == 0] == 0)
    assert len(list(pngs.glob("*.png"))) == 8
    assert (pngs / f"{ids[0]}.sequence.{method}.png").read_bytes()[:4] == b"\x89PNG"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left behind


def test_occlusion_is_the_plugins_own_method_and_matches_its_definition(toy, toy_example: Path) -> None:
    """The toy plugin registers 'occlusion' through register_explainers; the core runs it like its own."""
    m = zoo.get_model("toy")
    a = next(iter(m.explain(toy_example, method="occlusion")))
    i = 57
    masked = a.onehot.astype(np.float32).copy()
    masked[i - 2: i + 3] = 0
    drop = a.prediction - m.predict_array(masked[None])[0, 0]
    assert a.attr[i][a.onehot[i] == 1][0] == pytest.approx(drop, abs=1e-5)
    assert np.all(a.attr[a.onehot == 0] == 0)


def test_explain_accepts_arrays(toy, toy_example: Path) -> None:
    m = zoo.get_model("toy")
    batch = next(iter(m.batches(toy_example, batch_size=2)))
    from_file = [a.attr for a in m.explain(toy_example, method="grad")][:2]
    from_array = list(m.explain(batch.inputs["sequence"], method="grad"))
    assert [a.id for a in from_array] == ["seq_0", "seq_1"]
    np.testing.assert_allclose(np.stack([a.attr for a in from_array]), np.stack(from_file), rtol=1e-6)


def test_unknown_method_is_a_clear_error(toy, zoo_cli, toy_example: Path, tmp_path: Path) -> None:
    code, _, err = zoo_cli("explain", "toy", toy_example, "--method", "shap", "-o", tmp_path / "a.h5")
    assert code == 2 and "'shap' is not one of 'ism', 'grad', 'ig', 'occlusion'" in err
    assert not (tmp_path / "a.h5").exists()
    with pytest.raises(ExplainError, match="toy supports --method ism, grad, ig, occlusion, not 'shap'"):
        zoo.get_model("toy").explain(toy_example, method="shap")
    code, out, _ = zoo_cli("explain", "toy", "--help")
    assert "--method [ism|grad|ig|occlusion]" in out


def test_a_failed_run_leaves_no_png_and_no_h5(toy, zoo_cli, toy_example: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.fa"
    bad.write_text(toy_example.read_text() + ">broken\n" + "ACGT" * 10 + "\n")  # wrong length: fails at the last record
    pngs = tmp_path / "png"
    code, _, err = zoo_cli("explain", "toy", bad, "--method", "grad", "-o", tmp_path / "a.h5", "--png-dir", pngs)
    assert code == 1 and "record 'broken'" in err
    assert not (tmp_path / "a.h5").exists() and not pngs.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.fa"]


def test_plot_attribution_writes_only_its_png_and_keeps_the_backend(toy, toy_example: Path, tmp_path: Path) -> None:
    import matplotlib

    from zoo_core.plot import plot_attribution

    a = next(iter(zoo.get_model("toy").explain(toy_example, method="ism")))
    before = matplotlib.get_backend()
    matplotlib.use("svg")  # any non-Agg backend: forcing Agg inside the library would show here
    try:
        out = tmp_path / "part" / "x.png.tmp"  # a temporary name without the .png suffix, as an atomic writer uses
        out.parent.mkdir()
        plot_attribution(a, out, title="toy ism", window=50)
        assert matplotlib.rcParams["backend"] == "svg"
    finally:
        matplotlib.use(before)
    assert [p.name for p in out.parent.iterdir()] == ["x.png.tmp"]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_png_names_of_ids_that_read_alike_do_not_collide(toy, zoo_cli, toy_example: Path, tmp_path: Path) -> None:
    seq = next(iter(zoo.get_model("toy").batches(toy_example))).ids[0]
    from zoo_core.seqio import read_fasta

    s = next(r.seq for r in read_fasta(toy_example) if r.id == seq)
    fasta = tmp_path / "ids.fa"
    fasta.write_text("".join(f">{i}\n{s}\n" for i in ("tx/1", "tx_1", "tx:1")))
    code, _, err = zoo_cli("explain", "toy", fasta, "--method", "grad", "-o", tmp_path / "a.h5", "--png-dir",
                           tmp_path / "png", "-q")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == [
        "tx_1.sequence.grad.png", "tx_1~2.sequence.grad.png", "tx_1~3.sequence.grad.png"]


def test_a_long_explain_run_states_its_cost_and_waits_for_yes(toy, zoo_cli, toy_example: Path, tmp_path: Path,
                                                              monkeypatch) -> None:
    import zoo.cli.explain as cli_explain

    cost = zoo.get_model("toy").explain_cost([toy_example], method="ism")
    assert cost is not None and (cost.records, cost.passes) == (8, 8 * (3 * 200 + 1)) and cost.seconds > 0
    monkeypatch.setattr(cli_explain, "LONG_RUN_HOURS", 0.0)  # any run is "long" now
    out = tmp_path / "a.h5"
    code, _, err = zoo_cli("explain", "toy", toy_example, "--method", "ism", "-o", out)
    assert code == 2 and "--method ism: 4,808 model evaluations for 8 sequences, about" in err and "--yes" in err
    assert not out.exists()
    assert zoo_cli("explain", "toy", toy_example, "--method", "ism", "-o", out, "--yes", "-q")[0] == 0
    assert out.is_file()
