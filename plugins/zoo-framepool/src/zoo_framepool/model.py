"""The zoo model: :class:`~zoo_framepool.network.Framepool` with the published weights, its options and
its variant scores (Kipoi's log2 fold change of the MRL, in frame and with the 3' end shifted by 1 and 2)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from zoo_core.errors import ModelSpecError
from zoo_core.model import Batch, ZooModel
from zoo_core.spec import ModelSpec

if TYPE_CHECKING:
    import torch

    from zoo_framepool import FramepoolOptions
    from zoo_framepool.network import Framepool

DEFAULT_LIBRARY = "kipoi"
# padded positions per forward pass when a batch is split by length (see FramepoolModel._grouped): large enough
# that a group of 50-nt UTRs still holds a few hundred, small enough that one long UTR does not pad many short ones
GROUP_POSITIONS = 16_384
GPU_GROUP_FACTOR = 32  # a GPU wants wide passes: padding costs it little next to the per-pass overhead


def length_groups(lengths: np.ndarray, budget: int = GROUP_POSITIONS) -> list[np.ndarray]:
    """Indices of ``lengths`` sorted by length, cut into groups whose count × longest length stays within
    ``budget`` (a record longer than the budget is a group of its own)."""
    order = np.argsort(lengths, kind="stable")
    groups: list[np.ndarray] = []
    start = 0
    for i in range(1, len(order) + 1):
        if i == len(order) or (i - start + 1) * max(int(lengths[order[i]]), 1) > budget:
            groups.append(order[start:i])
            start = i
    return groups


def load_network(path: Path) -> Framepool:
    """The network with the tensors of ``model.safetensors`` (every tensor required, none extra).

    Raises
    ------
    ModelSpecError
        The file's tensors do not fit the architecture.
    """
    from safetensors.torch import load_file

    from zoo_framepool.network import Framepool

    net = Framepool()
    try:
        net.load_state_dict(load_file(str(path)), strict=True)
    except RuntimeError as e:
        raise ModelSpecError(path, "weights", f"does not fit the Framepool network: {str(e).splitlines()[0]}") from None
    return net.eval()


def library_of(options: FramepoolOptions | None) -> tuple[float, float]:
    """The 2-value library indicator the options ask for (Kipoi's ``[0, 1]`` without options)."""
    from zoo_framepool.network import LIBRARIES

    return LIBRARIES[options.library if options is not None else DEFAULT_LIBRARY]


@contextmanager
def full_precision(device: torch.device) -> Iterator[None]:
    """Convolutions in true float32 on CUDA while the block runs.

    cuDNN may run float32 convolutions in TF32 (torch's default for them): measured on an H200, that moved the
    MRLs by up to 5e-4 and the published variant effects by 1.3e-4, past the 1e-5 this port reproduces them to;
    without TF32 both stay within 1e-6 of the CPU at the same speed (the dataloader, not the GPU, bounds it).
    The flag is restored afterwards, so nothing else in the process changes.
    """
    import torch

    if device.type != "cuda":
        yield
        return
    before = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32 = before


class FramepoolModel(ZooModel):
    """Predicts ``mrl`` for each 5'UTR; scores ref/alt pairs as Kipoi's Framepool variant effect does."""

    framework = "torch"

    def __init__(self, spec: ModelSpec, weights: dict[str, Path]) -> None:
        super().__init__(spec, weights)
        import torch

        self.net = load_network(weights["model.safetensors"])
        self.device = torch.device("cpu")
        self.input_name = spec.sequence_input.name

    def to(self, device: str | None) -> FramepoolModel:
        """Move to ``device``: the core hands over 'cpu', 'cuda:N' or 'mps' (zoo_core.devices.check_device)."""
        import torch

        self.device = torch.device(device or "cpu")
        self.net = self.net.to(self.device)
        return self

    def _tensors(self, inputs: Mapping[str, np.ndarray]) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The one-hot input and, from the dataloader, each record's 3' end (= its length: padding is at the
        end). Arrays a user passes without ``lengths`` follow Kipoi: the 3' end is the last row."""
        import torch

        x = torch.as_tensor(np.asarray(inputs[self.input_name]), dtype=torch.float32, device=self.device)
        ends = inputs.get("lengths")
        if ends is None:
            return x, None
        return x, torch.as_tensor(np.asarray(ends), device=self.device).round().to(torch.long)

    def _mrl(self, inputs: Mapping[str, np.ndarray], library: tuple[float, float]) -> np.ndarray:
        return self._grouped(inputs, lambda x, ends: self.net(x, ends, library))

    def _grouped(self, inputs: Mapping[str, np.ndarray],
                 fn: Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor]) -> np.ndarray:
        """``fn(x, ends)`` (last axis: the records) over the batch, without gradients.

        With ``lengths`` (the dataloader's right-padded batches) the records run sorted by length, in groups of
        at most :data:`GROUP_POSITIONS` padded positions (32 times that on a GPU), each cut to its own longest
        record: a batch of UTRs of mixed lengths then costs about the sum of their lengths instead of batch size ×
        the longest one. The values do not depend on the grouping (the frames are anchored at each record's own
        end); only float32 rounding of convolutions of another length differs, within 1e-5.
        """
        import torch

        with torch.inference_mode(), full_precision(self.device):
            if inputs.get("lengths") is None:
                x, ends = self._tensors(inputs)
                return fn(x, ends).double().cpu().numpy()
            onehot = np.asarray(inputs[self.input_name])
            lengths = np.asarray(inputs["lengths"]).round().astype(np.int64)
            out: np.ndarray | None = None
            budget = GROUP_POSITIONS * (GPU_GROUP_FACTOR if self.device.type == "cuda" else 1)
            for idx in length_groups(lengths, budget):
                width = max(int(lengths[idx].max()), 1)
                x = torch.as_tensor(onehot[idx, :width], dtype=torch.float32, device=self.device)
                y = fn(x, torch.as_tensor(lengths[idx], device=self.device)).double().cpu().numpy()
                if out is None:
                    out = np.empty((*y.shape[:-1], len(lengths)), np.float64)
                out[..., idx] = y
            assert out is not None
            return out

    def predict_on_batch(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """``mrl`` with Kipoi's library indicator: attributions explain this (model options do not reach them)."""
        from zoo_framepool.network import LIBRARIES

        return {"mrl": self._mrl(inputs, LIBRARIES[DEFAULT_LIBRARY])}

    def predict(self, batch: Batch, options: FramepoolOptions | None = None) -> dict[str, Any]:
        """``mrl`` on the scale of the library ``--library`` names."""
        return {"mrl": self._mrl(batch.inputs, library_of(options))}

    def gradient(self, inputs: dict[str, np.ndarray], *, target: str, name: str) -> np.ndarray:
        """d mrl / d one-hot (Kipoi's library scaling), same shape as ``inputs[name]``."""
        from zoo_framepool.network import LIBRARIES

        self.output_index(target)  # raises for anything but mrl
        x, ends = self._tensors(inputs)
        x.requires_grad_(True)
        with full_precision(self.device):
            self.net(x, ends, LIBRARIES[DEFAULT_LIBRARY]).sum().backward()
        assert x.grad is not None
        return x.grad.cpu().numpy()

    def allele_values(self, batch: Batch, options: FramepoolOptions | None = None) -> dict[str, np.ndarray]:
        """The MRL in frame and with the 3' end shifted by 1 and 2 all-zero positions (Kipoi's Framepool
        variant effect compares each between alleles: model.yaml's ``variant_scores``)."""
        mrl = self._shifted(batch.inputs, library_of(options))
        return {"mrl": mrl[0], "mrl_shift1": mrl[1], "mrl_shift2": mrl[2]}

    def _shifted(self, inputs: Mapping[str, np.ndarray], library: tuple[float, float]) -> np.ndarray:
        return self._grouped(inputs, lambda x, ends: self.net.shifted(x, ends, library))
