"""Runs in parts: a directory of Parquet parts plus a manifest, resumable, for any engine (``-o effects/``).

The input's records are cut, in order, into parts of ``part_size`` records (FASTA records or BED lines for
``zoo predict``, VCF records for ``zoo vep``); part ``p`` holds records ``p * part_size`` … and its output is
``part-<p>.parquet``. A part is scored by :func:`score_part`, a pure function of its input file, so any engine
can run parts anywhere: :func:`run_local` one after the other, :mod:`zoo_core.ray_engine` on a Ray actor pool.
Parts are the local run's batches (``part_size`` is a multiple of the batch size; for vep one part is one chunk),
so every engine gives the same values to the bit on the same hardware.

Layout of an output directory::

    manifest.json          what was run (model, version, weights, input checksums, options) and which parts exist
    part-00000.parquet …   each written to a temporary name and renamed when complete
    inputs/part-00000.* …  the part's input, written by the split, deleted once its output exists

A part is done when its Parquet file exists (rename is atomic), so a killed run loses only the parts in flight
and ``--resume`` neither repeats nor loses a row. ``zoo merge`` concatenates the parts in part order, which is the
record order of the input.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from zoo_core.errors import InputError, OutputError
from zoo_core.seqio import open_text, read_fasta
from zoo_core.weights import sha256sum

MANIFEST = "manifest.json"
DEFAULT_PART = 4096  # records per part of zoo predict: 128 batches of 32
FORMAT = "zoo-parts/1"
_BED = (".bed", ".bed.gz")
_VCF = (".vcf", ".vcf.gz", ".vcf.bgz")


@dataclass(frozen=True)
class Job:
    """One ``zoo predict`` or ``zoo vep`` run, as plain data that travels to workers."""

    command: str  # "predict" or "vep"
    model: str
    inputs: tuple[str, ...]
    genome: str | None = None
    annotation: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    batch_size: int = 32
    part_size: int = 4096
    shard: tuple[int, int] | None = None
    device: str | None = None
    weights_dir: str | None = None


def part_size_for(job_command: str, requested: int, batch_size: int) -> int:
    """``requested`` rounded up to a multiple of ``batch_size`` for predict, so parts are whole local batches."""
    if requested < 1:
        raise InputError("--part-size", f"must be at least 1, got {requested}")
    if job_command == "predict":
        return -(-requested // batch_size) * batch_size
    return requested


def input_kind(path: str | Path, command: str) -> str:
    """'fasta', 'bed' or 'vcf': the formats a run in parts can cut into records.

    Raises
    ------
    InputError
        A format the core cannot cut (GTF/GFF3, a plugin's own formats): name what works instead.
    """
    name = Path(path).name.lower()
    if command == "vep":
        return "vcf"
    if name.endswith(_BED):
        return "bed"
    if name.endswith((".gtf", ".gff", ".gff3", ".gtf.gz", ".gff.gz", ".gff3.gz")) or name.endswith(_VCF):
        raise InputError(path, "a run in parts (an output directory, --shard or --engine ray) cuts FASTA or BED "
                               "inputs into records; give this input to a run with a file output and --engine local")
    return "fasta"


def split(job: Job, folder: Path) -> list[int]:
    """Cut the job's inputs into part files under ``folder/inputs``; returns the indices of the parts of this shard.

    Streams: one part's records in memory at a time. Parts of other shards are not written.
    """
    folder = folder / "inputs"
    folder.mkdir(parents=True, exist_ok=True)
    kinds = {input_kind(p, job.command) for p in job.inputs}
    if len(kinds) > 1:
        raise InputError(job.inputs[0], "a run in parts takes inputs of one format (FASTA, BED or VCF), not a mix")
    kind = kinds.pop()
    mine: list[int] = []
    for index, lines in _parts(job, kind):
        if job.shard is None or index % job.shard[1] == job.shard[0] - 1:
            mine.append(index)
            if not part_output(folder.parent, index).exists():  # a resumed run's finished parts need no input
                _write_atomic(part_input(folder.parent, index, kind), "".join(lines))
    return mine


def _parts(job: Job, kind: str) -> Iterator[tuple[int, list[str]]]:
    header: list[str] = []
    buf: list[str] = []
    index = 0
    for text in _records(job, kind, header):
        buf.append(text)
        if len(buf) == job.part_size:
            yield index, header + buf
            index, buf = index + 1, []
    if buf or index == 0:
        yield index, header + buf


def _records(job: Job, kind: str, header: list[str]) -> Iterator[str]:
    for src in job.inputs:
        if kind == "fasta":
            for rec in read_fasta(src):
                yield f">{rec.id}{' ' + rec.description if rec.description else ''}\n{rec.seq}\n"
            continue
        with open_text(src) as fh:
            for line in fh:
                if kind == "vcf" and line.startswith("#"):
                    header.append(line)
                elif kind == "bed" and (not line.strip() or line.startswith(("#", "track", "browser"))):
                    continue
                elif line.strip():
                    yield line if line.endswith("\n") else line + "\n"


def part_input(folder: Path, index: int, kind: str) -> Path:
    return folder / "inputs" / f"part-{index:05d}.{ {'fasta': 'fa', 'bed': 'bed', 'vcf': 'vcf'}[kind]}"


def part_output(folder: Path, index: int) -> Path:
    return folder / f"part-{index:05d}.parquet"


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(text)
    os.replace(tmp, path)


def score_part(job: Job, part: Path, cache: dict[str, Any]) -> pd.DataFrame:
    """The output table of one part input file. ``cache`` keeps what a worker loads once (the model; for vep the
    genome and the annotation's features) across the parts it scores."""
    from zoo_core.api import get_model

    model = get_model(job.model)
    if "model" not in cache:  # the worker's copy of the weights the user chose (a Ray actor is a fresh process)
        cache["model"] = model.load(device=job.device, weights_dir=job.weights_dir)
    if job.command == "predict":
        chunks = model.predict_iter([part], batch_size=job.batch_size, device=job.device, genome=job.genome,
                                    **job.options)
        tables = list(chunks)
        return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    from zoo_core.vep import RECORD, VepContext, VepRun

    if "vep" not in cache:
        assert job.genome is not None and job.annotation is not None
        cache["vep"] = VepContext(model, genome=job.genome, annotation=job.annotation, batch_size=job.batch_size,
                                  device=job.device, **job.options)
    run = VepRun(cache["vep"], part, chunk_size=job.part_size)
    tables = [t.drop(columns=RECORD, errors="ignore") for t in run]
    return pd.concat(tables, ignore_index=True)


def write_part(folder: Path, index: int, table: pd.DataFrame) -> int:
    """Write a part's table atomically (temporary name, then rename); delete its input. Returns its rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = part_output(folder, index)
    tmp = path.with_name(f".{path.name}.part")
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), tmp)
    os.replace(tmp, path)
    for leftover in (folder / "inputs").glob(f"part-{index:05d}.*"):
        leftover.unlink()
    return len(table)


# ---- the manifest ---------------------------------------------------------------------------------------------


def identity(job: Job) -> dict[str, Any]:
    """What must match for parts of two runs to belong together: model, version, weights, every input's
    checksum, the options, batch and part size."""
    from zoo_core.api import get_model

    spec = get_model(job.model).info
    files = [*job.inputs, *(p for p in (job.genome, job.annotation) if p)]
    return {"format": FORMAT, "command": job.command, "model": spec.name, "version": spec.version,
            "revision": spec.weights.revision, "weights": {f.name: f.sha256 for f in spec.weights.files},
            # by name and content: a cluster node may mount the same files elsewhere
            "inputs": [{"name": Path(p).name, "sha256": sha256sum(p)} for p in files],
            "options": {k: str(v) for k, v in sorted(job.options.items())}, "batch_size": job.batch_size,
            "part_size": job.part_size}


def prepare(job: Job, folder: Path, *, resume: bool) -> tuple[list[int], dict[str, Any]]:
    """Create (or, with ``resume``, check and reopen) the output directory; split the inputs into parts.
    Returns the parts of this shard still to score, and the manifest.

    Raises
    ------
    OutputError
        The folder holds another run's parts or manifest, or exists without ``resume``.
    """
    ident = identity(job)
    manifest_path = folder / MANIFEST
    if folder.exists() and not folder.is_dir():
        raise OutputError(folder, "is a file; an output ending in '/' is a directory of parts")
    if manifest_path.exists():
        old = json.loads(manifest_path.read_text())
        if not resume:
            raise OutputError(folder, "holds parts of an earlier run: add --resume to continue it, or choose another -o")
        if old.get("identity") != ident:
            changed = [k for k in ident if old.get("identity", {}).get(k) != ident[k]]
            raise OutputError(folder, f"holds parts of another run (differs in: {', '.join(changed)}); "
                                      "choose another -o")
    elif folder.exists() and any(folder.iterdir()):
        raise OutputError(folder, "exists and is not empty; choose another -o")
    folder.mkdir(parents=True, exist_ok=True)
    mine = split(job, folder)
    manifest = {"identity": ident, "shard": list(job.shard) if job.shard else None, "parts_of_shard": mine,
                "parts": {}}
    for p in mine:
        if part_output(folder, p).exists():
            manifest["parts"][str(p)] = {"rows": None}
    save_manifest(folder, manifest)
    return [p for p in mine if not part_output(folder, p).exists()], manifest


def save_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    _write_atomic(folder / MANIFEST, json.dumps(manifest, indent=1) + "\n")


def run_local(job: Job, folder: Path, todo: Iterable[int], manifest: dict[str, Any],
              progress: Any = None) -> Iterator[int]:
    """Score the parts one after the other in this process; yields each part's rows as it is written."""
    cache: dict[str, Any] = {}
    kind = input_kind(job.inputs[0], job.command)
    for index in todo:
        table = score_part(job, part_input(folder, index, kind), cache)
        rows = write_part(folder, index, table)
        manifest["parts"][str(index)] = {"rows": rows}
        save_manifest(folder, manifest)
        yield rows


# ---- merging --------------------------------------------------------------------------------------------------


def merge_tables(folders: list[Path], *, whole: bool = True) -> Iterator[pd.DataFrame]:
    """The parts of one run (one folder, or the folders of its shards) in part order, i.e. record order.
    ``whole=False`` merges what the folders' shards hold without asking for every part of the run.

    Raises
    ------
    InputError
        A folder without manifest, folders of different runs, or a missing part (named).
    """
    idents, expected, found = [], set(), {}
    for folder in folders:
        path = folder / MANIFEST
        if not path.is_file():
            raise InputError(folder, "no manifest.json: not an output directory of zoo predict/vep")
        manifest = json.loads(path.read_text())
        idents.append(manifest["identity"])
        expected.update(manifest["parts_of_shard"])
        for p in manifest["parts_of_shard"]:
            if part_output(folder, p).exists():
                found[p] = part_output(folder, p)
    if any(i != idents[0] for i in idents[1:]):
        raise InputError(folders[1], f"holds parts of another run than {folders[0]}")
    missing = sorted(expected - set(found))
    if missing:
        raise InputError(folders[0], f"{len(missing)} part(s) not scored yet (first: part-{missing[0]:05d}); "
                                     "finish the run with --resume")
    if whole and expected != set(range(max(expected) + 1)):
        gap = min(set(range(max(expected) + 1)) - expected)
        raise InputError(folders[0], f"part {gap} belongs to a shard not given; merge the folders of every shard")
    empty = None
    for p in sorted(found):
        table = pd.read_parquet(found[p])
        if table.empty:  # a vep part whose variants all lie outside every input: its columns carry no types
            empty = table if empty is None else empty
            continue
        empty = False
        yield table
    if empty is not None and empty is not False:
        yield empty  # the columns of a run with no row at all



def is_directory_output(output: str | Path) -> bool:
    """An output that ends in '/' is a directory of parts (an existing folder named without it stays an error, so a
    mistyped file name never scatters parts into a folder)."""
    return str(output).endswith(("/", os.sep))


def run_job(job: Job, output: str | Path, *, engine: str = "local", num_workers: int = 1, gpus_per_worker: float = 0.0,
            threads_per_worker: int | None = None, resume: bool = False, progress: Any = None) -> int:
    """Run ``job`` in parts with ``engine`` ('local' or 'ray'). A directory ``output`` keeps the parts and manifest
    (resumable, ``zoo merge``); a file output gets the merged table, the parts living in a temporary folder beside
    it until then. Returns the rows written.
    """
    import shutil
    import tempfile

    from zoo_core.output import check_output, table_format, write_table

    if is_directory_output(output):
        folder, merged = Path(output), None
    else:
        table_format(output)
        target = check_output(output, [*job.inputs, job.genome, job.annotation, *job.options.values()])
        if not target.parent.is_dir():
            raise OutputError(output, f"output folder {target.parent} does not exist")
        folder, merged = Path(tempfile.mkdtemp(prefix=f".{target.name}.parts.", dir=target.parent)), target
    try:
        todo, manifest = prepare(job, folder, resume=resume or merged is not None)
        if engine == "ray":
            from zoo_core.ray_engine import run_ray

            counts = run_ray(job, folder, todo, manifest, num_workers=num_workers, gpus_per_worker=gpus_per_worker,
                             threads_per_worker=threads_per_worker)
        else:
            counts = run_local(job, folder, todo, manifest)
        rows = sum(progress(counts) if progress else counts)
        if merged is None:
            return rows
        return write_table(merged, merge_tables([folder], whole=job.shard is None), allow_empty=True)
    finally:
        if merged is not None:
            shutil.rmtree(folder, ignore_errors=True)
