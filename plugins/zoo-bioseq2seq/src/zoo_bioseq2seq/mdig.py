"""MDIG, mutation-directed integrated gradients (Valencia & Hendrix 2023, Eq. 4; spec §7).

For each base b, MDIG integrates the gradient of S = l_<PC> − l_<NC> along the straight path between the
transcript x and x̃_b = β·poly(b) + (1−β)·x, the transcript moved a fraction β toward the all-b sequence,
with x as the 8-channel one-hot over the source vocabulary. Exactly as the authors' ``OneHotMDIG``:

    attr[i, b] = −Σ_c (x − x̃_b)[i, c] · mean_α ∇S(x̃_b + α (x − x̃_b))[i, c],   α ∈ linspace(0, 1, steps)

(all grid points equally weighted, end points included; summed over the 8 vocabulary channels; negated
because the path runs from the destination x̃_b back to x; not rescaled by 1/β). So ``attr[i, b]`` estimates
ΔS of the mutation i → b, with the sign of ISM: negative pushes toward <NC>. Since x − x̃_b = β (x − onehot(b)),
the entry of the wild-type base is exactly 0. A position read as N, R or ``<unk>`` has no wild-type base and
gets four non-zero entries, as ISM gives it. Each transcript is integrated on its own (no padding), 4 × steps
gradient evaluations in chunks of ``batch_size``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from zoo_bioseq2seq.model import BASE_COLUMNS
from zoo_core.errors import ExplainError

if TYPE_CHECKING:
    from zoo_bioseq2seq.model import Bioseq2SeqModel

STEPS = 32  # the authors' sample_size for the verified validation/test sets


def explainer(model: Bioseq2SeqModel, inputs: dict[str, np.ndarray], name: str, *, target: str, batch_size: int = 32,
              lengths: list[int] | None = None) -> np.ndarray:
    """The ``mdig`` method as zoo's explain runs it: :func:`mdig` of ``target`` w.r.t. the sequence input.

    ``lengths`` is unused: the records' lengths come from the inputs.

    Raises
    ------
    ExplainError
        A model that is not a bioseq2seq / EDC model, or an input other than its sequence.
    """
    from zoo_bioseq2seq.model import Bioseq2SeqModel

    if not isinstance(model, Bioseq2SeqModel):
        raise ExplainError(f"--method mdig explains bioseq2seq and EDC models, not {model.spec.name}")
    if name != model.sequence_name:
        raise ExplainError(f"{model.spec.name} is differentiable w.r.t. {model.sequence_name!r} only, not {name!r}")
    return mdig(model, inputs, output=target, batch_size=batch_size)


def mdig(model: Bioseq2SeqModel, inputs: dict[str, np.ndarray], *, beta: float | None = None, steps: int = STEPS,
         batch_size: int = 32, output: str = "logit_diff") -> np.ndarray:
    """MDIG attributions ``(N, L, 4)`` (A, C, G, T) of the one-hot sequence input; zero past each record's length.

    Parameters
    ----------
    model: a loaded bioseq2seq / EDC model.
    inputs: a batch's inputs (the one-hot sequence input and, from the dataloader, ``tokens``).
    beta: how far toward poly(b) to integrate, in (0, 1]; default the model's (0.5 bioseq2seq, 0.1 EDC).
    steps: grid points of α, end points included.
    batch_size: path points per backward pass (the model further splits them by ``max_tokens``).
    output: the scalar explained; the paper's is ``logit_diff`` (S).

    Raises
    ------
    ExplainError
        ``beta`` outside (0, 1] or fewer than 2 steps.
    """
    beta = model.mdig_beta if beta is None else beta
    if not 0 < beta <= 1:
        raise ExplainError(f"MDIG's beta must lie in (0, 1], got {beta}")
    if steps < 2:
        raise ExplainError(f"MDIG needs at least 2 steps, got {steps}")
    x8, lengths = model.source_onehot(inputs)
    alphas = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None, None]
    poly = np.eye(x8.shape[-1], dtype=np.float32)[BASE_COLUMNS]  # one-hot rows of A, C, G, T
    out = np.zeros((*x8.shape[:2], 4), np.float32)
    for k, n in enumerate(lengths):
        x = x8[k, :n]
        for b in range(4):
            # x − x̃_b computed directly, so that it is exactly 0 on the wild-type base whatever β is
            delta = beta * (x - poly[b])
            path = (x - delta)[None] + alphas * delta[None]  # (steps, n, 8)
            total = np.zeros_like(x)
            for s in range(0, steps, batch_size):
                chunk = path[s: s + batch_size]
                total += model.source_gradient(chunk, np.full(len(chunk), n), output=output).sum(axis=0)
            # + 0.0 turns the −0.0 of wild-type entries with a negative gradient into 0.0
            out[k, :n, b] = -(delta * (total / steps)).sum(axis=-1) + 0.0
    return out
