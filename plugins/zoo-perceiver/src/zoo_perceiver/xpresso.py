"""The Xpresso CNN (Agarwal & Shendure 2020) in PyTorch, retrained here as the Perceivers' baseline.

The layout is the best human architecture of Xpresso's hyperparameter search, the one its published weights use
(spec ``shared/specs/seed001_perceiver.md`` §10 [X]):

    one-hot (L, 4) -> Conv1D 128 k6 'same' ReLU -> MaxPool 30 -> Conv1D 32 k9 'same' ReLU -> MaxPool 10
    -> flatten ⊕ half-life features -> Dense 64 ReLU, dropout 0.00099 -> Dense 2 ReLU, dropout 0.01546 -> Dense 1

With the 10,500-nt window the flatten is 35 × 32 = 1,120 wide. The published weights take 6 half-life features
(zeros at prediction); this baseline takes the same 8 features as the Perceivers, so the two compare like for like.
Convolutions use Keras' glorot_normal and dense layers glorot_uniform, as the Xpresso code does; biases start at 0.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class XpressoCNN(nn.Module):
    """``forward(dna, half_life)``: ``dna`` ``(N, seq_len, 4)`` one-hot A,C,G,T, ``half_life`` ``(N, n_half_life)``;
    returns ``(N, n_outputs)``."""

    def __init__(
        self,
        *,
        seq_len: int = 10_500,
        n_half_life: int = 8,
        n_outputs: int = 1,
        filters: tuple[int, int] = (128, 32),
        kernels: tuple[int, int] = (6, 9),
        pools: tuple[int, int] = (30, 10),
        dense: tuple[int, int] = (64, 2),
        dropout: tuple[float, float] = (0.00099, 0.01546),
    ) -> None:
        super().__init__()
        self.seq_len = seq_len
        self.n_half_life = n_half_life
        self.pools = pools
        # Keras 'same' padding: (k - 1) // 2 before, k // 2 after (PyTorch warns about and copies for even k)
        self.conv1 = nn.Conv1d(4, filters[0], kernels[0])
        self.conv2 = nn.Conv1d(filters[0], filters[1], kernels[1])
        self.kernels = kernels
        flat = (seq_len // pools[0] // pools[1]) * filters[1]
        self.dense1 = nn.Linear(flat + n_half_life, dense[0])
        self.dense2 = nn.Linear(dense[0], dense[1])
        self.out = nn.Linear(dense[1], n_outputs)
        self.drop1, self.drop2 = nn.Dropout(dropout[0]), nn.Dropout(dropout[1])
        for conv in (self.conv1, self.conv2):
            nn.init.xavier_normal_(conv.weight)
            nn.init.zeros_(conv.bias)
        for lin in (self.dense1, self.dense2, self.out):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)

    def forward(self, dna: torch.Tensor, half_life: torch.Tensor | None = None) -> torch.Tensor:
        if dna.ndim != 3 or dna.shape[1:] != (self.seq_len, 4):
            raise ValueError(f"dna must be (N, {self.seq_len}, 4), got {tuple(dna.shape)}")
        # ReLU after the pool equals Keras' pool after ReLU (both are monotone) and touches 30× fewer values
        k1, k2 = self.kernels
        x = F.pad(dna.transpose(1, 2), ((k1 - 1) // 2, k1 // 2))
        x = F.relu(F.max_pool1d(self.conv1(x), self.pools[0]))
        x = F.relu(F.max_pool1d(self.conv2(F.pad(x, ((k2 - 1) // 2, k2 // 2))), self.pools[1]))
        # Keras flattens (length, channels); keep that order so a ported Keras kernel would drop in unchanged
        x = x.transpose(1, 2).flatten(1)
        if self.n_half_life:
            if half_life is None:
                half_life = x.new_zeros(x.shape[0], self.n_half_life)
            x = torch.cat([x, half_life.to(x.dtype)], dim=1)
        x = self.drop1(F.relu(self.dense1(x)))
        x = self.drop2(F.relu(self.dense2(x)))
        return self.out(x)
