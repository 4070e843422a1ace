"""The core's attribution methods (in-silico mutagenesis, gradient × input, integrated gradients) and the
loop that runs any registered method, the core's or a plugin's, over a model's batches.

Every method returns, per sequence, an ``np.ndarray, shape=(L, 4)`` (A, C, G, T columns). A model
with several sequence inputs (e.g. 5'UTR, CDS, 3'UTR) gets one such array per input and record,
each cut to the record's real length. A plugin adds a method through the ``register_explainers`` hook; a
model offers the methods its model.yaml ``explain.methods`` lists.

Sign convention: positive = raises the explained output, negative = lowers it.

- ``ism``: entry ``[i, b]`` = f(sequence with base ``b`` at ``i``) − f(original). The original
  base's entry is exactly 0. Model-agnostic, batched; ``3·L`` forward passes per sequence.
- ``grad``: gradient × input. Non-zero only at the observed base of each position.
- ``ig``: integrated gradients from the model's baseline (model.yaml ``explain.baseline``, e.g.
  background A,C,G,T frequencies; default all zeros), 32 steps, midpoint rule. The attributions
  at each position sum (over the 4 columns) to the path integral; their total ≈ f(x) − f(baseline).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

import numpy as np

from zoo_core.errors import ExplainError
from zoo_core.model import Batch, ZooModel

Explainer = Callable[..., np.ndarray]


class Attribution(NamedTuple):
    """One sequence's attributions for one input: ``attr`` and ``onehot`` are ``(L, 4)`` float32."""

    id: str
    attr: np.ndarray
    onehot: np.ndarray
    prediction: float
    input: str


def target_name(model: ZooModel, target: str | None) -> str:
    """The output explained: ``target``, else model.yaml's ``explain.target``, else the first numeric output.

    Raises
    ------
    ExplainError
        ``target`` is not a numeric scalar output of the model.
    """
    names = [o.name for o in model.spec.numeric_outputs]
    target = target or model.spec.explain.target or names[0]
    if target not in names:
        raise ExplainError(f"{model.spec.name} has no numeric output {target!r}; choose one of {', '.join(names)}")
    return target


def _one(inputs: dict[str, np.ndarray], k: int, n: int = 1) -> dict[str, np.ndarray]:
    return {name: np.repeat(v[k: k + 1], n, axis=0) for name, v in inputs.items()}


def ism(model: ZooModel, inputs: dict[str, np.ndarray], name: str, *, target: str, batch_size: int = 32,
        lengths: list[int] | None = None, positions: Iterable[int] | None = None) -> np.ndarray:
    """In-silico saturation mutagenesis. Returns ``(N, L, 4)``; original bases are exactly 0.

    Positions at or past ``lengths[k]`` (padding) are not mutated and stay 0. ``positions`` mutates only those
    positions (of every record; those past a record's length are skipped) and leaves the rest 0: a sample of a
    long sequence costs ``3 · len(positions)`` forward passes instead of ``3 · L``.
    """
    x = inputs[name]
    n, length, _ = x.shape
    out = np.zeros((n, length, 4), np.float32)
    chosen = None if positions is None else sorted(set(positions))
    for k in range(n):
        ref = float(model.output(_one(inputs, k), target)[0])
        real = length if lengths is None else lengths[k]
        sites = range(real) if chosen is None else [i for i in chosen if 0 <= i < real]
        muts = [(i, b) for i in sites for b in range(4) if x[k, i, b] == 0]
        for s in range(0, len(muts), batch_size):
            chunk = muts[s: s + batch_size]
            batch = _one(inputs, k, len(chunk))
            for j, (i, b) in enumerate(chunk):
                batch[name][j, i] = 0
                batch[name][j, i, b] = 1
            y = model.output(batch, target)
            for j, (i, b) in enumerate(chunk):
                out[k, i, b] = y[j] - ref
    return out


def grad_x_input(model: ZooModel, inputs: dict[str, np.ndarray], name: str, *, target: str, batch_size: int = 32,
                 lengths: list[int] | None = None) -> np.ndarray:
    """Gradient × input. Returns ``(N, L, 4)``."""
    return (model.gradient(inputs, target=target, name=name) * inputs[name]).astype(np.float32)


def integrated_gradients(model: ZooModel, inputs: dict[str, np.ndarray], name: str, *, target: str,
                         batch_size: int = 32, lengths: list[int] | None = None, baseline: np.ndarray | None = None,
                         steps: int = 32) -> np.ndarray:
    """Integrated gradients from ``baseline`` (``(4,)`` or ``(L, 4)``; default model.yaml's ``explain.baseline``,
    else zeros). Returns ``(N, L, 4)``."""
    x = inputs[name]
    if baseline is None and model.spec.explain.baseline:
        baseline = np.asarray(model.spec.explain.baseline, np.float32)
    base = np.broadcast_to(np.zeros(4, np.float32) if baseline is None else baseline, x.shape[1:]).astype(np.float32)
    alphas = (np.arange(steps, dtype=np.float32) + 0.5) / steps
    out = np.zeros_like(x, dtype=np.float32)
    for k in range(x.shape[0]):
        total = np.zeros(x.shape[1:], np.float32)
        for s in range(0, steps, batch_size):
            a = alphas[s: s + batch_size]
            batch = _one(inputs, k, len(a))
            batch[name] = base + a[:, None, None] * (x[k] - base)
            total += model.gradient(batch, target=target, name=name).sum(axis=0)
        out[k] = (x[k] - base) * total / steps
    return out


def explain(model: ZooModel, batches: Iterable[Batch], fn: Explainer, *, method: str, target: str | None = None,
            batch_size: int = 32) -> Iterator[Attribution]:
    """Attributions by ``fn`` for every sequence input of every record the batches hold, one at a time.

    Raises
    ------
    ExplainError
        An unknown target, or a method that returns the wrong shape.
    """
    t = target_name(model, target)
    names = [i.name for i in model.spec.sequence_inputs] or [model.spec.sequence_input.name]
    for batch in batches:
        preds = model.output(batch.inputs, t)
        per_input = {}
        for name in names:
            lengths = batch.lengths.get(name)
            attr = np.asarray(fn(model, batch.inputs, name, target=t, batch_size=batch_size, lengths=lengths))
            if attr.shape != batch.inputs[name].shape:
                raise ExplainError(f"--method {method} returned shape {attr.shape} for input {name!r} of shape "
                                   f"{batch.inputs[name].shape}")
            per_input[name] = (attr, lengths)
        for k, rid in enumerate(batch.ids):
            for name, (attr, lengths) in per_input.items():
                end = attr.shape[1] if lengths is None else lengths[k]
                yield Attribution(rid, attr[k, :end], batch.inputs[name][k, :end], float(preds[k]), name)
