"""The miREx network of spec §3: parameter counts, Keras 'same' pooling, shapes, batch independence."""

from __future__ import annotations

import pytest
import torch
from zoo_mirex.network import MiRExNet, count_parameters, expected_parameters, pooled_length, same_pool


@pytest.mark.parametrize(("n_mirna", "count"), [(0, 112_485), (10, 113_125), (243, 128_037)])
def test_spec_parameter_counts_at_the_papers_window(n_mirna: int, count: int) -> None:
    # spec §3: Xpresso/N=0 112,485; miREx N=10 113,125; AllMirna N=243 128,037 (10,500-nt window, 'same' pools)
    net = MiRExNet(seq_len=10_500, n_mirna=n_mirna)
    assert count_parameters(net) == count == expected_parameters(10_500, n_mirna)
    assert net.flat == 35 * 32


@pytest.mark.parametrize("n_mirna", [0, 10, 373])
def test_parameter_count_at_the_2048_nt_window(n_mirna: int) -> None:
    net = MiRExNet(seq_len=2048, n_mirna=n_mirna)
    assert net.flat == 7 * 32  # ceil(2048 / 30) = 69, ceil(69 / 10) = 7
    assert count_parameters(net) == 55_141 + 64 * n_mirna == expected_parameters(2048, n_mirna)


def test_same_pool_is_tf_same_padding() -> None:
    # TF 'same': ceil(L / p) outputs, pad (p·out − L) split with the extra on the right; the padding never wins
    x = -torch.arange(1.0, 70.0).reshape(1, 1, 69)  # all negative: a zero pad would win the max
    y = same_pool(x, 10)
    assert y.shape[-1] == 7 == pooled_length(690, (10, 10))
    # 1 value of padding, all on the right: windows start at 0, 10, ..., 60
    assert y.flatten().tolist() == [-1.0, -11.0, -21.0, -31.0, -41.0, -51.0, -61.0]
    x = torch.arange(2048.0).reshape(1, 1, 2048)
    y = same_pool(x, 30)  # total pad 22: 11 left, 11 right
    assert y.shape[-1] == 69 and y[0, 0, 0] == 18.0 and y[0, 0, -1] == 2047.0


def test_forward_shapes_errors_and_batch_independence() -> None:
    torch.manual_seed(0)
    net = MiRExNet(n_mirna=3).eval()
    dna = torch.nn.functional.one_hot(torch.randint(0, 4, (5, 2048)), 4).float()
    hl, mi = torch.randn(5, 8), torch.randn(5, 3)
    y = net(dna, hl, mi)
    assert y.shape == (5, 1)
    assert torch.allclose(net(dna[2:3], hl[2:3], mi[2:3]), y[2:3], atol=1e-6)
    with pytest.raises(ValueError, match=r"mirna must be \(N, 3\)"):
        net(dna, hl, None)
    with pytest.raises(ValueError, match=r"dna must be \(N, 2048, 4\)"):
        net(dna[:, :2000], hl, mi)
    # the miRNA block is plain concatenation into dense-1: its columns act only through dense-1's last 3 inputs
    assert net.dense1.in_features == net.flat + 8 + 3
