"""The dataloaders of zoo-perceiver: promoter windows, proteins, or both, in batches.

- ``perceiver-dna``: promoter windows (FASTA, sequences, or BED/GTF/GFF3 + ``--genome`` through the model.yaml
  ``anchor``) of the model's length. Longer windows are cropped by the model.yaml ``crop`` map (10,500-nt models:
  Xpresso's 20,000-nt TSS±10 kb at 3,000; the 8,000-nt model: 10,500 at 2,000 and 20,000 at 5,000).
- ``perceiver-protein``: protein FASTA or sequences → ``(N, 6000, 23)`` one-hot, channel 0 the pad, then
  :data:`zoo_perceiver.network.PROTEIN_CHANNELS`; longer proteins keep their first 6,000 residues (spec §2.3).
- ``perceiver-dna-protein``: both, the proteins from ``--proteins`` matched by record id.

The DNA loaders read ``--halflife`` (``id`` + the 8 raw features of :data:`zoo_perceiver.halflife.FEATURES`, any
column order) into ``halflife_raw`` ``(N, 8)``; the model log-transforms and z-scores them with the statistics of its
``config.json``, which a dataloader cannot see. Without the table the ``halflife`` input is zeros (the mean training
gene) and one warning says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from zoo_core.dataloaders import InlineRecords, iter_records, read_feature_table
from zoo_core.encoding import one_hot
from zoo_core.errors import InputError, warn
from zoo_core.model import Batch
from zoo_core.seqio import Record, check_sequence, read_fasta, source_name
from zoo_core.spec import InputSpec, ModelSpec
from zoo_perceiver.halflife import FEATURES, GC

Source = str | Path | InlineRecords
PROTEIN_LEN = 6_000
# the channel order of zoo_perceiver.network.PROTEIN_CHANNELS (a test checks they agree; that module imports torch)
PROTEIN_CHANNELS: tuple[str, ...] = ("<pad>", *"ACDEFGHIKLMNPQRSTVWY", "X", "U")
_X = PROTEIN_CHANNELS.index("X")
PROTEIN_CODES = np.full(256, _X, np.intp)  # B, Z, J, O and internal stops (*) read as X, as in training
for _i, _c in enumerate(PROTEIN_CHANNELS[1:], 1):
    PROTEIN_CODES[ord(_c)] = _i
_NUCLEOTIDE = frozenset("ACGTUN")
NUCLEOTIDE_CHECK = 20  # a protein of at least this many letters, all of them A/C/G/T/U/N, is a nucleotide sequence


# --------------------------------------------------------------------------------------------------------------------
# the loaders


def dna_batches(spec: ModelSpec, sources: Iterable[Source], *, batch_size: int = 32, genome: str | Path | None = None,
                halflife: str | Path | None = None, crop: dict[int, int] | None = None) -> Iterator[Batch]:
    """Batches of promoter windows: ``promoter`` ``(N, L, 4)``, and ``halflife_raw`` ``(N, 8)`` with ``halflife``
    or ``halflife`` zeros without it. See the module docstring.

    Raises
    ------
    InputError
        A bad window (letters, length) or half-life table, or a record the table lacks, naming file and record.
    """
    table = _halflife(spec, halflife)
    buf: list[tuple[str, np.ndarray, dict[str, Any]]] = []
    for rec, _, meta in _windows(spec, sources, genome=genome, crop=crop):
        buf.append((rec.id, rec.seq, meta))
        if len(buf) == batch_size:
            yield _dna_batch(spec, buf, table, halflife)
            buf = []
    if buf:
        yield _dna_batch(spec, buf, table, halflife)


def protein_batches(spec: ModelSpec, sources: Iterable[Source], *, batch_size: int = 32,
                    genome: str | Path | None = None) -> Iterator[Batch]:
    """Batches of proteins: ``protein`` ``(N, 6000, 23)``; meta ``protein_length`` (as given) and ``truncated``.

    Raises
    ------
    InputError
        ``--genome`` (this model reads proteins), an empty protein, a letter that is no amino acid, or a nucleotide
        sequence, naming file and record.
    """
    if genome is not None:
        raise InputError(genome, f"{spec.name} reads protein FASTA or sequences; it takes no --genome")
    buf: list[tuple[str, str]] = []
    for rec, source, _ in iter_records(sources, spec):
        buf.append((rec.id, clean_protein(rec.seq, source=source, record=rec.id)))
        if len(buf) == batch_size:
            yield _protein_batch(spec, buf)
            buf = []
    if buf:
        yield _protein_batch(spec, buf)


def dna_protein_batches(spec: ModelSpec, sources: Iterable[Source], *, proteins: str | Path, batch_size: int = 32,
                        genome: str | Path | None = None, halflife: str | Path | None = None,
                        crop: dict[int, int] | None = None) -> Iterator[Batch]:
    """Batches of promoter windows (as :func:`dna_batches`) with each record's protein from ``proteins`` (FASTA,
    matched by id; other records of that file are ignored).

    Raises
    ------
    InputError
        What :func:`dna_batches` and :func:`protein_batches` raise, and a window whose id ``proteins`` lacks.
    """
    table = _halflife(spec, halflife)
    name = source_name(Path(proteins))
    by_id = {r.id: r.seq for r in read_fasta(proteins)}
    buf: list[tuple[str, np.ndarray, dict[str, Any]]] = []
    residues: list[tuple[str, str]] = []
    for rec, _, meta in _windows(spec, sources, genome=genome, crop=crop):
        if rec.id not in by_id:
            raise InputError(name, "no protein with this id (the --proteins records must be named like the promoters)",
                             record=rec.id)
        residues.append((rec.id, clean_protein(by_id[rec.id], source=name, record=rec.id)))
        buf.append((rec.id, rec.seq, meta))
        if len(buf) == batch_size:
            yield _merge(_dna_batch(spec, buf, table, halflife), _protein_batch(spec, residues))
            buf, residues = [], []
    if buf:
        yield _merge(_dna_batch(spec, buf, table, halflife), _protein_batch(spec, residues))


# --------------------------------------------------------------------------------------------------------------------
# DNA


def _dna_input(spec: ModelSpec) -> InputSpec:
    return next(i for i in spec.inputs if i.kind == "dna")


def _numeric_input(spec: ModelSpec) -> InputSpec | None:
    return next((i for i in spec.inputs if i.kind == "numeric"), None)


def _windows(spec: ModelSpec, sources: Iterable[Source], *, genome: str | Path | None,
             crop: dict[int, int] | None) -> Iterator[tuple[Record, object, dict[str, Any]]]:
    """Checked windows of the model's length (``Record.seq`` upper case, U read as T), cropped where ``crop`` says."""
    dna = _dna_input(spec)
    length = dna.length or 0
    crop = {int(k): int(v) for k, v in (crop or {}).items()}
    for rec, source, meta in iter_records(sources, spec, genome=genome):
        seq = check_sequence(rec.seq, "dna", source=source, record=rec.id)
        if len(seq) != length:
            if len(seq) not in crop:
                accepted = " or ".join(f"{n:,}" for n in [length, *crop])
                raise InputError(source, f"sequence length {len(seq):,}, the model takes exactly {accepted} nt "
                                         f"(TSS at index {dna.anchor.index if dna.anchor else 0:,} of {length:,})",
                                 record=rec.id)
            seq = seq[crop[len(seq)]: crop[len(seq)] + length]
        yield Record(rec.id, seq, rec.description), source, meta


