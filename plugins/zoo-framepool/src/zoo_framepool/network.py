"""Framepool (Karollus, Avsec & Gagneur 2021) in PyTorch: a 5'UTR of any length -> mean ribosome load.

The published Keras model (``Framepool_combined_residual.h5``, Kipoi "Framepool"), layer by layer:

1. ``pad_mask`` = the sum over the 4 channels of the one-hot input: 1 at A/C/G/T, 0 at N and padding.
2. Three ``Conv1D(128, k=7, 'same', ReLU)``, each output multiplied by ``pad_mask``; the outputs of the
   second and third are added to their input (residual), so every feature is >= 0 and 0 at padding.
3. Frames counted from the 3' end (Keras reverses along the length and slices ``0::3``, ``1::3``,
   ``2::3``): frame ``f`` holds the positions ``i`` with ``(end - 1 - i) % 3 == f``, so frame 0 is in
   frame with the start codon that follows the UTR.
4. Per frame the global max and a masked mean = the sum over the frame's positions divided by the sum
   of the *whole* pad mask (all frames together, as the saved config wires it): 6 x 128 = 768 values,
   in the order max f0, f1, f2, mean f0, f1, f2.
5. ``Dense(64, ReLU)`` -> (``Dropout(0.2)``, inactive at inference) -> ``Dense(1)`` = ``y``.
6. The library scaling: ``Dense(1, no bias)`` of ``[y * lib, lib]`` for a 2-value library indicator
   ``lib`` (Kipoi's wrapper: ``[0, 1]``).

Keras anchors the frames at the last row of the array, so its inputs are padded on the left. Here
``ends`` (each record's 3' end, the index one past its last position) may be given instead, which makes
the result independent of where the padding is: right-padded batches, whose real positions come first,
give the values a left-padded batch gives (attributions can then be cut to ``[:length]``). Without
``ends`` every record ends at the last row, exactly as in Keras.
"""

from __future__ import annotations

import torch
from torch import nn

FILTERS = 128
KERNEL = 7
DENSE = 64
FRAMES = 3
# the library indicators the model was trained with (the paper's LibraryEncoder: egfp_unmod_1 -> 0, random -> 1)
LIBRARIES: dict[str, tuple[float, float]] = {"kipoi": (0.0, 1.0), "random": (0.0, 1.0), "egfp_unmod_1": (1.0, 0.0)}

# safetensors tensor name -> (Keras layer, weight) in the published h5; scripts/convert.py and the tests use it
KERAS_NAMES: dict[str, tuple[str, str]] = {
    "conv0.weight": ("convolution_0", "kernel"),
    "conv0.bias": ("convolution_0", "bias"),
    "conv1.weight": ("convolution_1", "kernel"),
    "conv1.bias": ("convolution_1", "bias"),
    "conv2.weight": ("convolution_2", "kernel"),
    "conv2.bias": ("convolution_2", "bias"),
    "fc.weight": ("fully_connected_0", "kernel"),
    "fc.bias": ("fully_connected_0", "bias"),
    "out.weight": ("mrl_output_unscaled", "kernel"),
    "out.bias": ("mrl_output_unscaled", "bias"),
    "scaling.weight": ("scaling_regression", "kernel"),
}


