"""The zoo model of every zoo-perceiver network, read from ``config.json`` + ``model.safetensors``, and the
``attention`` explainer.

``config.json`` (written by ``scripts/package.py``, whose docstring gives the layout) names the network
(``{"class", "kwargs"}`` for :func:`zoo_perceiver.build.build_network`), its labels (``mrna``, ``protein``), each
label's training mean and SD (to undo the z-score) and the half-life statistics. The outputs per label are the
prediction in training units, ``<label>_pred`` (z-scored log10(x + 0.1)), and the same de-standardised,
``mrna_log10_rpkm`` / ``protein_log10_ppm``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from zoo_core.errors import ExplainError, ModelSpecError
from zoo_core.model import ZooModel
from zoo_core.spec import ModelSpec
from zoo_perceiver.halflife import FEATURES

if TYPE_CHECKING:
    import torch

UNITS = {"mrna": "rpkm", "protein": "ppm"}  # <label>_log10_<unit>: log10(RPKM + 0.1), log10(PaxDb ppm + 0.1)


def output_names(labels: list[str]) -> list[str]:
    """The numeric outputs of a model with ``labels``, in model.yaml order."""
    return [name for label in labels for name in (f"{label}_pred", f"{label}_log10_{UNITS[label]}")]


class PerceiverModel(ZooModel):
    """A DNAPerceiver, ProteinPerceiver, DNA&ProteinPerceiver or the XpressoCNN baseline (PyTorch, CPU by default)."""

    framework = "torch"

    def __init__(self, spec: ModelSpec, weights: dict[str, Path]) -> None:
        super().__init__(spec, weights)
        import torch

        from zoo_core.networks import load_network
        from zoo_perceiver.build import build_network, inputs_of

        config_path = weights["config.json"]
        self.net, self.config = load_network(lambda c: build_network(c["network"]), config_path,
                                             weights["model.safetensors"])
        self.device = torch.device("cpu")
        self.labels: list[str] = list(self.config["labels"])
        self.label_stats = {k: (float(v["mean"]), float(v["sd"])) for k, v in self.config["label_stats"].items()}
        self.net_inputs = inputs_of(self.net)
        self._check_spec(config_path)
        kinds = {i.kind: i.name for i in spec.inputs}
        self.dna, self.protein, self.numeric_name = kinds.get("dna"), kinds.get("protein"), kinds.get("numeric")

    def _check_spec(self, config_path: Path) -> None:
        names = [o.name for o in self.spec.numeric_outputs]
        if names != output_names(self.labels):
            raise ModelSpecError(self.spec.name, "outputs", f"expected {output_names(self.labels)} for the labels "
                                                            f"{self.labels} of {config_path.name}, found {names}")
        length = getattr(self.net, "dna_len", getattr(self.net, "seq_len", None))
        dna = next((i for i in self.spec.inputs if i.kind == "dna"), None)
        if dna is not None and dna.length != length:
            raise ModelSpecError(self.spec.name, "inputs", f"'{dna.name}' is {dna.length} long, the network reads "
                                                           f"{length} nt")

    def to(self, device: str | None) -> PerceiverModel:
        import torch

        self.device = torch.device(device or "cpu")
        self.net.to(self.device)
        return self

    # ---- inputs -----------------------------------------------------------------------------------------------------

    def half_life(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """``(N, 8)`` z-scored features: ``halflife_raw`` (the dataloader's raw table values) log10(x + 0.1)-transformed
        and z-scored with config.json's ``half_life`` statistics, else the ``halflife`` input as given, else zeros."""
        n = len(next(iter(inputs.values())))
        if "halflife_raw" in inputs:
            hl = self.config["half_life"]
            raw = np.asarray(inputs["halflife_raw"], np.float64)
            logged = [f in hl["logged"] for f in FEATURES]
            v = np.where(logged, np.log10(np.where(logged, raw, 1.0) + hl["pseudo"]), raw)
            mean = np.array([hl["stats"][f]["mean"] for f in FEATURES])
            sd = np.array([hl["stats"][f]["sd"] for f in FEATURES])
            return ((v - mean) / sd).astype(np.float32)
        if self.numeric_name is not None and self.numeric_name in inputs:
            return np.asarray(inputs[self.numeric_name], np.float32)
        return np.zeros((n, len(FEATURES)), np.float32)

    def _tensors(self, inputs: dict[str, np.ndarray], grad: str | None = None) -> dict[str, torch.Tensor]:
        """The network's arguments by its own names (``dna``, ``protein``, ``half_life``); ``grad`` (a model.yaml
        input name) requires a gradient."""
        import torch

        spec_name = {"dna": self.dna, "protein": self.protein}
        out = {}
        for arg in self.net_inputs:
            x = self.half_life(inputs) if arg == "half_life" else inputs[spec_name[arg]]  # type: ignore[index]
            t = torch.as_tensor(np.asarray(x, np.float32), device=self.device)
            if grad is not None and spec_name.get(arg) == grad:
                t.requires_grad_(True)
            out[arg] = t
        return out

    # ---- outputs ----------------------------------------------------------------------------------------------------

    def _outputs(self, y: torch.Tensor) -> dict[str, torch.Tensor]:
        out = {}
        for k, label in enumerate(self.labels):
            mean, sd = self.label_stats[label]
            out[f"{label}_pred"] = y[:, k]
            out[f"{label}_log10_{UNITS[label]}"] = y[:, k] * sd + mean
        return out

    def predict_on_batch(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        import torch

        with torch.no_grad():
            y = self.net(*self._tensors(inputs).values())
        return {k: v.double().cpu().numpy() for k, v in self._outputs(y).items()}

    def gradient(self, inputs: dict[str, np.ndarray], *, target: str, name: str) -> np.ndarray:
        self.output_index(target)  # an ExplainError for anything but a numeric output
        if name not in (self.dna, self.protein):
            raise ExplainError(f"{self.spec.name}: no sequence input {name!r}")
        x = self._tensors(inputs, grad=name)
        self._outputs(self.net(*x.values()))[target].sum().backward()
        arg = "dna" if name == self.dna else "protein"
        grad = x[arg].grad
        assert grad is not None
        return grad.cpu().numpy()

    # ---- attention --------------------------------------------------------------------------------------------------

    @property
    def attention_input(self) -> str | None:
        """The model.yaml input the Perceiver's cross-attention reads, or None for the XpressoCNN baseline."""
        from zoo_perceiver.network import DNAPerceiver, DNAProteinPerceiver, ProteinPerceiver

        if isinstance(self.net, DNAPerceiver):
            return self.dna
        if isinstance(self.net, ProteinPerceiver):
            return self.protein
        if isinstance(self.net, DNAProteinPerceiver):
            return self.dna if self.net.perceiver_input == "dna" else self.protein
        return None

    def attention_map(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """``(N, L)`` float32: the input cross-attention's softmax weights averaged over its 128 latents, over the
        positions of :attr:`attention_input`; each row sums to 1, N and padding positions are 0.

        Raises
        ------
        ExplainError
            The network has no attention (the XpressoCNN baseline).
        """
        import torch

        name = self.attention_input
        if name is None:
            raise ExplainError(f"{self.spec.name} is a CNN (Xpresso): it has no attention map; use --method ism, grad "
                               "or ig")
        x = self._tensors(inputs)
        # a protein shorter than the network's 6,000 needs no padding here: pad positions are masked (weight 0)
        seq = x["dna" if name == self.dna else "protein"]
        extra = x.get("half_life") if self.net.encoder.n_extra else None  # type: ignore[union-attr]
        with torch.no_grad():
            weights = self.net.cross_attention_map(seq, extra)  # type: ignore[operator]
        return weights.float().cpu().numpy()


def attention(model: ZooModel, inputs: dict[str, np.ndarray], name: str, *, target: str, batch_size: int = 32,
              lengths: list[int] | None = None) -> np.ndarray:
    """The ``attention`` method as ``zoo explain`` runs it: ``(N, L, C)``, each position's cross-attention weight
    (:meth:`PerceiverModel.attention_map`) at its observed letter, so a record's values sum to 1.

    The map is the model's, whatever ``target`` is explained. It is over the input the cross-attention reads; the
    other sequence input of a DNA&ProteinPerceiver (read by the convolutions only) gets zeros.

    Raises
    ------
    ExplainError
        The model has no attention (the XpressoCNN baseline), or is not a zoo-perceiver model.
    """
    if not isinstance(model, PerceiverModel):
        raise ExplainError(f"{model.spec.name}: --method attention is for the zoo-perceiver models")
    x = np.asarray(inputs[name], np.float32)
    weights = model.attention_map(inputs)  # raises for the CNN before anything else
    if name != model.attention_input:
        return np.zeros_like(x)
    return weights[:, :, None] * x
