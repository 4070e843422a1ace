"""The interface a plugin's model implements, and the batches dataloaders hand it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from zoo_core.errors import ExplainError
from zoo_core.spec import ModelSpec

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Batch:
    """Model-ready inputs for up to ``batch_size`` records.

    ``inputs`` maps each model.yaml input name to an array whose first axis is the record;
    ``meta`` holds per-record columns copied into the output table (chrom, start, strand, …);
    ``lengths`` gives, for variable-length sequence inputs padded at the end, each record's real
    length (attributions are cut to it and ISM never mutates the padding).
    """

    ids: list[str]
    inputs: dict[str, np.ndarray]
    meta: dict[str, list[Any]] = field(default_factory=dict)
    lengths: dict[str, list[int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)


class ZooModel(ABC):
    """A loaded model. Plugins subclass this; users get it through ``zoo.get_model(...).load()``.

    Tensor convention: every sequence input is ``np.ndarray, shape=(N, L, 4), float32`` one-hot
    (A, C, G, T); numeric inputs are ``(N, k)``. ``predict_on_batch`` returns ``(N, n_outputs)``
    in the order of model.yaml ``outputs``.
    """

    framework: ClassVar[str] = "numpy"

    def __init__(self, spec: ModelSpec, weights: dict[str, Path]) -> None:
        self.spec = spec
        self.weights = weights

    @abstractmethod
    def predict_on_batch(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """Predict ``(N, n_outputs)`` float values for one batch."""

    def gradient(self, inputs: dict[str, np.ndarray], *, target: int = 0, name: str | None = None) -> np.ndarray:
        """d output[:, target] / d inputs[name], same shape as that input (default: the first sequence input).

        Differentiable models override this; the default says they are not.
        """
        raise ExplainError(f"{self.spec.name} is not differentiable here; use --method ism")

    def attribute(self, method: str, inputs: dict[str, np.ndarray], name: str, *, target: int = 0,
                  batch_size: int = 32, lengths: list[int] | None = None) -> np.ndarray:
        """``(N, L, 4)`` attributions of input ``name`` by a method the core does not implement but the
        model.yaml lists (e.g. bioseq2seq's ``mdig``); zero past ``lengths``. The default says there is none.
        """
        raise ExplainError(f"{self.spec.name} does not implement --method {method}")

    def annotate(self, table: pd.DataFrame, batch: Batch) -> pd.DataFrame:
        """Final say over one batch's output table (id, meta, outputs); e.g. derived columns.

        The default returns it unchanged.
        """
        return table

    def to(self, device: str | None) -> ZooModel:
        """Move to ``device`` ('cpu', 'cuda', 'gpu:0', …); numpy models ignore it."""
        return self
