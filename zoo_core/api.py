"""The Python API: ``list_models()``, ``get_model(id)`` and the :class:`Model` handle."""

from __future__ import annotations

import importlib
import inspect
import queue
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from zoo_core.errors import InputError
from zoo_core.model import Batch, ZooModel
from zoo_core.registry import ModelEntry, registry
from zoo_core.spec import ModelSpec
from zoo_core.weights import resolve_weights

Inputs = str | Path | Sequence[str | Path] | np.ndarray
T = TypeVar("T")


class Model:
    """A registered model. Cheap to create; weights and frameworks load on first use.

    >>> m = zoo.get_model("xpresso-human-median")
    >>> m.predict("promoters.fa")          # DataFrame: id, expression_pred
    """

    def __init__(self, entry: ModelEntry) -> None:
        self.entry = entry
        self._impl: ZooModel | None = None

    def __repr__(self) -> str:
        return f"<zoo.Model {self.name} ({self.entry.plugin})>"

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def info(self) -> ModelSpec:
        """The validated model.yaml."""
        return self.entry.spec

    @property
    def schema(self) -> dict[str, Any]:
        """Inputs and outputs with their kinds, lengths, encodings and units."""
        return {
            "inputs": [i.model_dump(exclude_none=True) for i in self.info.inputs],
            "outputs": [o.model_dump() for o in self.info.outputs],
        }

    def load(self, *, device: str | None = None, weights_dir: str | Path | None = None) -> ZooModel:
        """Resolve the weights and build the framework model (once).

        Raises
        ------
        WeightsNotFoundError, WeightsIntegrityError
        """
        if self._impl is None:
            weights = resolve_weights(self.info, self.entry.bundle_dir, weights_dir=weights_dir)
            loader = self.entry.loader
            if isinstance(loader, str):
                module, _, attr = loader.partition(":")
                loader = getattr(importlib.import_module(module), attr)
            self._impl = loader(self.info, weights)
        return self._impl.to(device) if device else self._impl

    def batches(self, inputs: Inputs, *, batch_size: int = 32, **options: Any) -> Iterator[Batch]:
        """Model-ready batches from paths or sequences, through the model's dataloader.

        ``options`` (genome, features, gff, tpm, …) go to the dataloader; ``None`` means not given.

        Raises
        ------
        InputError
            An option this model's dataloader does not take.
        """
        dl = self.info.dataloader
        factory = registry().dataloaders[dl.name]
        given = {k: v for k, v in options.items() if v is not None}
        accepted = inspect.signature(factory).parameters
        takes_any = any(p.kind == p.VAR_KEYWORD for p in accepted.values())
        for k in given:
            if k not in accepted and not takes_any:
                flag = "--" + k.replace("_", "-")
                raise InputError("<options>", f"model {self.name} does not take {flag}")
        sources = [inputs] if isinstance(inputs, str | Path) else list(inputs)
        return factory(self.info, sources, batch_size=batch_size, **given, **dl.args)

    def predict_iter(self, inputs: Inputs, *, batch_size: int = 32, device: str | None = None,
                     **kwargs: Any) -> Iterator[pd.DataFrame]:
        """Predictions as one DataFrame per batch (streaming; memory stays flat)."""
        model = self.load(device=device)
        names = [o.name for o in self.info.outputs]
        for batch in prefetched(self.batches(inputs, batch_size=batch_size, **kwargs)):
            y = np.asarray(model.predict_on_batch(batch.inputs), dtype=np.float64).reshape(len(batch), -1)
            df = pd.DataFrame({"id": batch.ids, **batch.meta})
            for j, n in enumerate(names):
                df[n] = y[:, j]
            yield model.annotate(df, batch)

    def predict(self, inputs: Inputs, *, batch_size: int = 32, device: str | None = None,
                **kwargs: Any) -> pd.DataFrame | np.ndarray:
        """Predict from FASTA / BED / GTF paths, sequence strings, or a one-hot array.

        Parameters
        ----------
        inputs: a path, a list of paths or sequences, or ``np.ndarray, shape=(N, L, 4)``.
        batch_size: records per forward pass. Default is 32.
        device: e.g. 'cpu' or 'cuda'; default the framework's choice.
        genome: genome FASTA, required for BED/GTF inputs.
        features: TSV of numeric inputs by id (e.g. Xpresso half-lives); default zeros.

        Returns
        -------
        ``pd.DataFrame`` (id, interval columns, one column per output) for paths/sequences;
        ``np.ndarray, shape=(N, n_outputs)`` for an array.

        Raises
        ------
        InputError, WeightsNotFoundError, WeightsIntegrityError
        """
        if isinstance(inputs, np.ndarray):
            return self._predict_array(inputs, batch_size=batch_size, device=device)
        chunks = list(self.predict_iter(inputs, batch_size=batch_size, device=device, **kwargs))
        return pd.concat(chunks, ignore_index=True)

    def _predict_array(self, x: np.ndarray, *, batch_size: int, device: str | None) -> np.ndarray:
        model = self.load(device=device)
        numeric = [i for i in self.info.inputs if i.kind == "numeric"]  # zeros, as with no --features
        outs = []
        for s in range(0, len(x), batch_size):
            xb = x[s: s + batch_size].astype(np.float32)
            inputs = {self.info.sequence_input.name: xb,
                      **{i.name: np.zeros((len(xb), i.length or 0), np.float32) for i in numeric}}
            outs.append(np.asarray(model.predict_on_batch(inputs)).reshape(len(xb), -1))
        return np.concatenate(outs)

    def explain(self, inputs: Inputs, *, method: str = "ism", batch_size: int = 32, target: str | None = None,
                device: str | None = None, **kwargs: Any) -> Iterator[Any]:
        """Per-sequence attributions, ``shape=(L, 4)``: see :func:`zoo_core.explain.explain`."""
        from zoo_core.explain import explain

        model = self.load(device=device)
        return explain(model, self.batches(inputs, batch_size=batch_size, **kwargs), method=method,
                       target=target, batch_size=batch_size)


def prefetched(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """``items``, produced up to ``depth`` ahead on a background thread.

    Reading and encoding the next batch then overlaps the model's forward pass (frameworks release
    the GIL while they compute). Order is kept; an exception raised while producing an item is
    re-raised here, at that item's place, so a bad record still stops the run before anything after it.
    """
    out: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                out.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put((True, item)):
                    return
            put((False, None))
        except BaseException as e:  # handed to the consumer, which raises it
            put((False, e))

    threading.Thread(target=work, daemon=True, name="zoo-prefetch").start()
    try:
        while True:
            more, value = out.get()
            if not more:
                if value is not None:
                    raise value
                return
            yield value
    finally:
        stop.set()


def list_models() -> list[Model]:
    """Every model registered by the installed plugins, sorted by id."""
    reg = registry()
    reg.ensure_loaded()
    return [Model(reg.models[k]) for k in sorted(reg.models)]


def get_model(model_id: str) -> Model:
    """The model ``model_id``.

    Raises
    ------
    UnknownModelError
        No installed plugin provides it (the message suggests the closest id).
    """
    return Model(registry().get(model_id))


