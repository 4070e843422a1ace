"""Atomic output: tables (TSV/CSV/Parquet by extension) and HDF5 attribution files.

Everything is written to a temporary file beside the target and renamed into place only when the
whole run succeeded, so a failed run never leaves a partial output behind.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

from zoo_core.errors import InputError

TABLE_FORMATS = {".tsv": "tsv", ".txt": "tsv", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def table_format(path: str | Path) -> str:
    """'tsv', 'csv' or 'parquet' from the file extension (unknown → error)."""
    suffix = Path(path).suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise InputError(path, f"unknown output format {suffix!r}; use .tsv, .csv or .parquet")
    if TABLE_FORMATS[suffix] == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise InputError(path, "Parquet output needs pyarrow: pip install 'zoo[parquet]'")
    return TABLE_FORMATS[suffix]


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``, else delete it."""
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(path, f"output folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class TableWriter:
    """Append DataFrames chunk by chunk to a table, in a format chosen by extension."""

    def __init__(self, tmp: Path, fmt: str) -> None:
        self.tmp, self.fmt = tmp, fmt
        self._fh: IO[str] | None = None
        self._pq: Any = None
        self.rows = 0

    def write(self, df: pd.DataFrame) -> None:
        if self.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(df, preserve_index=False)
            if self._pq is None:
                self._pq = pq.ParquetWriter(self.tmp, table.schema)
            self._pq.write_table(table)
        else:
            if self._fh is None:
                self._fh = open(self.tmp, "w", newline="")
            sep = "\t" if self.fmt == "tsv" else ","
            df.to_csv(self._fh, sep=sep, index=False, header=self.rows == 0, float_format="%.8g")
        self.rows += len(df)

    def close(self) -> None:
        if self._pq is not None:
            self._pq.close()
        if self._fh is not None:
            self._fh.close()


def write_table(path: str | Path, chunks: Iterator[pd.DataFrame]) -> int:
    """Stream ``chunks`` into ``path`` atomically. Returns the number of rows written.

    Raises
    ------
    InputError
        Unknown extension, missing output folder, or no rows at all. Any exception raised while
        producing ``chunks`` propagates and leaves no file behind.
    """
    fmt = table_format(path)
    with atomic_path(path) as tmp:
        writer = TableWriter(tmp, fmt)
        try:
            for df in chunks:
                writer.write(df)
        finally:
            writer.close()
        if writer.rows == 0:
            raise InputError(path, "nothing to write: no input records")
    return writer.rows


def write_attributions(path: str | Path, attributions: Iterator[Any], *, model: str, method: str,
                       target: str, png_dir: str | Path | None = None) -> int:
    """Write attributions to HDF5 atomically; optionally one PNG per sequence into ``png_dir``.

    Layout: ``/ids`` (N,) strings; ``/attr/<k>`` (L, 4) float32 and ``/onehot/<k>`` (L, 4) for the
    k-th id; ``/prediction`` (N,); root attributes ``model``, ``method``, ``target``, ``alphabet``
    ("ACGT"), ``inputs`` and ``sign`` (the sign convention). A model with several sequence inputs
    writes ``/attr/<input>/<k>`` and ``/onehot/<input>/<k>`` instead. Returns the number of records.
    """
    import h5py
    import numpy as np

    from zoo_core.explain import __doc__ as convention

    ids: list[str] = []
    preds: list[float] = []
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as h5:
        h5.attrs.update(model=model, method=method, target=target, alphabet="ACGT",
                        sign="positive = raises the output; ism: f(mutant) - f(original), original base 0")
        h5.attrs["doc"] = (convention or "").strip()
        inputs: list[str] = []
        for a in attributions:
            if not ids or ids[-1] != a.id:
                ids.append(a.id)
                preds.append(a.prediction)
            if a.input not in inputs:
                inputs.append(a.input)
            k = len(ids) - 1
            key = f"{a.input}/{k}" if inputs != [""] else str(k)
            h5.create_dataset(f"attr/{key}", data=a.attr.astype(np.float32), compression="gzip")
            h5.create_dataset(f"onehot/{key}", data=a.onehot.astype(np.uint8), compression="gzip")
            if png_dir is not None and len(a.attr):  # an empty region (e.g. no 5'UTR) has nothing to draw
                from zoo_core.plot import plot_attribution

                stem = _safe(a.id) + (f".{a.input}" if a.input else "")
                plot_attribution(a, Path(png_dir) / f"{stem}.{method}.png", title=f"{model} {method} {a.id} {a.input}")
        if not ids:
            raise InputError(path, "nothing to write: no input records")
        h5.attrs["inputs"] = [i for i in inputs if i]
        h5.create_dataset("ids", data=np.array(ids, dtype=object), dtype=h5py.string_dtype())
        h5.create_dataset("prediction", data=np.array(preds))
    return len(ids)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
