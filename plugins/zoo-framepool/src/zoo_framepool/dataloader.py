"""The ``utr5`` dataloader: 5'UTR sequences of any length -> one-hot batches for Framepool.

Sources, each checked record by record (an invalid letter stops the run naming the file and record):

- FASTA files (plain or gzip) of 5'UTRs, RNA ``U`` read as ``T``;
- raw sequence strings (Python API), named ``seq_0``, ``seq_1``, … by their place in the list (a string is a
  file when it has a file suffix, else a sequence: the core's rule, :mod:`zoo_core.sources`);
- a GTF/GFF3 file plus ``genome``: the spliced 5'UTR, on the transcript's strand, of every coding
  transcript (``zoo_core.transcripts``); transcripts whose CDS starts at their first base have no 5'UTR
  and are left out with one warning;
- :class:`zoo_core.dataloaders.InlineRecords` (in-memory records, e.g. the ref or alt side of a pairs
  table for ``zoo vep``).

**Padding.** Records are padded with all-zero rows *at the end* to the longest in the batch, and each
batch carries ``lengths`` ``(N,)``, the real lengths. Framepool counts its frames back from the 3' end;
given ``lengths`` it anchors them at each record's own end, so the values equal those of the Kipoi /
Keras layout (zeros on the left, 3' end at the last row), while the core can cut attributions to
``[:length]`` and ISM mutates only real positions. ``Batch.lengths`` says the same for the core.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from zoo_core.dataloaders import INLINE, InlineRecords
from zoo_core.encoding import one_hot
from zoo_core.errors import InputError
from zoo_core.model import Batch
from zoo_core.seqio import Record, check_sequence, read_fasta, source_name
from zoo_core.sources import resolve
from zoo_core.spec import ModelSpec

Source = str | Path | InlineRecords
ANNOTATION_SUFFIXES = (".gtf", ".gff", ".gff3")
INTERVAL_SUFFIXES = (".bed", ".narrowpeak")
_ACGT = frozenset("ACGT")


def utr5_batches(spec: ModelSpec, sources: Iterable[Source], *, batch_size: int = 32,
                 genome: str | Path | None = None) -> Iterator[Batch]:
    """Batches of checked 5'UTRs (see the module docstring for the sources and the padding)."""
    name = spec.sequence_input.name
    buf: list[tuple[str, str]] = []
    seen: set[str] = set()
    for rec, source in iter_utrs(sources, genome=genome):
        if rec.id in seen:
            raise InputError(source, "duplicate id across inputs", record=rec.id)
        seen.add(rec.id)
        seq = check_sequence(rec.seq.upper(), "rna", source=source, record=rec.id)
        if not _ACGT & set(seq):
            # the masked mean divides by the number of A/C/G/T positions: with none it is 0/0
            raise InputError(source, "no A, C, G or T in the sequence; Framepool needs at least one", record=rec.id)
        buf.append((rec.id, seq))
        if len(buf) == batch_size:
            yield encode(buf, name)
            buf = []
    if buf:
        yield encode(buf, name)


def encode(records: list[tuple[str, str]], name: str = "utr5") -> Batch:
    """One batch: ``name`` ``(N, L, 4)`` padded at the end to the longest record, ``lengths`` ``(N,)``."""
    lengths = [len(s) for _, s in records]
    x = np.zeros((len(records), max(lengths), 4), np.float32)
    for k, (_, seq) in enumerate(records):
        x[k, : len(seq)] = one_hot(seq)
    inputs = {name: x, "lengths": np.asarray(lengths, np.float32)}
    return Batch([r for r, _ in records], inputs, meta={"length": lengths}, lengths={name: lengths})


def iter_utrs(sources: Iterable[Source], *, genome: str | Path | None = None) -> Iterator[tuple[Record, object]]:
    """``(record, source)`` for every 5'UTR the sources hold, in order. Whether a string is a file or a sequence
    is the core's one rule for every dataloader (:func:`zoo_core.sources.resolve`)."""
    for i, src in enumerate(sources):
        if isinstance(src, InlineRecords):
            for rec in src.records:
                yield rec, src
            continue
        resolved = resolve(src, i)
        if isinstance(resolved, Record):
            yield resolved, INLINE
            continue
        path = resolved
        kind = _kind(path)
        if kind == "annotation":
            if genome is None:
                raise InputError(path, "a GTF/GFF3 input needs the genome FASTA it annotates (--genome)")
            yield from _from_annotation(path, genome)
        elif kind == "intervals":
            raise InputError(path, "Framepool reads spliced 5'UTRs: give a GTF/GFF3 of transcripts with "
                                   "--genome, or a FASTA of 5'UTRs, not BED intervals")
        else:
            name = source_name(path)
            for rec in read_fasta(path):
                yield rec, name


def _kind(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(ANNOTATION_SUFFIXES):
        return "annotation"
    if name.endswith(INTERVAL_SUFFIXES):
        return "intervals"
    return "fasta"


def _from_annotation(path: Path, genome: str | Path) -> Iterator[tuple[Record, object]]:
    from zoo_core.intervals import Genome
    from zoo_core.transcripts import read_transcripts

    gen = Genome(genome)
    without: list[str] = []
    n = 0
    for t in read_transcripts(path):
        if not t.is_coding:
            continue
        n += 1
        utr5, _, _ = t.regions(gen)
        if not utr5:
            without.append(t.id)
            continue
        yield Record(t.id, utr5), path
    if without:
        more = f" (first: {', '.join(without[:3])})"
        print(f"zoo: warning: {path}: {len(without)} of {n} coding transcripts have no 5'UTR and are left out{more}",
              file=sys.stderr)
    if n == 0:
        raise InputError(path, "no coding transcript (no CDS lines), so no 5'UTR")

