"""The miREx network (Pianfetti et al. 2023): the Xpresso CNN backbone with half-life and miRNA inputs, in PyTorch.

Spec ``shared/specs/seed002_mirex.md`` §3 ([C] ``miREx_train.py``, identical to Xpresso's best human model [X]):

    one-hot (L, 4) -> Conv1D 128 k6 'same' ReLU -> MaxPool 30 'same' -> Conv1D 32 k9 'same' ReLU -> MaxPool 10 'same'
    -> flatten (Keras order: length, then channel) ⊕ 8 half-life features ⊕ N miRNA features
    -> Dense 64 ReLU, dropout 0.00099 -> Dense 2 ReLU, dropout 0.01546 -> Dense 1 (linear)

The miRNA block enters by plain concatenation: no separate layers, gating or normalisation [C][P]. miREx pools with
``padding='same'`` (Xpresso used ``valid``; the two agree at the paper's 10,500 nt because 10,500 / 30 = 350, but not
at the 2,048 nt of this plugin's windows: 'same' gives ceil(2,048 / 30) = 69 and ceil(69 / 10) = 7 positions, a
flatten of 7 × 32 = 224). Parameter count: conv1 3,200, conv2 36,896, dense-1 (flatten + 8 + N) · 64 + 64,
dense-2 130, output 3; at 10,500 nt 112,485 (N = 0), 113,125 (N = 10), 128,037 (N = 243), as the spec computes; at
2,048 nt 55,141 + 64 · N.

Initialisation as Keras: convolutions glorot_normal, dense layers glorot_uniform, biases 0.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

DROPOUT = (0.000992864149624538, 0.015461061523035332)  # Xpresso's checkpoint values (spec §3)


def same_pool(x: torch.Tensor, pool: int) -> torch.Tensor:
    """Keras/TF ``MaxPool1D(pool, padding='same')`` on ``(N, C, L)``: ceil(L / pool) outputs, the padding (more of it
    on the right when odd, as TF does) never wins the max."""
    length = x.shape[-1]
    total = max(math.ceil(length / pool) * pool - length, 0)
    if total % 2:
        # max_pool1d pads symmetrically and implicitly (-inf, no copy of the tensor); TF's extra right column is explicit
        x = F.pad(x, (0, 1), value=float("-inf"))
    return F.max_pool1d(x, pool, padding=total // 2)


def pooled_length(seq_len: int, pools: tuple[int, int]) -> int:
    """Positions left after the two 'same' pools."""
    return math.ceil(math.ceil(seq_len / pools[0]) / pools[1])


class MiRExNet(nn.Module):
    """``forward(dna, half_life, mirna)``: ``dna`` ``(N, seq_len, 4)`` one-hot A,C,G,T; ``half_life`` ``(N, 8)``
    z-scored; ``mirna`` ``(N, n_mirna)`` target indicator × log10(miRNA count + 0.1). Returns ``(N, 1)``.

    ``n_mirna = 0`` is the paper's "Xpresso" configuration (no miRNA input); ``mirna`` may then be None.
    """

    def __init__(
        self,
        *,
        seq_len: int = 2048,
        n_half_life: int = 8,
        n_mirna: int = 10,
        filters: tuple[int, int] = (128, 32),
        kernels: tuple[int, int] = (6, 9),
        pools: tuple[int, int] = (30, 10),
        dense: tuple[int, int] = (64, 2),
        dropout: tuple[float, float] = DROPOUT,
    ) -> None:
        super().__init__()
        self.seq_len, self.n_half_life, self.n_mirna = seq_len, n_half_life, n_mirna
        self.kernels, self.pools = tuple(kernels), tuple(pools)
        self.conv1 = nn.Conv1d(4, filters[0], kernels[0])
        self.conv2 = nn.Conv1d(filters[0], filters[1], kernels[1])
        self.flat = pooled_length(seq_len, self.pools) * filters[1]
        self.dense1 = nn.Linear(self.flat + n_half_life + n_mirna, dense[0])
        self.dense2 = nn.Linear(dense[0], dense[1])
        self.out = nn.Linear(dense[1], 1)
        self.drop1, self.drop2 = nn.Dropout(dropout[0]), nn.Dropout(dropout[1])
        for conv in (self.conv1, self.conv2):
            nn.init.xavier_normal_(conv.weight)
            nn.init.zeros_(conv.bias)
        for lin in (self.dense1, self.dense2, self.out):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)

    def backbone(self, dna: torch.Tensor) -> torch.Tensor:
        """The CNN part: ``(N, seq_len, 4)`` → the flattened ``(N, flat)`` features (Keras order)."""
        if dna.ndim != 3 or tuple(dna.shape[1:]) != (self.seq_len, 4):
            raise ValueError(f"dna must be (N, {self.seq_len}, 4), got {tuple(dna.shape)}")
        k1, k2 = self.kernels
        # Keras 'same' convolution pads (k - 1) // 2 before and k // 2 after; ReLU commutes with the max pool.
        # The first convolution (4 input channels) runs as windows × weight matrix: the same sums, 2.2x faster per
        # training step on one CPU thread than Conv1d, whose kernels are slow for so few channels.
        x = F.pad(dna, (0, 0, (k1 - 1) // 2, k1 // 2)).unfold(1, k1, 1)  # (N, L, 4, k1), conv1.weight's layout
        x = F.linear(x.reshape(len(x), self.seq_len, -1), self.conv1.weight.flatten(1), self.conv1.bias)
        x = F.relu(same_pool(x.transpose(1, 2), self.pools[0]))
        x = F.relu(same_pool(self.conv2(F.pad(x, ((k2 - 1) // 2, k2 // 2))), self.pools[1]))
        return x.transpose(1, 2).flatten(1)

    def forward(self, dna: torch.Tensor, half_life: torch.Tensor | None = None,
                mirna: torch.Tensor | None = None) -> torch.Tensor:
        x = self.backbone(dna)
        parts = [x]
        if self.n_half_life:
            parts.append(x.new_zeros(len(x), self.n_half_life) if half_life is None else half_life.to(x.dtype))
        if self.n_mirna:
            if mirna is None or tuple(mirna.shape) != (len(x), self.n_mirna):
                got = None if mirna is None else tuple(mirna.shape)
                raise ValueError(f"mirna must be (N, {self.n_mirna}), got {got}")
            parts.append(mirna.to(x.dtype))
        x = torch.cat(parts, dim=1)
        x = self.drop1(F.relu(self.dense1(x)))
        x = self.drop2(F.relu(self.dense2(x)))
        return self.out(x)


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def expected_parameters(seq_len: int, n_mirna: int, n_half_life: int = 8) -> int:
    """The spec's formula: 3,200 + 36,896 + (flatten + n_half_life + n_mirna) · 64 + 64 + 130 + 3."""
    flat = pooled_length(seq_len, (30, 10)) * 32
    return 3_200 + 36_896 + (flat + n_half_life + n_mirna) * 64 + 64 + 130 + 3