class Framepool(nn.Module):
    """The Framepool network; :meth:`forward` maps one-hot ``(N, L, 4)`` to the MRL ``(N,)``."""

    def __init__(self) -> None:
        super().__init__()
        # padding=3 on both sides is Keras 'same' for an odd kernel of 7
        self.conv0 = nn.Conv1d(4, FILTERS, KERNEL, padding=KERNEL // 2)
        self.conv1 = nn.Conv1d(FILTERS, FILTERS, KERNEL, padding=KERNEL // 2)
        self.conv2 = nn.Conv1d(FILTERS, FILTERS, KERNEL, padding=KERNEL // 2)
        self.fc = nn.Linear(2 * FRAMES * FILTERS, DENSE)
        self.out = nn.Linear(DENSE, 1)
        self.scaling = nn.Linear(4, 1, bias=False)

    @staticmethod
    def mask(x: torch.Tensor, ends: torch.Tensor | None = None) -> torch.Tensor:
        """``(N, L)`` pad mask: the channel sum (Keras' ``compute_pad_mask``), and 0 at or past ``ends``.

        The cut at ``ends`` changes nothing for one-hot padding (already 0); it keeps padding out of the
        model when an attribution path fills it, e.g. integrated gradients from a non-zero baseline.
        """
        m = x.sum(dim=-1)
        if ends is not None:
            m = m * (torch.arange(x.shape[1], device=x.device)[None, :] < ends[:, None])
        return m

    def trunk(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The three masked, residual convolutions: ``(N, L, 4)`` -> features ``(N, 128, L)``, all >= 0."""
        m = mask[:, None, :]
        h0 = torch.relu(self.conv0(x.transpose(1, 2))) * m
        h1 = torch.relu(self.conv1(h0)) * m + h0
        return torch.relu(self.conv2(h1)) * m + h1

    @staticmethod
    def pool(h: torch.Tensor, mask: torch.Tensor, ends: torch.Tensor | None = None) -> torch.Tensor:
        """Per-frame max and masked mean, ``(N, 768)``: frames counted back from ``ends`` (default: the last row).

        Positions outside a frame are multiplied by 0 before the max: features are >= 0, so this equals
        Keras' max over the frame's own positions (and over any padding, which is 0). A frame with no
        position (a sequence of 1 or 2 nt) therefore has max 0, the value it has in any padded batch.
        ``ends`` may pass the array's end (a 3' shift): the positions past it are all-zero, as in Kipoi.
        """
        length = h.shape[-1]
        pos = torch.arange(length, device=h.device)
        if ends is None:
            ends = torch.full((h.shape[0],), length, device=h.device, dtype=torch.long)
        ends = ends.to(torch.long)
        frame = torch.remainder(ends[:, None] - 1 - pos[None, :], FRAMES)  # (N, L)
        inside = pos[None, :] < ends[:, None]
        onehot = torch.stack([(frame == f) & inside for f in range(FRAMES)], dim=-1).to(h.dtype)  # (N, L, 3)
        maxes = [(h * onehot[:, None, :, f]).amax(dim=-1) for f in range(FRAMES)]
        sums = torch.einsum("ncl,nlf->nfc", h, onehot)
        means = sums / mask.sum(dim=1)[:, None, None]  # the whole mask: Keras' global_avg_pool_masked
        return torch.cat([*maxes, *means.unbind(dim=1)], dim=1)

    def head(self, pooled: torch.Tensor) -> torch.Tensor:
        """``(N, 768)`` -> the unscaled prediction ``y``, ``(N,)`` (dropout is inactive at inference)."""
        return self.out(torch.relu(self.fc(pooled)))[:, 0]

    def scale(self, y: torch.Tensor, library: tuple[float, float]) -> torch.Tensor:
        """The library scaling: ``Dense(1, no bias)`` of ``[y * lib, lib]``."""
        lib = torch.tensor(library, dtype=y.dtype, device=y.device).expand(y.shape[0], 2)
        return self.scaling(torch.cat([y[:, None] * lib, lib], dim=1))[:, 0]

    def unscaled(self, x: torch.Tensor, ends: torch.Tensor | None = None) -> torch.Tensor:
        mask = self.mask(x, ends)
        return self.head(self.pool(self.trunk(x, mask), mask, ends))

    def forward(self, x: torch.Tensor, ends: torch.Tensor | None = None,
                library: tuple[float, float] = LIBRARIES["kipoi"]) -> torch.Tensor:
        """MRL of one-hot ``x`` ``(N, L, 4)``; ``ends`` ``(N,)`` are the 3' ends (default ``L``: left padding)."""
        return self.scale(self.unscaled(x, ends), library)

    def shifted(self, x: torch.Tensor, ends: torch.Tensor | None, library: tuple[float, float],
                shifts: tuple[int, ...] = (0, 1, 2)) -> torch.Tensor:
        """MRL with ``k`` all-zero positions appended at the 3' end, for each ``k`` in ``shifts``: ``(len(shifts), N)``.

        Kipoi's frame-shifted variant readouts. Appended zeros are masked, so the convolutions' output at
        the real positions does not change: the trunk runs once and only the frames move.
        """
        if ends is None:
            ends = torch.full((x.shape[0],), x.shape[1], device=x.device, dtype=torch.long)
        mask = self.mask(x, ends)
        h = self.trunk(x, mask)
        return torch.stack([self.scale(self.head(self.pool(h, mask, ends + k)), library) for k in shifts])
