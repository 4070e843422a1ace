"""The Python API: ``list_models()``, ``get_model(id)`` and the :class:`Model` handle."""

from __future__ import annotations

import importlib
import queue
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import numpy as np
import pandas as pd

from zoo_core.devices import check_device
from zoo_core.errors import InputError, LoadError, ModelSpecError
from zoo_core.model import Batch, ZooModel
from zoo_core.options import Options, describe, validate
from zoo_core.registry import ModelEntry, registry
from zoo_core.spec import ModelSpec, OutputSpec
from zoo_core.weights import resolve_weights

Inputs = str | Path | Sequence[str | Path]
Arrays = np.ndarray | Mapping[str, np.ndarray]
T = TypeVar("T")


class Model:
    """A registered model. Cheap to create; weights and frameworks load on first use.

    >>> m = zoo.get_model("xpresso-human-median")
    >>> m.predict("promoters.fa")          # DataFrame: id, expression_pred
    """

    def __init__(self, entry: ModelEntry) -> None:
        self.entry = entry
        self._impl: ZooModel | None = None
        self._weights_dir: Path | None = None

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
    def options(self) -> list[dict[str, Any]]:
        """This model's own options (its dataloader's and its model's): name, type, default, help."""
        return describe(self._dataloader().options_for(self.info)) + describe(self.entry.options)

    @property
    def schema(self) -> dict[str, Any]:
        """Inputs, outputs and options with their kinds, lengths, encodings, units and types."""
        return {
            "inputs": [i.model_dump(exclude_none=True) for i in self.info.inputs],
            "outputs": [o.model_dump() for o in self.info.outputs],
            "options": self.options,
        }

    def _dataloader(self) -> Any:
        return registry().dataloader(self.entry)

    def load(self, *, device: str | None = None, weights_dir: str | Path | None = None) -> ZooModel:
        """Resolve the weights and build the framework model (once).

        Raises
        ------
        WeightsNotFoundError, WeightsIntegrityError
        LoadError
            ``weights_dir`` differs from the folder this handle already loaded (get a new handle for it).
        """
        wanted = Path(weights_dir).resolve() if weights_dir is not None else None
        if self._impl is not None and wanted is not None and wanted != self._weights_dir:
            raise LoadError(f"{self.name} is already loaded from {self._weights_dir or 'its resolved weights'}; "
                            f"use a new zoo.get_model({self.name!r}) to load {weights_dir}")
        if self._impl is None:
            weights = resolve_weights(self.info, self.entry.bundle_dir, weights_dir=weights_dir)
            loader = self.entry.loader
            if isinstance(loader, str):
                module, _, attr = loader.partition(":")
                loader = getattr(importlib.import_module(module), attr)
            self._impl = loader(self.info, weights)
            self._weights_dir = wanted
        device = check_device(device, self._impl.framework)  # one check and message for every model
        return self._impl.to(device) if device else self._impl

    def validate_options(self, **options: Any) -> tuple[Options | None, Options | None]:
        """``(dataloader options, model options)`` from keyword options (``None`` = not given).

        Raises
        ------
        InputError
            An option this model does not have (naming the valid ones), or a value of the wrong type.
        """
        dl, own = validate(self.name, [self._dataloader().options_for(self.info), self.entry.options], options)
        return dl, own

    def batches(self, inputs: Inputs | Arrays, *, batch_size: int = 32, genome: str | Path | None = None,
                **options: Any) -> Iterator[Batch]:
        """Model-ready batches from paths, sequences or arrays, through the model's dataloader."""
        if batch_size < 1:
            raise InputError("<options>", f"batch_size must be at least 1, got {batch_size}")
        dl_options, _ = self.validate_options(**options)
        return self._batches(inputs, batch_size, genome, dl_options)

    def _batches(self, inputs: Inputs | Arrays, batch_size: int, genome: str | Path | None,
                 dl_options: Options | None) -> Iterator[Batch]:
        if isinstance(inputs, np.ndarray | Mapping):
            return array_batches(self.info, inputs, batch_size)
        if not isinstance(inputs, str | Path | Iterable):
            raise InputError("<inputs>", f"inputs is a {type(inputs).__name__}; give paths, sequences or an (N, L, 4) array")
        sources = [inputs] if isinstance(inputs, str | Path) else list(inputs)
        if not sources:
            raise InputError("<inputs>", "no inputs: give paths, sequences or an (N, L, 4) array")
        dl = self._dataloader()
        return dl.obj(self.info, sources, batch_size=batch_size, genome=genome, options=dl_options,
                      **self.info.dataloader.args)

    def predict_iter(self, inputs: Inputs | Arrays, *, batch_size: int = 32, device: str | None = None,
                     genome: str | Path | None = None, **options: Any) -> Iterator[pd.DataFrame]:
        """Predictions as one DataFrame per batch (streaming; memory stays flat)."""
        if batch_size < 1:
            raise InputError("<options>", f"batch_size must be at least 1, got {batch_size}")
        dl_options, model_options = self.validate_options(**options)
        model = self.load(device=device)
        for batch in prefetched(self._batches(inputs, batch_size, genome, dl_options)):
            yield output_table(self.info, batch, model.predict(batch, model_options))

    def score_pairs(self, pairs: str | Path | pd.DataFrame, *, batch_size: int = 32, device: str | None = None,
                    **options: Any) -> pd.DataFrame:
        """Variant effects of sequence pairs: ``id`` and the scores model.yaml's ``variant_scores`` declares
        (default: ``ref_o``, ``alt_o`` and ``delta_o`` = alt − ref per numeric output ``o``).

        ``pairs`` is a TSV with columns ``id``, ``ref``, ``alt`` (sequences; other columns are ignored) or such a
        DataFrame. The model's own options apply to both sequences.

        Raises
        ------
        InputError
            A bad pairs table (missing column, duplicate id, …) or sequence, naming the file and the pair.
        """
        return pd.concat(list(self.score_pairs_iter(pairs, batch_size=batch_size, device=device, **options)),
                         ignore_index=True)

    def score_pairs_iter(self, pairs: str | Path | pd.DataFrame, *, batch_size: int = 32, device: str | None = None,
                         **options: Any) -> Iterator[pd.DataFrame]:
        """:meth:`score_pairs`, one DataFrame per chunk of ``batch_size`` pairs (streaming)."""
        from zoo_core.dataloaders import InlineRecords
        from zoo_core.pairs import read_pairs
        from zoo_core.seqio import Record, source_name

        if batch_size < 1:
            raise InputError("<options>", f"batch_size must be at least 1, got {batch_size}")
        label = source_name(Path(pairs)) if isinstance(pairs, str | Path) else "<pairs>"
        table = read_pairs(pairs)
        dl_options, model_options = self.validate_options(**options)
        model = self.load(device=device)

        def batches(allele: str, rows: pd.DataFrame) -> list[Batch]:
            records = [Record(i, s) for i, s in zip(rows["id"], rows[allele], strict=True)]
            return list(self._batches([InlineRecords(f"{label} ({allele})", records)], len(records), None, dl_options))

        for start in range(0, len(table), batch_size):
            chunk = table.iloc[start: start + batch_size]
            ref, alt = batches("ref", chunk), batches("alt", chunk)
            if [b.ids for b in ref] != [b.ids for b in alt]:  # a dataloader that split ref and alt differently
                ref = [b for i in range(len(chunk)) for b in batches("ref", chunk.iloc[i: i + 1])]
                alt = [b for i in range(len(chunk)) for b in batches("alt", chunk.iloc[i: i + 1])]
            for r, a in zip(ref, alt, strict=True):
                yield output_table(self.info, Batch(r.ids, {}), model.score_pairs(r, a, model_options),
                                   declared=self.info.pair_scores)

    def score_vcf(self, vcf: str | Path, *, genome: str | Path, annotation: str | Path, batch_size: int = 32,
                  device: str | None = None, shard: str | None = None, chunk_size: int = 5000,
                  **options: Any) -> pd.DataFrame:
        """Variant effects from a VCF: one row per (ALT allele, model input it changes, declared score).

        Parameters
        ----------
        vcf: VCF/BCF, plain or bgzip (``-`` = standard input); multi-allelic records give one row set per ALT.
        genome: genome FASTA (plain or bgzip); REF is checked against it.
        annotation: BED (window models: 5' ends) or GTF/GFF3 (transcripts), as the model's ``vep.anchor`` needs.
        shard: ``"K/N"``, the chunks of ``chunk_size`` records whose 0-based ordinal is K−1 modulo N.
        options: the model's own options.

        Returns
        -------
        ``pd.DataFrame`` with columns :data:`zoo_core.vep.COLUMNS`; ``.attrs["summary"]`` holds the counts
        (:class:`zoo_core.vep.Summary`: records, alleles outside every input, flags, forward passes).

        Raises
        ------
        InputError
            A missing or malformed VCF/annotation, a VCF contig the genome lacks, a model without a vep anchor.
        """
        from zoo_core.vep import COLUMNS

        run = self.score_vcf_iter(vcf, genome=genome, annotation=annotation, batch_size=batch_size, device=device,
                                  shard=shard, chunk_size=chunk_size, **options)
        chunks = list(run)
        df = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=COLUMNS)
        df.attrs["summary"] = run.summary
        return df

    def score_vcf_iter(self, vcf: str | Path, *, genome: str | Path, annotation: str | Path, batch_size: int = 32,
                       device: str | None = None, shard: str | None = None, chunk_size: int = 5000,
                       **options: Any) -> Any:
        """:meth:`score_vcf` streamed: a :class:`zoo_core.vep.VepRun`, which yields one table per chunk of
        ``chunk_size`` VCF records and keeps the running ``summary``."""
        from zoo_core.vep import VepContext, VepRun

        context = VepContext(self, genome=genome, annotation=annotation, batch_size=batch_size, device=device, **options)
        return VepRun(context, vcf, shard=shard, chunk_size=chunk_size)

    def predict(self, inputs: Inputs | Arrays, *, batch_size: int = 32, device: str | None = None,
                genome: str | Path | None = None, **options: Any) -> pd.DataFrame:
        """Predict from FASTA / BED / GTF paths, sequence strings, or one-hot arrays.

        Parameters
        ----------
        inputs: a path, a list of paths or sequences, an ``np.ndarray, shape=(N, L, 4)`` (records ``seq_0``, …)
            or a mapping of input name to array.
        batch_size: records per forward pass. Default is 32.
        device: e.g. 'cpu' or 'cuda'; default the framework's choice.
        genome: genome FASTA, for BED/GTF inputs.
        options: the model's own options (``zoo info MODEL`` lists them), e.g. ``features="halflife.tsv"``.

        Returns
        -------
        ``pd.DataFrame``: id, the dataloader's per-record columns, one column per output.

        Raises
        ------
        InputError, WeightsNotFoundError, WeightsIntegrityError
        """
        chunks = list(self.predict_iter(inputs, batch_size=batch_size, device=device, genome=genome, **options))
        return pd.concat(chunks, ignore_index=True)

    def predict_array(self, x: Arrays, *, batch_size: int = 32, device: str | None = None) -> np.ndarray:
        """Array in, array out: the numeric scalar outputs, ``(N, n)`` in model.yaml order.

        ``x`` is ``(N, L, 4)`` one-hot for the first sequence input, or a mapping of input name to array;
        optional numeric inputs left out are zeros.

        Raises
        ------
        InputError
            An array of the wrong shape or values (see :func:`array_batches`), or ``batch_size`` < 1.
        """
        if batch_size < 1:
            raise InputError("<options>", f"batch_size must be at least 1, got {batch_size}")
        model = self.load(device=device)
        names = [o.name for o in self.info.numeric_outputs]
        outs = []
        for batch in array_batches(self.info, x, batch_size):
            y = model.numeric(batch.inputs)
            outs.append(np.stack([y[n] for n in names], axis=1))
        return np.concatenate(outs)

    def explain(self, inputs: Inputs | Arrays, *, method: str = "ism", batch_size: int = 32, target: str | None = None,
                device: str | None = None, genome: str | Path | None = None, **options: Any) -> Iterator[Any]:
        """Per-sequence attributions, ``shape=(L, 4)``, from paths, sequences or arrays: see :func:`zoo_core.explain.explain`."""
        from zoo_core.explain import explain

        if batch_size < 1:
            raise InputError("<options>", f"batch_size must be at least 1, got {batch_size}")
        dl_options, _ = self.validate_options(**options)
        fn = self.explainer(method)
        model = self.load(device=device)
        return explain(model, self._batches(inputs, batch_size, genome, dl_options), fn, method=method,
                       target=target, batch_size=batch_size)

    def explain_cost(self, inputs: Inputs | Arrays, *, method: str, batch_size: int = 32,
                     genome: str | Path | None = None, **options: Any) -> ExplainCost | None:
        """How many model evaluations ``explain`` will run, and about how long it will take: the inputs are read
        once (not standard input) and one batch is timed. None when the method declares no cost or the inputs
        cannot be read twice."""
        import time

        provided = self._provider(method)
        if provided.passes is None or _is_pipe(inputs):
            return None
        dl_options, _ = self.validate_options(**options)
        names = [i.name for i in self.info.sequence_inputs] or [self.info.sequence_input.name]
        records = passes = 0
        first: Batch | None = None
        for batch in self._batches(inputs, batch_size, genome, dl_options):
            first = first or batch
            for k in range(len(batch)):
                records += 1
                for name in names:
                    real = batch.lengths.get(name)
                    passes += provided.passes(real[k] if real is not None else batch.inputs[name].shape[1])
        if first is None:
            return None
        model = self.load()
        one = {k: np.repeat(v[:1], min(batch_size, 8), axis=0) for k, v in first.inputs.items()}
        model.numeric(one)  # warm-up: first calls pay for lazy initialisation
        t0 = time.perf_counter()
        model.numeric(one)
        per_pass = (time.perf_counter() - t0) / len(next(iter(one.values())))
        return ExplainCost(records, passes, passes * per_pass)

    def _provider(self, method: str) -> Any:
        from zoo_core.errors import ExplainError

        methods = self.info.explain.methods
        if method not in methods:
            raise ExplainError(f"{self.name} supports --method {', '.join(methods)}, not {method!r}")
        try:
            return registry().explainer(self.entry, method)
        except ModelSpecError as e:
            raise ExplainError(f"{self.name}: {e.reason}") from None

    def explainer(self, method: str) -> Any:
        """The attribution function for ``method``.

        Raises
        ------
        ExplainError
            The model's model.yaml does not list ``method``, or no loaded plugin provides it.
        """
        return self._provider(method).obj


