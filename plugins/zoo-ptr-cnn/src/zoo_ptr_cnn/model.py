"""The zoo model: an ensemble of :class:`~zoo_ptr_cnn.network.PTRCNN` read from one safetensors file."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from zoo_core.errors import ExplainError, InputError, ModelSpecError
from zoo_core.model import Batch, ZooModel
from zoo_core.spec import ModelSpec

if TYPE_CHECKING:
    import torch

    from zoo_ptr_cnn import PTROptions
    from zoo_ptr_cnn.network import PTRCNN

SEQUENCES = ("utr5", "cds", "utr3")
STOP_ROWS = [np.eye(4, dtype=np.float32)[[3, a, b]] for a, b in ((0, 0), (0, 2), (2, 0))]  # TAA, TAG, TGA


def build_network(config: dict[str, Any]) -> PTRCNN:
    """A network with the hyperparameters of a ``config.json``'s ``network`` block."""
    from zoo_ptr_cnn.network import PTRCNN

    return PTRCNN(**config["network"])


def load_ensemble(config: dict[str, Any], tensors: dict[str, torch.Tensor], *, source: object) -> list[PTRCNN]:
    """The ``config['ensemble']`` members stored as ``member<k>.<param>`` in ``tensors``."""
    members = []
    for k in range(int(config["ensemble"])):
        net = build_network(config)
        prefix = f"member{k}."
        own = {name.removeprefix(prefix): t for name, t in tensors.items() if name.startswith(prefix)}
        try:
            net.load_state_dict(own, strict=True)
        except RuntimeError as e:
            raise ModelSpecError(source, f"member{k}", f"does not fit config.json: {str(e).splitlines()[0]}") from None
        members.append(net.eval())
    return members


class PTRModel(ZooModel):
    """Predicts ``slope_a, intercept_b`` (ensemble means) and their ensemble SDs for each transcript."""

    framework = "torch"

    def __init__(self, spec: ModelSpec, weights: dict[str, Path]) -> None:
        super().__init__(spec, weights)
        import torch
        from safetensors.torch import load_file

        torch.set_num_threads(max(1, torch.get_num_threads()))
        self.config = json.loads(weights["config.json"].read_text())
        self.members = load_ensemble(self.config, load_file(str(weights["model.safetensors"])),
                                     source=weights["model.safetensors"])
        self.device = torch.device("cpu")

    def to(self, device: str | None) -> PTRModel:
        import torch

        self.device = torch.device(device.replace("gpu", "cuda") if device else "cpu")
        self.members = [m.to(self.device) for m in self.members]
        return self

    def _tensors(self, inputs: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
        import torch

        if "lengths" not in inputs:  # arrays from a user rather than from the dataloader
            inputs = {**inputs, "lengths": lengths_of(inputs)}
        return {k: torch.as_tensor(inputs[k], dtype=torch.float32, device=self.device) for k in (*SEQUENCES, "lengths")}

    def _stacked(self, x: dict[str, torch.Tensor]) -> torch.Tensor:
        import torch

        return torch.stack([m(x["utr5"], x["cds"], x["utr3"], x["lengths"]) for m in self.members])  # (K, N, 2)

    def predict_on_batch(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        import torch

        with torch.no_grad():
            y = self._stacked(self._tensors(inputs))
        sd = y.std(dim=0, unbiased=False) if len(self.members) > 1 else torch.zeros_like(y[0])
        return torch.cat([y.mean(dim=0), sd], dim=1).cpu().numpy()

    def gradient(self, inputs: dict[str, np.ndarray], *, target: str, name: str) -> np.ndarray:
        column = self.output_index(target)
        if column > 1:
            raise ExplainError("attributions explain slope_a or intercept_b, not their ensemble SDs")
        x = self._tensors(inputs)
        x[name].requires_grad_(True)
        self._stacked(x).mean(dim=0)[:, column].sum().backward()
        assert x[name].grad is not None
        return x[name].grad.cpu().numpy()

    def predict(self, batch: Batch, options: PTROptions | None = None) -> dict[str, Any]:
        """The slope, offset and their SDs; with ``--tpm``, per sample the log2 TPM used, the predicted log2
        protein and log2 protein/mRNA."""
        out: dict[str, Any] = self.numeric(batch.inputs)
        if options is None or options.tpm is None:
            return out
        samples, table = _read_tpm(options.tpm)
        missing = [r for r in batch.ids if r not in table]
        if missing:
            raise InputError(options.tpm, "no row for this transcript in the TPM table", record=missing[0])
        levels = np.stack([table[r] for r in batch.ids])
        for j, sample in enumerate(samples):
            x = levels[:, j]
            protein = out["slope_a"] * x + out["intercept_b"]
            out[f"log2_tpm:{sample}"] = x
            out[f"pred_log2_protein:{sample}"] = protein
            out[f"pred_log2_ptr:{sample}"] = protein - x
        return out


@functools.lru_cache(maxsize=4)
def _read_tpm(path: Path) -> tuple[list[str], dict[str, np.ndarray]]:
    """The TPM table, read once per run rather than once per batch."""
    from zoo_ptr_cnn.dataloader import read_tpm

    return read_tpm(path)


def lengths_of(inputs: dict[str, np.ndarray]) -> np.ndarray:
    """``(N, 4)`` 5'UTR, CDS, 3'UTR and protein lengths of one-hot regions padded at the end (the last
    non-zero row ends a region; the protein excludes a final stop codon)."""
    def real(x: np.ndarray) -> np.ndarray:
        occupied = np.abs(x).sum(axis=-1) > 0
        return np.where(occupied.any(axis=1), x.shape[1] - np.argmax(occupied[:, ::-1], axis=1), 0)

    len5, lenc, len3 = (real(np.asarray(inputs[k])) for k in SEQUENCES)
    cds = np.asarray(inputs["cds"])
    stop = np.array([n >= 3 and any(np.array_equal(cds[k, n - 3: n], s) for s in STOP_ROWS) for k, n in enumerate(lenc)])
    return np.stack([len5, lenc, len3, lenc // 3 - stop], axis=1).astype(np.float32)
