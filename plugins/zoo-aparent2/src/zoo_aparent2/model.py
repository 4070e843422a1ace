"""The zoo model: APARENT2 (:mod:`zoo_aparent2.network`) on the core's 205-nt one-hot windows.

Outputs (model.yaml order): ``iso_prob`` = Σ cleavage[80:110], the proximal isoform probability as the
authors define it, and ``cleavage``, the 206-bin distribution (bins 0-204: cleavage after that window
position; bin 205: no cleavage inside the window, i.e. the distal isoform).

Encoding: the core one-hot has all-zero rows for N (and other IUPAC codes); APARENT was trained with N as
0.25 in every channel, so every all-zero row of a window becomes 0.25 before the network sees it.

Library: the network adds a learned per-bin bias for one of the 13 MPRA libraries it was trained on. The
``library`` option (default 11, 'array') picks it for ``predict`` and ``score_pairs``; ``predict_on_batch``,
which attribution methods call and which cannot see options, always uses 11.

Variant scores (``allele_values``): for a half-open bin range [a, b), log-odds = log(p / (1 − p)) with
p = Σ cleavage[a:b], computed from the logits as logsumexp(inside) − logsumexp(outside) so that p near 0 or
1 keeps its precision; the declared scores are alt − ref of each.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import torch
from safetensors.torch import load_file

from zoo_aparent2 import DEFAULT_LIBRARY
from zoo_aparent2.network import ISO_BINS, WINDOW, Aparent2, library_onehot
from zoo_core.errors import InputError, ModelSpecError
from zoo_core.model import Batch, Outputs, ZooModel
from zoo_core.spec import ModelSpec

if TYPE_CHECKING:
    from zoo_aparent2 import Aparent2Options

N_VALUE = 0.25
# allele value -> half-open cleavage-bin range of its log-odds (the variant scores are their alt - ref)
LOGODDS_RANGES = {"logodds_77_127": (77, 127), "logodds_0_205": (0, 205), "logodds_80_110": (ISO_BINS.start, ISO_BINS.stop)}


def window_logodds(logits: torch.Tensor, start: int, stop: int) -> torch.Tensor:
    """log(p / (1 − p)) of p = softmax(logits)[:, start:stop].sum(), per row, in float64."""
    z = logits.double()
    inside = torch.logsumexp(z[:, start:stop], dim=1)
    outside = torch.logsumexp(torch.cat([z[:, :start], z[:, stop:]], dim=1), dim=1)
    return inside - outside


class Aparent2Model(ZooModel):
    """APARENT2 with the published MIT weights (Keras h5 → safetensors, see ``scripts/convert.py``)."""

    framework: ClassVar[str] = "torch"

    def __init__(self, spec: ModelSpec, weights: dict[str, Path]) -> None:
        super().__init__(spec, weights)
        path = weights["model.safetensors"]
        self.network = Aparent2()
        try:
            self.network.load_state_dict(load_file(str(path)), strict=True)
        except RuntimeError as e:
            raise ModelSpecError(path, "<tensors>", f"do not fit APARENT2: {str(e).splitlines()[0]}") from None
        # attributions differentiate w.r.t. the input only; parameter gradients would be wasted work
        self.network.eval().requires_grad_(False)
        self.device = torch.device("cpu")
        self.input_name = spec.sequence_input.name

    def to(self, device: str | None) -> Aparent2Model:
        self.device = torch.device(device.replace("gpu", "cuda") if device else "cpu")
        self.network.to(self.device)
        return self

    # ---- forward ---------------------------------------------------------------------------------------------

    def _onehot(self, x: np.ndarray | torch.Tensor) -> torch.Tensor:
        """``(N, 205, 4)`` float32 on the model's device, all-zero rows (N) set to 0.25.

        Raises
        ------
        InputError
            An array that is not ``(N, 205, 4)`` (FASTA and BED inputs are checked by the dataloader).
        """
        t = torch.as_tensor(x, dtype=torch.float32, device=self.device)
        if t.ndim != 3 or tuple(t.shape[1:]) != (WINDOW, 4):
            raise InputError("<array>", f"{self.spec.name} takes one-hot windows of shape (N, {WINDOW}, 4), "
                                        f"got {tuple(t.shape)}")
        unknown = (t == 0).all(dim=2, keepdim=True)
        return torch.where(unknown, torch.full_like(t, N_VALUE), t)

    def logits(self, x: np.ndarray | torch.Tensor, library: int = DEFAULT_LIBRARY) -> torch.Tensor:
        """Cleavage logits ``(N, 206)`` of one-hot windows ``x`` with the bias of ``library``."""
        onehot = self._onehot(x)
        return self.network(onehot, library_onehot(library, len(onehot), device=self.device))

    @staticmethod
    def _library(options: Aparent2Options | None) -> int:
        return options.library if options is not None else DEFAULT_LIBRARY

    # ---- the zoo interface -----------------------------------------------------------------------------------

    def predict_on_batch(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        with torch.inference_mode():
            cut = torch.softmax(self.logits(inputs[self.input_name]), dim=1)
        return {"iso_prob": cut[:, ISO_BINS].double().sum(dim=1).cpu().numpy()}

    def predict(self, batch: Batch, options: Aparent2Options | None = None) -> Outputs:
        with torch.inference_mode():
            cut = torch.softmax(self.logits(batch.inputs[self.input_name], self._library(options)), dim=1).double()
        return {"iso_prob": cut[:, ISO_BINS].sum(dim=1).cpu().numpy(), "cleavage": cut.cpu().numpy()}

    def allele_values(self, batch: Batch, options: Aparent2Options | None = None) -> Outputs:
        """iso_prob and the log-odds of cleavage in each range of ``LOGODDS_RANGES``, from one forward pass;
        the variant scores are their alt − ref (model.yaml ``variant_scores``)."""
        with torch.inference_mode():
            z = self.logits(batch.inputs[self.input_name], self._library(options))
        out: dict[str, Any] = {"iso_prob": torch.softmax(z, dim=1)[:, ISO_BINS].double().sum(dim=1).cpu().numpy()}
        for name, (a, b) in LOGODDS_RANGES.items():
            out[name] = window_logodds(z, a, b).cpu().numpy()
        return out

    def gradient(self, inputs: dict[str, np.ndarray], *, target: str, name: str) -> np.ndarray:
        self.output_index(target)  # only iso_prob is a numeric scalar output; this names the valid one otherwise
        x = torch.as_tensor(inputs[name], dtype=torch.float32, device=self.device).clone().requires_grad_(True)
        with torch.enable_grad():
            # all-zero rows are replaced by 0.25 inside _onehot, so they get no gradient (grad × input is 0 there)
            cut = torch.softmax(self.logits(x), dim=1)
            cut[:, ISO_BINS].sum().backward()
        assert x.grad is not None
        return x.grad.cpu().numpy()
