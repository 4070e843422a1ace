"""The core dataloader: DNA windows from FASTA, strings or genome intervals, in batches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from zoo_core.encoding import one_hot
from zoo_core.errors import InputError
from zoo_core.intervals import Genome, is_interval_file, read_intervals
from zoo_core.model import Batch
from zoo_core.seqio import Record, check_sequence, read_fasta, read_tsv, source_name
from zoo_core.sources import resolve
from zoo_core.spec import ModelSpec


@dataclass(frozen=True)
class InlineRecords:
    """Records held in memory, with their ids, as one source of a dataloader (e.g. the ref or alt sequences
    of a pairs file). ``source`` names them in errors, e.g. ``"pairs.tsv (alt)"``."""

    source: str
    records: list[Record]

    def __str__(self) -> str:
        return self.source


Source = str | Path | InlineRecords
INLINE = "<string read as a sequence>"  # how errors name a sequence given as a string


def iter_records(
    sources: Iterable[Source], spec: ModelSpec, *, genome: str | Path | None = None
) -> Iterator[tuple[Record, object, dict[str, Any]]]:
    """Yield ``(record, source, meta)`` from FASTA paths, BED/GTF paths (with ``genome``), raw strings or
    :class:`InlineRecords`.

    Raw strings are named ``seq_0``, ``seq_1``, …; interval records carry chrom/start/end/strand meta.
    """
    inp = spec.sequence_input
    gen: Genome | None = None
    ids: set[str] = set()
    for i, src in enumerate(sources):
        if isinstance(src, InlineRecords):
            for rec in src.records:
                yield _unique(Record(rec.id, rec.seq.upper(), rec.description), ids, src), src, {}
            continue
        resolved = resolve(src, i)
        if isinstance(resolved, Record):
            yield _unique(Record(resolved.id, resolved.seq.upper()), ids, INLINE), INLINE, {}
            continue
        path = resolved
        if is_interval_file(path):
            if genome is None:
                raise InputError(path, "BED/GTF input needs a genome FASTA (--genome)")
            gen = gen or Genome(genome)
            length = inp.length
            anchor = inp.anchor.index if inp.anchor else 0
            for iv in read_intervals(path):
                win = iv.anchored_window(length, anchor) if length else iv
                seq = gen.fetch_window(win, source=path)  # warns, naming the side, when positions were filled with N
                meta = {"chrom": win.chrom, "start": win.start, "end": win.end, "strand": win.strand}
                yield _unique(Record(iv.name, seq), ids, path), path, meta
        else:
            name = source_name(path)
            for rec in read_fasta(path):
                yield _unique(rec, ids, name), name, {}


def _unique(rec: Record, seen: set[str], source: object) -> Record:
    if rec.id in seen:
        raise InputError(source, "duplicate id across inputs", record=rec.id)
    seen.add(rec.id)
    return rec


def read_feature_table(path: str | Path, name: str, width: int | None = None, *,
                       columns: Sequence[str] | None = None,
                       bounds: Mapping[str, tuple[float, float]] | None = None,
                       hint: str = "") -> dict[str, np.ndarray]:
    """Read a TSV of ``id`` + ``width`` numeric columns for the numeric input ``name``: ``{id: float32 row}``.

    With ``columns``, the header must name exactly ``id`` and those columns, in any order, and each row comes back
    in the order of ``columns`` (a table written by another tool need not match the model's order). ``bounds``
    ``{column: (low, high)}`` rejects a value outside the closed range; ``hint`` is appended to that error (e.g. what
    the unit should be).

    Raises
    ------
    InputError
        Missing file, wrong columns (with ``columns``: which are missing or unknown), a duplicate id, a cell that is
        not a finite number (empty, text, NaN, inf), or a value out of ``bounds``, naming the row's id and the column.
    """
    import pandas as pd

    path = Path(path)
    width = len(columns) if columns is not None else width
    if width is None:
        raise TypeError("read_feature_table needs width or columns")
    # every cell as text, nothing read as NaN: ids keep their spelling ('007' is not 7) and compare as strings
    # with FASTA ids, and an empty or non-numeric cell is found by its row and column, not by a dtype
    df = read_tsv(path, f"'id' + {width} numeric columns for input '{name}'")
    if columns is not None:
        wanted = ["id", *columns]
        if sorted(df.columns) != sorted(wanted):
            missing = [c for c in wanted if c not in df.columns]
            unknown = [c for c in df.columns if c not in wanted]
            why = "; ".join(([f"missing {', '.join(missing)}"] if missing else [])
                            + ([f"unknown {', '.join(map(str, unknown))}"] if unknown else [])) or "a repeated column"
            raise InputError(path, f"expected columns 'id' + {', '.join(columns)} (any order) for input '{name}': "
                                   f"{why}")
        df = df[wanted]
    if "id" not in df.columns or df.shape[1] != width + 1:
        raise InputError(path, f"expected columns 'id' + {width} numeric columns for input '{name}', "
                               f"found {list(df.columns)}")
    ids = [i if isinstance(i, str) else "" for i in df["id"]]  # a missing field is NaN even without default NAs
    seen: set[str] = set()
    for n, rid in enumerate(ids, 2):  # line 1 is the header
        if not rid:
            raise InputError(path, f"line {n}: empty id")
        if rid in seen:  # the last row would silently win
            raise InputError(path, "duplicate id in the feature table", record=rid)
        seen.add(rid)
    names = [c for c in df.columns if c != "id"]
    raw = df[names]
    parsed = raw.apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
    with np.errstate(over="ignore"):
        values = parsed.astype(np.float32)  # the model's dtype: 1e40 is inf there
    bad = ~np.isfinite(values)
    if bad.any():  # NaN or inf would flow into the model and come out as NaN/inf predictions
        row, col = np.argwhere(bad)[0]
        cell = raw.iat[row, col]
        text = cell.strip() if isinstance(cell, str) else ""  # a short row leaves NaN
        if not text:
            why = "empty cell"
        elif np.isnan(parsed[row, col]):
            why = f"{text!r} is not a number"
        elif np.isinf(parsed[row, col]):
            why = f"{text!r} is not a finite number"
        else:
            why = f"{text!r} is too large for float32"
        raise InputError(path, f"column {names[col]!r} of input '{name}': {why}", record=ids[row])
    for col, column in enumerate(names):
        low, high = (bounds or {}).get(column, (-np.inf, np.inf))
        out = (values[:, col] < low) | (values[:, col] > high)
        if out.any():
            row = int(np.argmax(out))
            raise InputError(path, f"column {column!r} of input '{name}': {values[row, col]:g} is outside "
                                   f"{low:g}..{high:g}" + (f"; {hint}" if hint else ""), record=ids[row])
    return dict(zip(ids, values, strict=True))


def dna_window(
    spec: ModelSpec,
    sources: Iterable[Source],
    *,
    batch_size: int = 32,
    genome: str | Path | None = None,
    features: str | Path | None = None,
    crop: dict[int, int] | None = None,
) -> Iterator[Batch]:
    """Batches of one-hot DNA windows of the model's fixed length.

    ``crop`` maps an accepted longer record length to the offset of the model window inside it
    (e.g. ``{20000: 3000}`` for Xpresso's 20 kb TSS±10 kb windows). Numeric inputs come from the
    ``features`` TSV by id, or are zeros when the input is optional and no table is given.
    """
    seq_in = spec.sequence_input
    numeric = [i for i in spec.inputs if i.kind == "numeric"]
    tables = {i.name: read_feature_table(features, i.name, i.length or 0) for i in numeric if features}
    for i in numeric:
        if not features and not i.optional:
            raise InputError("<inputs>", f"model {spec.name} needs a feature table for input '{i.name}'")
    crop = {int(k): int(v) for k, v in (crop or {}).items()}

    buf: list[tuple[str, np.ndarray, dict[str, Any]]] = []

    def flush() -> Batch:
        ids = [b[0] for b in buf]
        inputs = {seq_in.name: np.stack([b[1] for b in buf])}
        for i in numeric:
            if i.name in tables:
                inputs[i.name] = np.stack([tables[i.name][r] for r in ids])
            else:
                inputs[i.name] = np.zeros((len(ids), i.length or 0), np.float32)
        meta = {k: [b[2].get(k) for b in buf] for k in buf[0][2]}
        return Batch(ids, inputs, meta)

    for rec, source, meta in iter_records(sources, spec, genome=genome):
        seq = check_sequence(rec.seq, seq_in.kind, source=source, record=rec.id)  # type: ignore[arg-type]
        if seq_in.length and len(seq) != seq_in.length:
            if len(seq) not in crop:
                accepted = " or ".join(str(n) for n in [seq_in.length, *crop])
                raise InputError(source, f"sequence length {len(seq)}, the model takes exactly {accepted} nt",
                                 record=rec.id)
            seq = seq[crop[len(seq)]: crop[len(seq)] + seq_in.length]
        for name, table in tables.items():
            if rec.id not in table:
                raise InputError(features, f"no row for input '{name}'", record=rec.id)
        buf.append((rec.id, one_hot(seq), meta))
        if len(buf) == batch_size:
            yield flush()
            buf = []
    if buf:
        yield flush()