class ExplainCost(NamedTuple):
    """What an explain run costs: records, model evaluations, and estimated seconds (evaluations are
    timed on the first record at the batch size; gradients cost more than forward passes)."""

    records: int
    passes: int
    seconds: float


def _is_pipe(inputs: Any) -> bool:
    from zoo_core.seqio import STDIN

    items = [inputs] if isinstance(inputs, str | Path) else inputs if isinstance(inputs, list | tuple) else []
    for item in items:
        if str(item) == STDIN:
            return True
        try:
            if isinstance(item, Path) and not item.is_file():
                return item.exists()  # a FIFO or a device: reading it once consumes it
        except OSError:
            return True
    return False


def array_batches(spec: ModelSpec, x: Arrays, batch_size: int) -> Iterator[Batch]:
    """Batches of user arrays: records ``seq_0``, ``seq_1``, …; optional numeric inputs default to zeros.

    Raises
    ------
    InputError
        A missing input, arrays whose first axes differ, an empty array, or a sequence input that is not
        ``(N, L, 4)`` one-hot-like (finite, in [0, 1], of the model's length), naming the expected shape.
    """
    arrays = dict(x) if isinstance(x, Mapping) else {spec.sequence_input.name: x}  # a list is an array too
    unknown = sorted(map(str, set(arrays) - {i.name for i in spec.inputs}))
    if unknown:  # a misspelt optional input would silently be zeros
        raise InputError("<array>", f"no input named {unknown[0]!r}; {spec.name}'s inputs are "
                                    f"{', '.join(i.name for i in spec.inputs)}")
    for i in spec.inputs:
        if i.name not in arrays and not (i.kind == "numeric" and i.optional):
            raise InputError("<array>", f"input '{i.name}' is required ({i.doc.strip()})")
    for i in spec.inputs:
        if i.name in arrays:
            arrays[i.name] = _checked_array(i, arrays[i.name])
    sizes = {len(v) for v in arrays.values()}
    if len(sizes) != 1:
        raise InputError("<array>", f"inputs have different numbers of records: {sorted(sizes)}")
    n = sizes.pop()
    for s in range(0, n, batch_size):
        inputs = {k: v[s: s + batch_size] for k, v in arrays.items()}
        k = len(next(iter(inputs.values())))
        for i in spec.inputs:
            if i.name not in inputs and i.kind == "numeric":
                inputs[i.name] = np.zeros((k, i.length or 0), np.float32)
        yield Batch([f"seq_{j}" for j in range(s, s + k)], inputs)


