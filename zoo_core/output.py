"""Atomic output: tables (TSV/CSV/Parquet/HDF5 by extension) and HDF5 attribution files.

Everything is written to a temporary file beside the target and renamed into place only when the
whole run succeeded, so a failed run never leaves a partial output behind; PNGs asked for with an
attribution file are committed with it.

Vector outputs (model.yaml ``shape: [k]``) are arrays in Parquet (a list column) and HDF5 (``(N, k)``),
and k columns ``name.0`` … ``name.<k-1>`` in TSV/CSV.
"""

from __future__ import annotations

import contextlib
import gzip
import importlib.util
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from zoo_core.errors import InputError, OutputError
from zoo_core.seqio import STDIN as STDOUT  # "-" names standard output as it names standard input

TABLE_FORMATS = {".tsv": "tsv", ".txt": "tsv", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet",
                 ".h5": "hdf5", ".hdf5": "hdf5"}


def table_format(path: str | Path) -> str:
    """'tsv', 'csv', 'parquet' or 'hdf5' from the file extension, 'tsv.gz' or 'csv.gz' for gzip text (unknown →
    error); ``-`` (standard output) is TSV."""
    if str(path) == STDOUT:
        return "tsv"
    name = Path(path).name.lower()
    gz = name.endswith(".gz")
    suffix = Path(name.removesuffix(".gz")).suffix
    if suffix not in TABLE_FORMATS or (gz and TABLE_FORMATS[suffix] not in ("tsv", "csv")):
        shown = f"{suffix}.gz" if gz else suffix
        raise InputError(path, f"unknown output format {shown!r}; use .tsv, .tsv.gz, .csv, .csv.gz, .parquet or .h5")
    if gz:
        return f"{TABLE_FORMATS[suffix]}.gz"
    if TABLE_FORMATS[suffix] == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise InputError(path, "Parquet output needs pyarrow: pip install 'zoo[parquet]'")
    return TABLE_FORMATS[suffix]