def _dna_batch(spec: ModelSpec, buf: list[tuple[str, Any, dict[str, Any]]], table: dict[str, np.ndarray] | None,
               halflife: str | Path | None) -> Batch:
    ids = [b[0] for b in buf]
    inputs = {_dna_input(spec).name: np.stack([one_hot(b[1]) for b in buf])}
    numeric = _numeric_input(spec)
    if numeric is not None:
        if table is None:
            inputs[numeric.name] = np.zeros((len(ids), len(FEATURES)), np.float32)
        else:
            missing = next((r for r in ids if r not in table), None)
            if missing is not None:
                raise InputError(halflife, "no row in the half-life table for this record", record=missing)
            inputs["halflife_raw"] = np.stack([table[r] for r in ids])
    meta = {k: [b[2].get(k) for b in buf] for k in buf[0][2]}
    return Batch(ids, inputs, meta)


def _halflife(spec: ModelSpec, path: str | Path | None) -> dict[str, np.ndarray] | None:
    if _numeric_input(spec) is None:
        return None
    if path is None:
        warn(f"{spec.name}: no --halflife table, so the 8 half-life features are zeros (the mean training gene); "
             "`zoo perceiver-features GFF GENOME -o features.tsv` computes them")
        return None
    return read_halflife(path)


def read_halflife(path: str | Path) -> dict[str, np.ndarray]:
    """``{id: raw features (8,) float32 in FEATURES order}`` from a TSV of ``id`` + the 8 raw feature columns, by
    name, in any order.

    Raises
    ------
    InputError
        Missing or extra columns, a duplicate or empty id, a cell that is not a finite number, a negative value (a
        z-scored table, not raw features) or a GC fraction above 1, naming the file, the record and the column.
    """
    bounds = {f: (0.0, 1.0 if f in GC else np.inf) for f in FEATURES}
    return read_feature_table(path, "halflife", columns=FEATURES, bounds=bounds,
                              hint="give raw features (lengths in nt, GC fractions 0 to 1, CDS exons per kb), "
                                   "not z-scores")


