"""The interface a plugin's model implements, and the batches dataloaders hand it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from zoo_core.errors import ExplainError, ModelSpecError
from zoo_core.spec import ModelSpec

if TYPE_CHECKING:
    from zoo_core.options import Options


@dataclass
class Batch:
    """Model-ready inputs for up to ``batch_size`` records.

    ``inputs`` maps input names to arrays whose first axis is the record: every model.yaml input, plus any
    array the plugin's own dataloader adds for its model (e.g. per-position token ids); ``meta`` holds
    per-record columns copied into the output table (chrom, start, strand, …); ``lengths`` gives, for
    variable-length sequence inputs padded at the end, each record's real length (attributions are cut to
    it and ISM never mutates the padding).
    """

    ids: list[str]
    inputs: dict[str, np.ndarray]
    meta: dict[str, list[Any]] = field(default_factory=dict)
    lengths: dict[str, list[int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)


Outputs = Mapping[str, Any]


def score_function(name: str, ref: Any, alt: Any) -> np.ndarray:
    """The generic variant scores: ref, alt, diff = alt − ref, log2fc = log2(alt / ref) (NaN unless both are
    positive), logit_diff = logit(alt) − logit(ref) (probabilities; NaN outside [0, 1])."""
    r, a = np.asarray(ref, np.float64), np.asarray(alt, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if name == "ref":
            return r
        if name == "alt":
            return a
        if name == "diff":
            return a - r
        if name == "log2fc":
            return np.where((r > 0) & (a > 0), np.log2(a / r), np.nan)
        if name == "logit_diff":
            return (np.log(a) - np.log1p(-a)) - (np.log(r) - np.log1p(-r))
    raise ValueError(f"unknown score function {name!r}")


class ZooModel(ABC):
    """A loaded model. Plugins subclass this; users get it through ``zoo.get_model(...).load()``.

    Tensor convention: every sequence input is ``np.ndarray, shape=(N, L, 4), float32`` one-hot
    (A, C, G, T); numeric inputs are ``(N, k)``.

    Two levels of output:

    - :meth:`predict_on_batch` returns the numeric scalar outputs (model.yaml outputs that are one number
      per record), ``(N, n)`` in model.yaml order or a mapping ``name -> (N,)``. Attribution methods call it
      on mutated or interpolated inputs, so it must not depend on anything but ``inputs``.
    - :meth:`predict` returns every output of one batch by name: numbers, strings, labels, vectors
      ``(N, *shape)``, and the members of '{placeholder}' families. The default is :meth:`predict_on_batch`.
      Override it when some outputs are not numeric or depend on the model's options.
    """

    framework: ClassVar[str] = "numpy"

    def __init__(self, spec: ModelSpec, weights: dict[str, Path]) -> None:
        self.spec = spec
        self.weights = weights

    @abstractmethod
    def predict_on_batch(self, inputs: dict[str, np.ndarray]) -> np.ndarray | Outputs:
        """The numeric scalar outputs of one batch: ``(N, n)`` in model.yaml order, or ``{name: (N,)}``."""

    def predict(self, batch: Batch, options: Options | None = None) -> Outputs:
        """Every output of ``batch`` by name; ``options`` is the model's validated options (or None)."""
        return self.numeric(batch.inputs)

    def score_pairs(self, ref: Batch, alt: Batch, options: Options | None = None) -> Outputs:
        """Scores of aligned ref/alt batches (same ids, record by record), by the names model.yaml's
        ``variant_scores`` declares: :meth:`compare_alleles` of the two sides' :meth:`allele_values`."""
        return self.compare_alleles(self.allele_values(ref, options), self.allele_values(alt, options), options)

    def allele_values(self, batch: Batch, options: Options | None = None) -> Outputs:
        """What variant scores compare, per record of one allele's batch: ``{name: (N, ...)}``.

        ``zoo vep`` predicts each reference input once and each alternative once, and pairs the values
        afterwards, so this must depend on nothing but the batch. The default is every numeric scalar output;
        override it to add values a score needs (a prediction with the 3' end shifted, the logits of a
        distribution).
        """
        return self.numeric(batch.inputs)

    def compare_alleles(self, ref: Outputs, alt: Outputs, options: Options | None = None) -> Outputs:
        """Variant scores from paired allele values (row k of ``ref`` against row k of ``alt``).

        The default computes every declared score that has a ``function`` (ref, alt, diff, log2fc, logit_diff)
        from its ``output``; override it for scores model.yaml declares without one, and call this for the rest.
        """
        out: dict[str, np.ndarray] = {}
        for score in self.spec.pair_scores:
            if score.function is not None and score.output is not None:
                out[score.name] = score_function(score.function, ref[score.output], alt[score.output])
        return out

    def numeric(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """:meth:`predict_on_batch` as ``{name: (N,) float64}`` for every numeric scalar output.

        Raises
        ------
        ModelSpecError
            The model returned a shape or names that do not fit its model.yaml.
        """
        names = [o.name for o in self.spec.numeric_outputs]
        y = self.predict_on_batch(inputs)
        if isinstance(y, Mapping):
            missing = [n for n in names if n not in y]
            if missing:
                raise ModelSpecError(self.spec.name, "outputs", f"predict_on_batch returned no {missing[0]!r}")
            return {n: np.asarray(y[n], np.float64).reshape(-1) for n in names}
        y = np.asarray(y, np.float64)
        n = len(next(iter(inputs.values())))
        if y.size != n * len(names):
            raise ModelSpecError(self.spec.name, "outputs", f"predict_on_batch returned shape {y.shape}, expected "
                                                            f"({n}, {len(names)}) for {', '.join(names)}")
        y = y.reshape(n, len(names))
        return {name: y[:, j] for j, name in enumerate(names)}

    def output_index(self, target: str) -> int:
        """Column of the numeric scalar output ``target`` in :meth:`predict_on_batch`'s array.

        Raises
        ------
        ExplainError
            ``target`` is not a numeric scalar output.
        """
        names = [o.name for o in self.spec.numeric_outputs]
        if target not in names:
            raise ExplainError(f"{self.spec.name} has no numeric output {target!r}; choose one of {', '.join(names)}")
        return names.index(target)

    def output(self, inputs: dict[str, np.ndarray], target: str) -> np.ndarray:
        """The numeric scalar output ``target`` for ``inputs``, ``(N,)``."""
        return self.numeric(inputs)[target]

    def gradient(self, inputs: dict[str, np.ndarray], *, target: str, name: str) -> np.ndarray:
        """d ``target`` / d ``inputs[name]``, same shape as that input.

        Differentiable models override this; the default says they are not.
        """
        raise ExplainError(f"{self.spec.name} is not differentiable here; use --method ism")

    def to(self, device: str | None) -> ZooModel:
        """Move to ``device``: 'cpu', 'cuda:N' or 'mps', already checked against ``framework`` by
        :func:`zoo_core.devices.check_device` (a numpy model only ever gets 'cpu')."""
        return self