def check_output(output: str | Path, inputs: Iterable[object] = ()) -> Path:
    """Where to write ``output``: refuse a path that is also one of ``inputs`` (the same file by name, link or
    inode) or is not a regular file; a symlink is followed, so the link stays and its target is replaced.

    Raises
    ------
    OutputError
        Naming the output and, when it is an input, which one.
    """
    if str(output) == STDOUT:
        return Path(output)
    target = Path(os.path.realpath(output))
    if target.exists() and not target.is_file():
        raise OutputError(output, "is not a regular file (a folder, device or pipe); give a file path, or end a "
                                  "folder with '/' for a directory of parts")
    for src in inputs:
        if not isinstance(src, str | Path) or str(src) == STDOUT:
            continue
        try:
            same = os.path.realpath(src) == str(target) or (target.exists() and os.path.samefile(src, target))
        except OSError:  # an input that does not exist cannot be overwritten
            same = False
        if same:
            raise OutputError(output, f"is also an input ({src}): writing it would destroy that file; "
                                      "choose another output path")
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | Path, png_dir: str | Path | None = None) -> Iterator[tuple[Path, Path | None]]:
    """Yield a temporary path beside ``path`` (and a temporary folder beside ``png_dir``, if given); on success
    move the folder's files into ``png_dir`` and rename the file to ``path``, else delete both.

    The file gets the mode a new file gets under the umask (mkstemp's is 0600). An OS error while writing (a
    full disk, a read-only folder) is an :class:`OutputError` naming ``path``.
    """
    path = check_output(path)
    if not path.parent.is_dir():
        raise OutputError(path, f"output folder {path.parent} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as e:
        raise OutputError(path, f"cannot write in {path.parent}: {e.strerror}") from None
    os.close(fd)
    pngs = None
    try:
        try:
            if png_dir is not None:
                png_dir = Path(png_dir)
                png_dir.parent.mkdir(parents=True, exist_ok=True)
                pngs = Path(tempfile.mkdtemp(prefix=f".{png_dir.name}.", suffix=".part", dir=png_dir.parent))
            yield Path(tmp), pngs
            if pngs is not None and png_dir is not None:
                png_dir.mkdir(exist_ok=True)
                for f in sorted(pngs.iterdir()):
                    os.replace(f, png_dir / f.name)
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, path)
        except OSError as e:
            if isinstance(e, OutputError) or e.filename not in (None, tmp, str(path), str(pngs)):
                raise
            raise OutputError(path, f"cannot write: {e.strerror or e}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if pngs is not None:
            shutil.rmtree(pngs, ignore_errors=True)


def _is_vector(col: pd.Series) -> bool:
    return col.dtype == object and len(col) > 0 and isinstance(col.iloc[0], np.ndarray)


def flat_columns(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with each vector column spread over columns ``name.0`` … (for TSV/CSV)."""
    parts = []
    for name in df.columns:
        col = df[name]
        if _is_vector(col):
            arr = np.stack(col.to_list())
            parts.append(pd.DataFrame(arr, columns=[f"{name}.{j}" for j in range(arr.shape[1])], index=df.index))
        else:
            parts.append(col.to_frame())
    return pd.concat(parts, axis=1)


class TableWriter:
    """Append DataFrames chunk by chunk to a table, in a format chosen by extension."""

    def __init__(self, tmp: Path, fmt: str) -> None:
        self.tmp, self.fmt = tmp, fmt
        self._fh: IO[str] | None = None
        self._pq: Any = None
        self._h5: Any = None
        self.rows = 0

    def _write_hdf5(self, df: pd.DataFrame) -> None:
        import h5py

        if self._h5 is None:
            self._h5 = h5py.File(self.tmp, "w")
        n = len(df)
        for name in df.columns:
            col = df[name]
            if _is_vector(col):
                values = np.stack(col.to_list())
            elif col.dtype == object or pd.api.types.is_string_dtype(col):
                values = np.array([str(v) for v in col], dtype=object)
            else:
                values = col.to_numpy()
            if name not in self._h5:
                dtype = h5py.string_dtype() if values.dtype == object else values.dtype
                self._h5.create_dataset(name, shape=(0, *values.shape[1:]), maxshape=(None, *values.shape[1:]),
                                        dtype=dtype, chunks=True)
            ds = self._h5[name]
            ds.resize(self.rows + n, axis=0)
            ds[self.rows:] = values

    def write(self, df: pd.DataFrame) -> None:
        if self.fmt == "hdf5":
            self._write_hdf5(df)
        elif self.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(df, preserve_index=False)
            if self._pq is None:
                self._pq = pq.ParquetWriter(self.tmp, table.schema)
            self._pq.write_table(table)
        else:
            if self._fh is None:
                # mtime 0: the same table gives the same bytes
                self._fh = (io.TextIOWrapper(gzip.GzipFile(self.tmp, "wb", mtime=0), newline="")
                            if self.fmt.endswith(".gz") else open(self.tmp, "w", newline=""))
            sep = "\t" if self.fmt.startswith("tsv") else ","
            flat_columns(df).to_csv(self._fh, sep=sep, index=False, header=self.rows == 0, float_format="%.8g")
        self.rows += len(df)

    def close(self) -> None:
        if self._h5 is not None:
            self._h5.close()
        if self._pq is not None:
            self._pq.close()
        if self._fh is not None:
            self._fh.close()


def write_table(path: str | Path, chunks: Iterator[pd.DataFrame], *, allow_empty: bool = False) -> int:
    """Stream ``chunks`` into ``path`` atomically. Returns the number of rows written.

    Raises
    ------
    InputError
        Unknown extension, missing output folder, or no rows at all (unless ``allow_empty``: then the columns
        of the chunks are written, e.g. a variant table where no variant touched a model input). Any exception
        raised while producing ``chunks`` propagates and leaves no file behind.
    """
    fmt = table_format(path)
    if str(path) == STDOUT:  # written whole at the end, so that a failed run prints nothing
        with tempfile.TemporaryDirectory() as folder:
            tmp = Path(folder) / "table.tsv"
            rows = _write_chunks(tmp, fmt, chunks, path, allow_empty)
            with open(tmp, "rb") as fh:
                shutil.copyfileobj(fh, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        return rows
    with atomic_path(path) as (tmp, _):
        return _write_chunks(tmp, fmt, chunks, path, allow_empty)


def _write_chunks(tmp: Path, fmt: str, chunks: Iterator[pd.DataFrame], path: str | Path, allow_empty: bool) -> int:
    writer = TableWriter(tmp, fmt)
    try:
        for df in chunks:
            writer.write(df)
    finally:
        writer.close()
    if writer.rows == 0 and not allow_empty:
        raise InputError(path, "nothing to write: no input records")
    return writer.rows


def write_attributions(path: str | Path, attributions: Iterator[Any], *, model: str, method: str,
                       target: str, png_dir: str | Path | None = None) -> int:
    """Write attributions to HDF5 atomically; optionally one PNG per sequence and input into ``png_dir``,
    committed together with the HDF5 file.

    Layout, whatever the number of inputs: ``/ids`` (N,) strings; ``/attr/<input>/<k>`` (L, 4) float32 and
    ``/onehot/<input>/<k>`` (L, 4) uint8 for the k-th id; ``/prediction`` (N,); root attributes ``model``,
    ``method``, ``target``, ``alphabet`` ("ACGT"), ``inputs`` (the input names) and ``sign`` (the sign
    convention). PNGs are ``<id>.<input>.<method>.png`` with characters other than letters, digits, ``._-``
    replaced by ``_``; ids that then read alike get ``~2``, ``~3``, … in input order. Returns the number of records.
    """
    import h5py

    from zoo_core.explain import __doc__ as convention

    ids: list[str] = []
    preds: list[float] = []
    stems: dict[str, str] = {}  # id -> PNG stem; ids that differ but read alike (tx/1, tx_1, tx:1) get ~2, ~3, …
    with atomic_path(path, png_dir) as (tmp, pngs), h5py.File(tmp, "w") as h5:
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
            key = f"{a.input}/{len(ids) - 1}"
            h5.create_dataset(f"attr/{key}", data=a.attr.astype(np.float32), compression="gzip")
            h5.create_dataset(f"onehot/{key}", data=a.onehot.astype(np.uint8), compression="gzip")
            if pngs is not None and len(a.attr):  # an empty region (e.g. no 5'UTR) has nothing to draw
                from zoo_core.plot import plot_attribution

                if a.id not in stems:
                    stem, taken = _safe(a.id), set(stems.values())
                    stems[a.id] = next(c for c in (stem, *(f"{stem}~{n}" for n in range(2, len(taken) + 3)))
                                       if c not in taken)
                plot_attribution(a, pngs / f"{stems[a.id]}.{a.input}.{method}.png",
                                 title=f"{model} {method} {a.id} {a.input}")
        if not ids:
            raise InputError(path, "nothing to write: no input records")
        h5.attrs["inputs"] = inputs
        h5.create_dataset("ids", data=np.array(ids, dtype=object), dtype=h5py.string_dtype())
        h5.create_dataset("prediction", data=np.array(preds))
    return len(ids)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
