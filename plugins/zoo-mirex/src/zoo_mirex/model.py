"""The zoo model of every zoo-mirex network, read from ``config.json`` + ``model.safetensors``.

``config.json`` (written by ``scripts/package.py``) holds

- ``network``: the keyword arguments of :class:`zoo_mirex.network.MiRExNet`;
- ``mirnas``: the K selected miRNAs, in the order of the network's miRNA inputs;
- ``default_profile``: the training tissue's profile (mean read count per sample of each miRNA in the TCGA
  adjacent-normal samples), its sample count and mean library size (total miRNA reads per sample, to turn an RPM
  profile into counts);
- ``targets``: ``{gene symbol: [indices of the selected miRNAs that target it]}`` (TargetScan 7.0, every symbol with
  at least one);
- ``half_life``: the training split's statistics of the 8 half-life features (for ``--halflife`` tables).

The network's miRNA feature i of a gene is ``target_i × log10(count_i + 0.1)`` (spec §2.3), built here from the
dataloader's ``gene``, ``mirna_values`` and ``mirna_unit`` (see :mod:`zoo_mirex.dataloader`). Array callers may give
the features themselves as the ``mirna`` input (zeros when left out: an untargeted gene).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from zoo_core.errors import ExplainError, ModelSpecError
from zoo_core.model import Batch, ZooModel
from zoo_core.spec import ModelSpec
from zoo_mirex.tissues import HALF_LIFE, PSEUDO

if TYPE_CHECKING:
    import torch

    from zoo_core.options import Options

OUTPUT = "log10_ntpm"


class MirexModel(ZooModel):
    """A miREx network (PyTorch, CPU by default) with its target map and default miRNA profile."""

    framework = "torch"

    def __init__(self, spec: ModelSpec, weights: dict[str, Path]) -> None:
        super().__init__(spec, weights)
        import torch

        from zoo_core.networks import load_network
        from zoo_mirex.network import MiRExNet

        config_path = weights["config.json"]
        self.net, self.config = load_network(lambda c: MiRExNet(**c["network"]), config_path,
                                             weights["model.safetensors"])
        self.device = torch.device("cpu")
        self.mirnas: list[str] = list(self.config["mirnas"])
        default = self.config["default_profile"]
        self.default_counts = np.asarray(default["counts"], np.float64)
        self.library_size = float(default["library_size"])
        self.targets: dict[str, list[int]] = {k: list(v) for k, v in self.config["targets"].items()}
        hl = self.config["half_life"]
        self.hl_logged = np.array([f in hl["logged"] for f in HALF_LIFE])
        self.hl_mean = np.array([hl["stats"][f]["mean"] for f in HALF_LIFE])
        self.hl_sd = np.array([hl["stats"][f]["sd"] for f in HALF_LIFE])
        self.hl_pseudo = float(hl["pseudo"])
        self._check_spec(config_path)

    def _check_spec(self, config_path: Path) -> None:
        k = len(self.mirnas)
        if self.net.n_mirna != k or len(self.default_counts) != k:
            raise ModelSpecError(config_path, "mirnas", f"{k} miRNAs, but the network reads {self.net.n_mirna} and the "
                                                        f"default profile has {len(self.default_counts)}")
        args = list(self.spec.dataloader.args.get("mirnas", []))
        if args != self.mirnas:
            raise ModelSpecError(self.spec.name, "dataloader.args.mirnas", f"{args} differ from config.json's "
                                                                            f"{self.mirnas}")
        dna = self.spec.sequence_input
        if dna.length != self.net.seq_len:
            raise ModelSpecError(self.spec.name, "inputs", f"'{dna.name}' is {dna.length} long, the network reads "
                                                           f"{self.net.seq_len} nt")

    def to(self, device: str | None) -> MirexModel:
        import torch

        self.device = torch.device(device or "cpu")
        self.net.to(self.device)
        return self

    # ---- inputs -----------------------------------------------------------------------------------------------------

    def indicator(self, genes: np.ndarray) -> np.ndarray:
        """``(N, K)`` 0/1: whether each selected miRNA targets the gene (by symbol; '' = unknown, no targets)."""
        out = np.zeros((len(genes), len(self.mirnas)), np.float64)
        for row, g in enumerate(genes):
            for j in self.targets.get(str(g), ()):
                out[row, j] = 1.0
        return out

    def counts(self, values: np.ndarray, unit: np.ndarray) -> np.ndarray:
        """Mean read counts per sample ``(N, K)``: the default profile where no profile was given (unit 0), RPM
        (unit 2) scaled by the training profile's mean library size."""
        values = np.asarray(values, np.float64)
        unit = np.asarray(unit).reshape(-1, 1)
        x = np.where(unit == 0, self.default_counts[None, :], values)
        return np.where(unit == 2, x * self.library_size / 1e6, x)

    def mirna_features(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """``(N, K)`` float32: target indicator × log10(count + 0.1), or the ``mirna`` input as given, else zeros."""
        if "gene" in inputs:
            expr = np.log10(self.counts(inputs["mirna_values"], inputs["mirna_unit"]) + PSEUDO)
            return (self.indicator(inputs["gene"]) * expr).astype(np.float32)
        n = len(next(iter(inputs.values())))
        return np.asarray(inputs.get("mirna", np.zeros((n, len(self.mirnas)))), np.float32)

    def half_life(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """``(N, 8)`` z-scores: a ``--halflife`` table's raw values transformed as in training, else the ``halflife``
        input as given, else zeros (the mean training gene)."""
        if "halflife_raw" in inputs:
            raw = np.asarray(inputs["halflife_raw"], np.float64)
            v = np.where(self.hl_logged, np.log10(np.where(self.hl_logged, raw, 1.0) + self.hl_pseudo), raw)
            return ((v - self.hl_mean) / self.hl_sd).astype(np.float32)
        n = len(next(iter(inputs.values())))
        return np.asarray(inputs.get("halflife", np.zeros((n, len(HALF_LIFE)))), np.float32)

    def _tensors(self, inputs: dict[str, np.ndarray], grad: bool = False) -> list[torch.Tensor]:
        import torch

        dna = torch.as_tensor(np.asarray(inputs[self.spec.sequence_input.name], np.float32), device=self.device)
        if grad:
            dna.requires_grad_(True)
        hl = torch.as_tensor(self.half_life(inputs), device=self.device)
        mirna = torch.as_tensor(self.mirna_features(inputs), device=self.device)
        return [dna, hl, mirna]

    # ---- outputs ----------------------------------------------------------------------------------------------------

    def predict_on_batch(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        import torch

        with torch.no_grad():
            y = self.net(*self._tensors(inputs))
        return {OUTPUT: y[:, 0].double().cpu().numpy()}

    def predict(self, batch: Batch, options: Options | None = None) -> dict[str, Any]:
        """The predicted level and, per record, the selected miRNAs that target its gene."""
        out: dict[str, Any] = self.numeric(batch.inputs)
        genes = batch.inputs.get("gene", np.array([""] * len(batch)))
        out["targeting_mirnas"] = [",".join(self.mirnas[j] for j in self.targets.get(str(g), ())) for g in genes]
        return out

    def gradient(self, inputs: dict[str, np.ndarray], *, target: str, name: str) -> np.ndarray:
        self.output_index(target)
        if name != self.spec.sequence_input.name:
            raise ExplainError(f"{self.spec.name}: attributions are on the promoter, not {name!r}")
        x = self._tensors(inputs, grad=True)
        self.net(*x)[:, 0].sum().backward()
        assert x[0].grad is not None
        return x[0].grad.cpu().numpy()