def _checked_array(spec_input: Any, value: Any) -> np.ndarray:
    name = spec_input.name
    length = spec_input.length
    if spec_input.kind == "numeric":
        expected = f"(N, {length or 'k'})"
        try:
            arr = np.asarray(value, np.float32)
        except (TypeError, ValueError) as e:
            raise InputError("<array>", f"input '{name}' is not a numeric array ({e}); expected {expected}") from None
        if arr.ndim != 2 or (length and arr.shape[1] != length):
            raise InputError("<array>", f"input '{name}' has shape {arr.shape}, expected {expected}")
    else:
        expected = f"(N, {length or 'L'}, 4) one-hot A,C,G,T"
        try:
            arr = np.asarray(value, np.float32)
        except (TypeError, ValueError) as e:
            raise InputError("<array>", f"input '{name}' is not a numeric array ({e}); expected {expected}") from None
        if arr.ndim != 3 or arr.shape[2] != 4 or (length and arr.shape[1] != length):
            raise InputError("<array>", f"input '{name}' has shape {arr.shape}, expected {expected}")
        if arr.size and (not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 1):
            raise InputError("<array>", f"input '{name}' has values outside [0, 1] (or NaN/inf); expected {expected}")
    if len(arr) == 0:
        raise InputError("<array>", f"input '{name}' has no records; expected {expected} with N >= 1")
    if not np.isfinite(arr).all():
        raise InputError("<array>", f"input '{name}' has NaN or inf values")
    return arr


