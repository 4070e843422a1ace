"""Attribution methods: in-silico mutagenesis, gradient × input, integrated gradients.

Every method returns, per sequence, an ``np.ndarray, shape=(L, 4)`` (A, C, G, T columns). A model
with several sequence inputs (e.g. 5'UTR, CDS, 3'UTR) gets one such array per input and record,
each cut to the record's real length.

Sign convention: positive = raises the explained output, negative = lowers it.

- ``ism``: entry ``[i, b]`` = f(sequence with base ``b`` at ``i``) − f(original). The original
  base's entry is exactly 0. Model-agnostic, batched; ``3·L`` forward passes per sequence.
- ``grad``: gradient × input. Non-zero only at the observed base of each position.
- ``ig``: integrated gradients from the model's baseline (model.yaml ``explain.baseline``, e.g.
  background A,C,G,T frequencies; default all zeros), 32 steps, midpoint rule. The attributions
  at each position sum (over the 4 columns) to the path integral; their total ≈ f(x) − f(baseline).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

import numpy as np

from zoo_core.errors import ExplainError
from zoo_core.model import Batch, ZooModel

METHODS = ("ism", "grad", "ig")


class Attribution(NamedTuple):
    """One sequence's attributions: ``attr`` and ``onehot`` are ``(L, 4)`` float32; ``input`` names
    the model input they belong to."""

    id: str
    attr: np.ndarray
    onehot: np.ndarray
    prediction: float
    input: str = ""


def _target_index(model: ZooModel, target: str | None) -> int:
    names = [o.name for o in model.spec.outputs]
    target = target or model.spec.explain.target or names[0]
    if target not in names:
        raise ExplainError(f"{model.spec.name} has no output {target!r}; outputs: {', '.join(names)}")
    return names.index(target)


def _one(inputs: dict[str, np.ndarray], k: int, n: int = 1) -> dict[str, np.ndarray]:
    return {name: np.repeat(v[k: k + 1], n, axis=0) for name, v in inputs.items()}


def ism(model: ZooModel, inputs: dict[str, np.ndarray], seq_name: str, *, target: int = 0,
        batch_size: int = 32, lengths: list[int] | None = None) -> np.ndarray:
    """In-silico saturation mutagenesis. Returns ``(N, L, 4)``; original bases are exactly 0.

    Positions at or past ``lengths[k]`` (padding) are not mutated and stay 0.
    """
    x = inputs[seq_name]
    n, length, _ = x.shape
    out = np.zeros((n, length, 4), np.float32)
    for k in range(n):
        ref = float(model.predict_on_batch(_one(inputs, k))[0, target])
        real = length if lengths is None else lengths[k]
        muts = [(i, b) for i in range(real) for b in range(4) if x[k, i, b] == 0]
        for s in range(0, len(muts), batch_size):
            chunk = muts[s: s + batch_size]
            batch = _one(inputs, k, len(chunk))
            for j, (i, b) in enumerate(chunk):
                batch[seq_name][j, i] = 0
                batch[seq_name][j, i, b] = 1
            y = np.asarray(model.predict_on_batch(batch))[:, target]
            for j, (i, b) in enumerate(chunk):
                out[k, i, b] = y[j] - ref
    return out


def grad_x_input(model: ZooModel, inputs: dict[str, np.ndarray], seq_name: str, *,
                 target: int = 0) -> np.ndarray:
    """Gradient × input. Returns ``(N, L, 4)``."""
    return (model.gradient(inputs, target=target, name=seq_name) * inputs[seq_name]).astype(np.float32)


def integrated_gradients(model: ZooModel, inputs: dict[str, np.ndarray], seq_name: str, *, target: int = 0,
                         baseline: np.ndarray | None = None, steps: int = 32, batch_size: int = 32) -> np.ndarray:
    """Integrated gradients from ``baseline`` (``(4,)`` or ``(L, 4)``; default zeros). Returns ``(N, L, 4)``."""
    x = inputs[seq_name]
    base = np.broadcast_to(np.zeros(4, np.float32) if baseline is None else baseline, x.shape[1:]).astype(np.float32)
    alphas = (np.arange(steps, dtype=np.float32) + 0.5) / steps
    out = np.zeros_like(x, dtype=np.float32)
    for k in range(x.shape[0]):
        total = np.zeros(x.shape[1:], np.float32)
        for s in range(0, steps, batch_size):
            a = alphas[s: s + batch_size]
            batch = _one(inputs, k, len(a))
            batch[seq_name] = base + a[:, None, None] * (x[k] - base)
            total += model.gradient(batch, target=target, name=seq_name).sum(axis=0)
        out[k] = (x[k] - base) * total / steps
    return out


def explain(model: ZooModel, batches: Iterable[Batch], *, method: str = "ism", target: str | None = None,
            batch_size: int = 32) -> Iterator[Attribution]:
    """Attributions for every sequence the batches hold, one :class:`Attribution` at a time.

    Raises
    ------
    ExplainError
        Unknown method, a method the model does not list in model.yaml, or an unknown target.
    """
    if method not in METHODS and method not in model.spec.explain.methods:
        raise ExplainError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if method not in model.spec.explain.methods:
        raise ExplainError(f"{model.spec.name} supports --method {', '.join(model.spec.explain.methods)}, "
                           f"not {method!r}")
    t = _target_index(model, target)
    names = [i.name for i in model.spec.sequence_inputs] or [model.spec.sequence_input.name]
    baseline = np.asarray(model.spec.explain.baseline, np.float32) if model.spec.explain.baseline else None
    for batch in batches:
        preds = np.asarray(model.predict_on_batch(batch.inputs))[:, t]
        per_input = {}
        for name in names:
            lengths = batch.lengths.get(name)
            if method == "ism":
                attr = ism(model, batch.inputs, name, target=t, batch_size=batch_size, lengths=lengths)
            elif method == "grad":
                attr = grad_x_input(model, batch.inputs, name, target=t)
            elif method == "ig":
                attr = integrated_gradients(model, batch.inputs, name, target=t, baseline=baseline,
                                            batch_size=batch_size)
            else:  # a method model.yaml lists and the model implements itself (e.g. bioseq2seq's mdig)
                attr = model.attribute(method, batch.inputs, name, target=t, batch_size=batch_size, lengths=lengths)
            per_input[name] = (attr, lengths)
        for k, rid in enumerate(batch.ids):
            for name, (attr, lengths) in per_input.items():
                end = attr.shape[1] if lengths is None else lengths[k]
                label = name if len(names) > 1 else ""  # single-input files keep the flat /attr/<k> layout
                yield Attribution(rid, attr[k, :end], batch.inputs[name][k, :end], float(preds[k]), label)
