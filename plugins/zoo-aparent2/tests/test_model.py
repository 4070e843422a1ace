"""The ported network and model class: what the graph guarantees, N handling, the library bias, attributions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import zoo
from zoo_aparent2.model import Aparent2Model, window_logodds
from zoo_aparent2.network import ISO_BINS, N_BINS, WINDOW
from zoo_core.encoding import one_hot
from zoo_core.errors import InputError
from zoo_core.explain import grad_x_input, integrated_gradients, ism
from zoo_core.seqio import read_fasta

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "zoo_aparent2" / "examples"
WINDOWS = {r.id: r.seq for r in read_fasta(EXAMPLES / "pas_windows.fa")}


@pytest.fixture
def impl() -> Aparent2Model:
    return zoo.get_model("aparent2-resnet").load()  # type: ignore[return-value]


def _x(*ids: str) -> np.ndarray:
    return np.stack([one_hot(WINDOWS[i]) for i in ids])


def test_cleavage_is_a_distribution_and_iso_prob_its_bins_80_to_110(impl: Aparent2Model) -> None:
    model = zoo.get_model("aparent2-resnet")
    got = model.predict(EXAMPLES / "pas_windows.fa")
    cut = np.stack(got["cleavage"].to_list())
    assert cut.shape == (6, N_BINS)
    np.testing.assert_allclose(cut.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(got["iso_prob"], cut[:, ISO_BINS].sum(axis=1), atol=1e-7)
    # the distal bin has a constant zero score: its logit is the library bias alone, whatever the sequence
    z = impl.logits(_x("PTEN_ref", "F2_alt"))
    bias = impl.network.lib.weight[:, 11] + impl.network.lib.bias
    np.testing.assert_allclose(z[:, 205].detach().numpy(), bias[205].item(), atol=1e-6)


def test_n_is_a_quarter_in_each_channel(impl: Aparent2Model) -> None:
    seq = WINDOWS["TP53_ref"]
    with_n = seq[:10] + "N" * 5 + seq[15:]
    explicit = one_hot(with_n)
    explicit[10:15] = 0.25  # APARENT's own encoding of N
    a = impl.predict_on_batch({"pas_window": one_hot(with_n)[None]})["iso_prob"]
    b = impl.predict_on_batch({"pas_window": explicit[None]})["iso_prob"]
    assert a[0] == pytest.approx(b[0], abs=1e-7)
    assert a[0] != pytest.approx(impl.predict_on_batch({"pas_window": _x("TP53_ref")})["iso_prob"][0], abs=1e-4)


def test_library_option_changes_the_bias_and_defaults_to_array(impl: Aparent2Model) -> None:
    model = zoo.get_model("aparent2-resnet")
    default = model.predict(EXAMPLES / "pas_windows.fa")
    array = model.predict(EXAMPLES / "pas_windows.fa", library=11)
    simple = model.predict(EXAMPLES / "pas_windows.fa", library=5)
    np.testing.assert_array_equal(default["iso_prob"], array["iso_prob"])
    assert np.abs(simple["iso_prob"] - default["iso_prob"]).max() > 1e-3
    with pytest.raises(InputError, match="--library"):
        model.predict(EXAMPLES / "pas_windows.fa", library=13)


def test_window_logodds_matches_the_probability_formula(impl: Aparent2Model) -> None:
    z = impl.logits(_x("PTEN_ref", "TP53_alt", "F2_alt")).double()
    p = torch.softmax(z, dim=1)
    for a, b in ((77, 127), (0, 205), (80, 110)):
        s = p[:, a:b].sum(dim=1)
        torch.testing.assert_close(window_logodds(z, a, b), torch.log(s / (1 - s)), atol=1e-9, rtol=0)


def test_arrays_of_the_wrong_width_are_refused(impl: Aparent2Model) -> None:
    with pytest.raises(InputError, match=r"\(N, 205, 4\)"):
        impl.predict_on_batch({"pas_window": np.zeros((1, WINDOW - 1, 4), np.float32)})


def test_ism_at_the_variant_equals_the_variant_effect_on_iso_prob(impl: Aparent2Model) -> None:
    inputs = {"pas_window": _x("PTEN_ref")}
    attr = ism(impl, inputs, "pas_window", target="iso_prob", batch_size=128)[0]
    ref, alt = (impl.predict_on_batch({"pas_window": _x(i)})["iso_prob"][0] for i in ("PTEN_ref", "PTEN_alt"))
    assert attr[99, "ACGT".index("T")] == pytest.approx(alt - ref, abs=1e-6)  # PTEN: A>T at index 99
    assert (attr[_x("PTEN_ref")[0] == 1] == 0).all()


def test_gradients_agree_with_finite_differences_and_ig_is_complete(impl: Aparent2Model) -> None:
    x = _x("TP53_ref")
    g = impl.gradient({"pas_window": x}, target="iso_prob", name="pas_window")[0]
    gxi = grad_x_input(impl, {"pas_window": x}, "pas_window", target="iso_prob")[0]
    assert (gxi[x[0] == 0] == 0).all() and np.abs(gxi).sum() > 0
    # a small move towards another base, in float64 to keep the difference above rounding
    impl.network.double()
    try:
        i, b = 71, 2
        step = np.zeros_like(x, dtype=np.float64)
        step[0, i, b], step[0, i, "ACGT".index(WINDOWS["TP53_ref"][i])] = 1e-4, -1e-4

        def f(v: np.ndarray) -> float:
            t = torch.as_tensor(v, dtype=torch.float64)
            return float(torch.softmax(impl.network(t, torch.eye(13, dtype=torch.float64)[11:12]), 1)[0, ISO_BINS].sum())

        fd = (f(x + step) - f(x - step)) / 2
    finally:
        impl.network.float()
    assert float((g * step[0]).sum()) == pytest.approx(fd, rel=1e-2)
    # integrated gradients from the all-N baseline: attributions sum to about f(x) - f(baseline)
    ig = integrated_gradients(impl, {"pas_window": x}, "pas_window", target="iso_prob")[0]
    base = impl.predict_on_batch({"pas_window": np.full_like(x, 0.25)})["iso_prob"][0]
    full = impl.predict_on_batch({"pas_window": x})["iso_prob"][0]
    assert ig.sum() == pytest.approx(full - base, rel=0.05)