_DTYPES = {"float": np.float64, "int": np.int64, "bool": np.bool_}


def output_table(spec: ModelSpec, batch: Batch, outputs: Mapping[str, Any],
                 declared: list[OutputSpec] | None = None) -> pd.DataFrame:
    """One batch's table: ``id``, the batch's meta columns, then the outputs in model.yaml order (``declared``:
    other declarations than model.yaml's ``outputs``, e.g. its variant scores).

    Raises
    ------
    ModelSpecError
        The model returned a name model.yaml does not declare, left out a required output, or returned a value
        whose length or shape does not fit.
    """
    n = len(batch)
    columns: dict[str, Any] = {"id": batch.ids, **batch.meta}
    seen: set[str] = set()
    for out in spec.outputs if declared is None else declared:
        for name in [c for c in outputs if out.matches(c)]:
            seen.add(name)
            values = outputs[name]
            if out.dtype == "str":
                col: Any = [str(v) for v in values]
            else:
                arr = np.asarray(values, _DTYPES[out.dtype])
                if arr.shape != (n, *out.shape):
                    raise ModelSpecError(spec.name, f"outputs.{name}",
                                         f"the model returned shape {arr.shape}, model.yaml declares {(n, *out.shape)}")
                col = list(arr) if out.shape else arr
            if len(col) != n:
                raise ModelSpecError(spec.name, f"outputs.{name}", f"{len(col)} values for {n} records")
            columns[name] = col
        if not out.optional and out.name not in outputs:
            raise ModelSpecError(spec.name, f"outputs.{out.name}", "the model returned no such output")
    extra = sorted(set(outputs) - seen)
    if extra:
        raise ModelSpecError(spec.name, "outputs", f"the model returned {extra[0]!r}, which model.yaml does not declare")
    return pd.DataFrame(columns)


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
    """Every model registered by the installed plugins, sorted by id (``PLUGIN:ID`` order for shared ids)."""
    reg = registry()
    reg.ensure_loaded()
    return [Model(e) for e in sorted(reg.models.values(), key=lambda e: (e.spec.name, e.plugin))]


def get_model(model_id: str) -> Model:
    """The model ``model_id`` (an id, an alias, or ``PLUGIN:ID``).

    Raises
    ------
    UnknownModelError
        No installed plugin provides it (the message suggests the closest id).
    DuplicateModelError
        Two plugins provide it; the message names both and how to select one.
    """
    return Model(registry().get(model_id))
