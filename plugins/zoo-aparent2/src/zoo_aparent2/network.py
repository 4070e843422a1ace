"""APARENT2 (APARENT-ResNet, Linder et al. 2022) as a PyTorch module, and where each tensor comes from.

The published checkpoint is a Keras 2.2.4 model whose 90 Lambda layers hold marshalled Python 3.6 bytecode,
so no current Keras can load it. The graph below was read from its ``model_config`` (layer names, inbound
nodes, kernel sizes, dilations) and the constants of its Lambda layers, never by executing them:

- ``aparent_conv_0``: 1x1 conv, 4 → 32 channels, over the (205, 4) one-hot.
- 7 groups x 4 pre-activation residual blocks ``x + conv_1(relu(bn_1(conv_0(relu(bn_0(x))))))``, kernel 3,
  'same' zero padding, dilation 1, 2, 4, 8, 4, 2, 1 per group; batch norm in inference mode, eps 1e-3.
- skip path: ``aparent_skip_conv_g`` (1x1) taps the *input* of group g (``aparent_conv_0`` for g = 0);
  the sum of the 7 taps plus ``aparent_last_block_conv`` (1x1) on the last group's output feeds
  ``aparent_final_conv`` (1x1, 32 → 1): 205 cleavage scores. No activation anywhere on the skip path.
- ``aparent_extend_tensor`` appends a constant 0 score (bin 205, "distal": no cleavage in the window);
  ``aparent_lib_conv`` (LocallyConnected2D over the tiled 13-way library one-hot) adds a per-bin,
  per-library bias; softmax over the 206 bins gives ``cut_prob``.
- ``iso_prob = cut_prob[80:110].sum()`` (``lambda_58``: constants 80 and 110 in its bytecode).

Tensor names are PyTorch's; :func:`keras_source` maps each one to its h5 dataset and the transposition.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

WINDOW = 205
N_BINS = WINDOW + 1  # the 206th bin is "cleaved past the window" (distal)
N_LIBRARIES = 13
CHANNELS = 32
DILATIONS = (1, 2, 4, 8, 4, 2, 1)
BLOCKS_PER_GROUP = 4
BN_EPS = 1e-3  # Keras' BatchNormalization default; PyTorch's is 1e-5
ISO_BINS = slice(80, 110)


class BatchNorm(nn.Module):
    """Inference-mode batch norm with exactly the four Keras tensors (no ``num_batches_tracked``)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, training=False, eps=BN_EPS)


class ResBlock(nn.Module):
    """Pre-activation residual block: ``x + conv1(relu(bn1(conv0(relu(bn0(x))))))``."""

    def __init__(self, dilation: int) -> None:
        super().__init__()
        self.bn0 = BatchNorm(CHANNELS)
        self.conv0 = nn.Conv1d(CHANNELS, CHANNELS, 3, dilation=dilation, padding=dilation)
        self.bn1 = BatchNorm(CHANNELS)
        self.conv1 = nn.Conv1d(CHANNELS, CHANNELS, 3, dilation=dilation, padding=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv0(F.relu(self.bn0(x)))
        return x + self.conv1(F.relu(self.bn1(y)))


class Aparent2(nn.Module):
    """One-hot windows ``(N, 205, 4)`` and a library one-hot ``(N, 13)`` → cleavage logits ``(N, 206)``."""

    def __init__(self) -> None:
        super().__init__()
        self.conv_0 = nn.Conv1d(4, CHANNELS, 1)
        self.groups = nn.ModuleList(
            nn.ModuleList(ResBlock(d) for _ in range(BLOCKS_PER_GROUP)) for d in DILATIONS)
        self.skip_convs = nn.ModuleList(nn.Conv1d(CHANNELS, CHANNELS, 1) for _ in DILATIONS)
        self.last_block_conv = nn.Conv1d(CHANNELS, CHANNELS, 1)
        self.final_conv = nn.Conv1d(CHANNELS, 1, 1)
        # LocallyConnected2D with a 1x1 kernel on a library one-hot tiled over the 206 bins:
        # one weight per (bin, library) and one bias per bin
        self.lib = nn.Linear(N_LIBRARIES, N_BINS)

    def forward(self, onehot: torch.Tensor, library: torch.Tensor) -> torch.Tensor:
        x = self.conv_0(onehot.transpose(1, 2))
        skip = 0
        for group, skip_conv in zip(self.groups, self.skip_convs, strict=True):
            skip = skip + skip_conv(x)
            for block in group:  # type: ignore[attr-defined]
                x = block(x)
        scores = self.final_conv(self.last_block_conv(x) + skip)[:, 0, :]
        distal = torch.zeros_like(scores[:, :1])
        return torch.cat([scores, distal], dim=1) + self.lib(library)

    def cleavage(self, onehot: torch.Tensor, library: torch.Tensor) -> torch.Tensor:
        """The 206-bin cleavage distribution ``(N, 206)``: softmax of :meth:`forward`."""
        return torch.softmax(self.forward(onehot, library), dim=1)


def library_onehot(index: int, n: int, *, device: torch.device | None = None) -> torch.Tensor:
    """``(n, 13)`` one-hot of library ``index`` (float32)."""
    out = torch.zeros(n, N_LIBRARIES, device=device)
    out[:, index] = 1.0
    return out


# ---- the h5 → safetensors mapping ------------------------------------------------------------------------------

Transform = Callable[[np.ndarray], np.ndarray]
_BN = {"weight": "gamma", "bias": "beta", "running_mean": "moving_mean", "running_var": "moving_variance"}


def _conv_kernel(k: np.ndarray) -> np.ndarray:
    # Keras Conv2D over a (1, 205) image: (1, width, in, out); Conv1d wants (out, in, width). Both are
    # cross-correlations, so the taps keep their order.
    return np.ascontiguousarray(k[0].transpose(2, 1, 0))


def _identity(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a)


def keras_source(key: str) -> tuple[str, str, Transform]:
    """The h5 layer and variable a state-dict ``key`` is converted from, and the array transformation.

    ``model_weights/<layer>/<layer>/<variable>:0`` in the published h5.

    Raises
    ------
    KeyError
        ``key`` is not a tensor of :class:`Aparent2`.
    """
    module, _, tensor = key.rpartition(".")
    parts = module.split(".")
    if parts[0] == "groups" and len(parts) == 4:
        g, b, sub = parts[1], parts[2], parts[3]
        layer = f"aparent_resblock_{g}_{b}_{'batch_norm' if sub.startswith('bn') else 'conv'}_{sub[-1]}"
        if sub.startswith("bn"):
            return layer, _BN[tensor], _identity
        return layer, "kernel" if tensor == "weight" else "bias", _conv_kernel if tensor == "weight" else _identity
    if parts[0] == "skip_convs" and len(parts) == 2:
        layer = f"aparent_skip_conv_{parts[1]}"
    elif parts == ["lib"]:
        # LocallyConnected2D kernel (206 bins, 13 libraries, 1 filter) → Linear weight (206, 13);
        # bias (1, 206, 1) → (206,)
        if tensor == "weight":
            return "aparent_lib_conv", "kernel", lambda a: np.ascontiguousarray(a[:, :, 0])
        return "aparent_lib_conv", "bias", lambda a: np.ascontiguousarray(a[0, :, 0])
    elif len(parts) == 1 and parts[0] in ("conv_0", "last_block_conv", "final_conv"):
        layer = f"aparent_{parts[0]}"
    else:
        raise KeyError(key)
    return layer, "kernel" if tensor == "weight" else "bias", _conv_kernel if tensor == "weight" else _identity