# --------------------------------------------------------------------------------------------------------------------
# protein


def clean_protein(seq: str, *, source: object, record: str) -> str:
    """The protein as the model reads it: upper case, one trailing ``*`` stripped, not truncated.

    Raises
    ------
    InputError
        An empty protein, a letter outside the amino-acid alphabet (``zoo_core.seqio.AMINO``), or a sequence of
        only A/C/G/T/U/N letters (at least 20 of them): a nucleotide sequence given to a protein model.
    """
    seq = seq.upper()
    if seq.endswith("*"):
        seq = seq[:-1]
    if not seq:
        raise InputError(source, "empty protein", record=record)
    seq = check_sequence(seq, "protein", source=source, record=record)
    if len(seq) >= NUCLEOTIDE_CHECK and set(seq) <= _NUCLEOTIDE:
        raise InputError(source, "this looks like a nucleotide sequence (only A, C, G, T/U, N); the model reads the "
                                 "amino-acid sequence", record=record)
    return seq


def protein_one_hot(seqs: list[str], length: int = PROTEIN_LEN) -> np.ndarray:
    """``(N, length, 23)`` float32: channel 0 the pad (set past each protein's end), the others PROTEIN_CHANNELS;
    letters outside the 20 amino acids and U read as X; proteins longer than ``length`` keep their first residues."""
    codes = np.zeros((len(seqs), length), np.intp)
    for k, s in enumerate(seqs):
        s = s[:length]
        codes[k, : len(s)] = PROTEIN_CODES[np.frombuffer(s.encode("ascii"), np.uint8)]
    return np.eye(len(PROTEIN_CHANNELS), dtype=np.float32)[codes]


def _protein_input(spec: ModelSpec) -> InputSpec:
    return next(i for i in spec.inputs if i.kind == "protein")


def _protein_batch(spec: ModelSpec, buf: list[tuple[str, str]]) -> Batch:
    name = _protein_input(spec).name
    seqs = [s for _, s in buf]
    meta: dict[str, list[Any]] = {"protein_length": [len(s) for s in seqs],
                                  "truncated": [len(s) > PROTEIN_LEN for s in seqs]}
    return Batch([r for r, _ in buf], {name: protein_one_hot(seqs)}, meta,
                 lengths={name: [min(len(s), PROTEIN_LEN) for s in seqs]})


def _merge(dna: Batch, protein: Batch) -> Batch:
    return Batch(dna.ids, {**dna.inputs, **protein.inputs}, {**dna.meta, **protein.meta}, dict(protein.lengths))
