"""The zoo model: an ensemble of :class:`~zoo_ptr_cnn.network.PTRCNN` read from one safetensors file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from zoo_core.errors import ModelSpecError
from zoo_core.model import Batch, ZooModel
from zoo_core.spec import ModelSpec

if TYPE_CHECKING:
    import pandas as pd
    import torch

    from zoo_ptr_cnn.network import PTRCNN

SEQUENCES = ("utr5", "cds", "utr3")


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

    def gradient(self, inputs: dict[str, np.ndarray], *, target: int = 0, name: str | None = None) -> np.ndarray:
        if target > 1:
            from zoo_core.errors import ExplainError

            raise ExplainError("attributions explain slope_a or intercept_b, not their ensemble SDs")
        name = name or "cds"
        x = self._tensors(inputs)
        x[name].requires_grad_(True)
        self._stacked(x).mean(dim=0)[:, target].sum().backward()
        assert x[name].grad is not None
        return x[name].grad.cpu().numpy()

    def annotate(self, table: pd.DataFrame, batch: Batch) -> pd.DataFrame:
        """With a TPM table: per sample, the log2 TPM used, predicted log2 protein and log2 protein/mRNA."""
        if "log2_tpm" in table:
            levels = table.pop("log2_tpm")
            for sample in levels.iloc[0]:
                x = levels.map(lambda d, s=sample: d[s]).astype(float)
                protein = table["slope_a"] * x + table["intercept_b"]
                table[f"log2_tpm:{sample}"] = x
                table[f"pred_log2_protein:{sample}"] = protein
                table[f"pred_log2_ptr:{sample}"] = protein - x
        table["flags"] = table.pop("flags")
        return table
