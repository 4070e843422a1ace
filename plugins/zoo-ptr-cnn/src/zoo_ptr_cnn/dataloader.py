"""The ``transcript-regions`` dataloader: transcripts -> one-hot 5'UTR, CDS, 3'UTR batches.

Sources, in the order a user meets them:

- FASTA files of transcripts with the CDS marked (see :mod:`zoo_ptr_cnn.regions`);
- a GFF3/GTF file as the input plus ``genome``: every coding transcript in it;
- files of transcript ids (one per line) plus ``genome`` and ``gff``: just those transcripts. Ids match
  the annotation's ID, transcript_id, Name, or an original id such as Araport's ``AT1G01010.1``.

Besides the three one-hot regions, each batch carries ``lengths`` ``(N, 4)`` (5'UTR, CDS, 3'UTR, protein),
which the network masks its padding with. :func:`read_tpm` reads the model's ``--tpm`` table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from zoo_core.dataloaders import INLINE, InlineRecords
from zoo_core.encoding import one_hot
from zoo_core.errors import InputError
from zoo_core.model import Batch
from zoo_core.seqio import Record, read_fasta, read_tsv, source_name
from zoo_core.sources import resolve
from zoo_core.spec import ModelSpec
from zoo_ptr_cnn.regions import Regions, from_parts, split_record

Source = str | Path
ANNOTATION_SUFFIXES = (".gff", ".gff3", ".gtf")
TPM_THRESHOLD = 1.0  # the paper's (and training's) detection threshold; lower values become NaN


def transcript_regions(spec: ModelSpec, sources: Iterable[Source], *, batch_size: int = 32,
                       genome: Source | None = None, gff: Source | None = None) -> Iterator[Batch]:
    """Batches of checked transcripts. See the module docstring for the sources."""
    buf: list[Regions] = []
    seen: set[str] = set()
    for regions, source in iter_regions(sources, genome=genome, gff=gff):
        if regions.id in seen:
            raise InputError(source, "duplicate id across inputs", record=regions.id)
        seen.add(regions.id)
        buf.append(regions)
        if len(buf) == batch_size:
            yield encode(buf)
            buf = []
    if buf:
        yield encode(buf)


def encode(records: list[Regions]) -> Batch:
    """One batch: regions padded at the end to the longest in the batch (the model masks the padding)."""
    def stack(seqs: list[str], multiple: int = 1) -> np.ndarray:
        width = max(max((len(s) for s in seqs), default=0), 1)
        width += -width % multiple
        out = np.zeros((len(seqs), width, 4), np.float32)
        for k, s in enumerate(seqs):
            if s:
                out[k, : len(s)] = one_hot(s)
        return out

    lengths = np.array([[len(r.utr5), len(r.cds), len(r.utr3), r.protein_length] for r in records], np.float32)
    inputs = {"utr5": stack([r.utr5 for r in records]), "cds": stack([r.cds for r in records], multiple=3),
              "utr3": stack([r.utr3 for r in records]), "lengths": lengths}
    meta: dict[str, list[Any]] = {
        "len_5utr": [len(r.utr5) for r in records],
        "len_cds": [len(r.cds) for r in records],
        "len_3utr": [len(r.utr3) for r in records],
        "flags": [",".join(r.flags) for r in records],
    }
    per_input = {"utr5": meta["len_5utr"], "cds": meta["len_cds"], "utr3": meta["len_3utr"]}
    return Batch([r.id for r in records], inputs, meta, lengths=per_input)


def iter_regions(sources: Iterable[Source], *, genome: Source | None = None,
                 gff: Source | None = None) -> Iterator[tuple[Regions, object]]:
    """``(regions, source)`` for every transcript the sources name."""
    sources = list(sources)
    if gff is not None:
        if genome is None:
            raise InputError(gff, "--gff needs the genome FASTA it annotates (--genome)")
        wanted = [(i, path) for path in sources for i in _read_ids(Path(path))]
        yield from _from_annotation(Path(gff), genome, wanted)
        return
    for i, src in enumerate(sources):
        if isinstance(src, InlineRecords):
            for rec in src.records:
                yield split_record(rec, source=src), src
            continue
        resolved = resolve(src, i)
        if isinstance(resolved, Record):  # Python API: lower-case UTRs, upper-case CDS
            yield split_record(resolved, source=INLINE), INLINE
            continue
        path = resolved
        if _is_annotation(path):
            if genome is None:
                raise InputError(path, "a GFF/GTF input needs the genome FASTA it annotates (--genome)")
            yield from _from_annotation(path, genome, None)
        else:
            name = source_name(path)
            for rec in read_fasta(path, keep_case=True):
                yield split_record(rec, source=name), name


def _is_annotation(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith(ANNOTATION_SUFFIXES)


def _read_ids(path: Path) -> list[str]:
    if _is_annotation(path):
        raise InputError(path, "with --gff, inputs are files of transcript ids (one per line), not annotation")
    try:
        lines = path.read_text().split()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except UnicodeDecodeError:
        raise InputError(path, "not a text file of transcript ids") from None
    if any(line.startswith(">") for line in lines):
        raise InputError(path, "this is a FASTA file; with --gff and --genome give a file of transcript ids")
    if not lines:
        raise InputError(path, "no transcript ids in the file")
    return lines


def aliases(attributes: dict[str, str], tid: str) -> set[str]:
    """Names a user may know a transcript by: its ID, transcript_id, Name, and original (e.g. Araport) ids."""
    names = {tid, tid.removeprefix("rna-"), tid.removeprefix("transcript:")}
    for key in ("transcript_id", "Name", "orig_transcript_id"):
        value = attributes.get(key)
        if value:
            names.add(value)
            names.add(value.rsplit("|", 1)[-1].removeprefix("mRNA."))  # gnl|JCVI|mRNA.AT1G01010.1
    return names


def _from_annotation(path: Path, genome: Source, wanted: list[tuple[str, Path]] | None
                     ) -> Iterator[tuple[Regions, object]]:
    from zoo_core.intervals import Genome
    from zoo_core.transcripts import read_transcripts

    gen = Genome(genome)
    coding = [t for t in read_transcripts(path) if t.is_coding]
    if wanted is None:
        for t in coding:
            yield from_parts(t.id, *t.regions(gen), source=path), path
        return
    index = {name: t for t in coding for name in aliases(t.attributes, t.id)}
    for name, id_file in wanted:
        t = index.get(name)
        if t is None:
            raise InputError(id_file, f"no coding transcript with this id in {path}", record=name)
        yield from_parts(name, *t.regions(gen), source=path), path


def read_tpm(path: Source) -> tuple[list[str], dict[str, np.ndarray]]:
    """Samples and ``{id: log2 TPM per sample}``; TPM below 1 (the training threshold) becomes NaN.

    Raises
    ------
    InputError
        Missing file, no ``id`` column, no sample column, duplicate ids, or a value that is not a finite,
        non-negative number (text, an empty cell, NaN, inf), naming the row's id and the sample.
    """
    import pandas as pd

    path = Path(path)
    # every cell as text, nothing read as NaN: ids keep their spelling ('007'), and an empty or 'NaN' cell is
    # an error rather than a silent NaN column in the output (only TPM < 1 is NaN, by the documented threshold)
    df = read_tsv(path, "'id' + one TPM column per sample")
    if "id" not in df.columns or df.shape[1] < 2:
        raise InputError(path, f"expected an 'id' column and one TPM column per sample, found {list(df.columns)}")
    ids = [i if isinstance(i, str) else "" for i in df["id"]]  # a missing field is NaN even without default NAs
    dup = df["id"][df["id"].duplicated()]
    if len(dup):
        raise InputError(path, "duplicate id in the TPM table", record=str(dup.iloc[0]))
    samples = [str(c) for c in df.columns if c != "id"]
    raw = df[samples]
    x = raw.apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
    bad = ~np.isfinite(x)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        cell = raw.iat[row, col]
        text = cell.strip() if isinstance(cell, str) else ""
        why = ("empty cell" if not text else f"{text!r} is not a finite number" if np.isinf(x[row, col])
               else f"{text!r} is not a number")
        raise InputError(path, f"sample {samples[col]!r}: {why}", record=ids[row])
    if (x < 0).any():
        row, col = np.argwhere(x < 0)[0]
        raise InputError(path, f"sample {samples[col]!r}: negative TPM", record=ids[row])
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(x >= TPM_THRESHOLD, np.log2(x), math.nan)
    return samples, dict(zip(ids, logs, strict=True))
