"""The ``transcripts`` dataloader: FASTA of RNA (or cDNA) transcripts -> one-hot batches, in input order.

Each batch (a "window") holds up to ``batch_size`` consecutive records and at most ``max_tokens`` nucleotides
in total (a longer record gets a window of its own). The model sorts a window by length and runs it in
forward passes of at most its own ``max_tokens`` padded nucleotides (:class:`~zoo_bioseq2seq.model.Bioseq2SeqModel`),
so long and short transcripts cost little padding while the output table keeps the input order: the core
writes one table chunk per window, so reordering records across windows here would reorder the table.

Per record the batch carries the one-hot ``(L, 4)`` sequence input (N and other codes all-zero, as zoo's
convention is), the ``tokens`` array (source-vocabulary id of every position, padding ``<blank>``), which the
model reads because the one-hot alone cannot tell N, R, other letters and padding apart, and the
meta columns ``length`` (nt after U→T), ``in_domain`` (inside the model's training range: 200–1200 nt unless its
model.yaml sets ``dataloader.args.training_range``) and ``n_non_acgt`` (positions read as N, R or ``<unk>``).

Length policy (spec §2, §9.2): the whole sequence is always used, never truncated or chunked. Above
``WARN_LENGTH`` a warning goes to stderr (the paper ran at most 4,082 nt); above ``MAX_LENGTH`` the record is an
error, because one transcript that long needs tens of GB for the encoder's feed-forward activations.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from zoo_bioseq2seq import DEFAULT_MAX_TOKENS
from zoo_bioseq2seq.vocab import PAD, SRC_INDEX, encode_rna
from zoo_core.dataloaders import INLINE, InlineRecords
from zoo_core.encoding import one_hot
from zoo_core.errors import InputError
from zoo_core.model import Batch
from zoo_core.seqio import Record, check_sequence, read_fasta, source_name
from zoo_core.sources import resolve
from zoo_core.spec import ModelSpec

Source = str | Path | InlineRecords

TOKENS_INPUT = "tokens"
TRAINING_RANGE = (200, 1200)  # the authors' dataset, mammalian_200-1200
WARN_LENGTH = 10_000
MAX_LENGTH = 30_000
_OWN_TOKENS = frozenset(t for t in SRC_INDEX if len(t) == 1)  # A C G T N R; other letters become <unk>


def transcripts(spec: ModelSpec, sources: Iterable[Source], *, batch_size: int = 32,
                max_tokens: int = DEFAULT_MAX_TOKENS,
                training_range: tuple[int, int] | list[int] = TRAINING_RANGE) -> Iterator[Batch]:
    """Batches of checked transcripts from FASTA files (plain or gzip) or raw sequence strings, in input order.

    Raises
    ------
    InputError
        A missing or malformed file, a letter outside the IUPAC alphabet, a duplicate id, or a record longer
        than ``MAX_LENGTH``; each names the file and the record.
    """
    if batch_size < 1 or max_tokens < 1:
        raise InputError("<options>", f"batch_size and max_tokens must be at least 1, got {batch_size} and {max_tokens}")
    trained = (int(training_range[0]), int(training_range[1]))
    window: list[tuple[str, str]] = []
    total = 0
    for rec, source in _records(sources):
        seq = checked(rec, source, trained)
        if window and (len(window) == batch_size or total + len(seq) > max_tokens):
            yield encode(window, spec, trained)
            window, total = [], 0
        window.append((rec.id, seq))
        total += len(seq)
    if window:
        yield encode(window, spec, trained)


def checked(rec: Record, source: object, trained: tuple[int, int] = TRAINING_RANGE) -> str:
    """The record's sequence, upper case with U→T, after the alphabet and length checks."""
    seq = check_sequence(rec.seq, "rna", source=source, record=rec.id)
    n = len(seq)
    if n > MAX_LENGTH:
        raise InputError(source, f"{n:,} nt is longer than the {MAX_LENGTH:,} nt this model accepts (it was trained on "
                                  f"{trained[0]}–{trained[1]} nt); split or trim the transcript", rec.id)
    if n > WARN_LENGTH:
        _warn(source, rec.id, f"{n:,} nt, far beyond the {trained[0]}–{trained[1]} nt training range; "
                              "predicted on the whole sequence (not truncated), expect unreliable output")
    unknown = sum(seq.count(letter) for letter in set(seq) - _OWN_TOKENS)
    if unknown:
        _warn(source, rec.id, f"{unknown} IUPAC code(s) other than N and R read as <unk>, as the original pipeline did")
    return seq


def encode(records: list[tuple[str, str]], spec: ModelSpec, trained: tuple[int, int] = TRAINING_RANGE) -> Batch:
    """One batch: the one-hot sequences and their tokens, padded at the end to the longest."""
    seq_name = spec.sequence_input.name
    width = max(len(s) for _, s in records)
    x = np.zeros((len(records), width, 4), np.float32)
    for k, (_, seq) in enumerate(records):
        x[k, : len(seq)] = one_hot(seq)
    inputs: dict[str, np.ndarray] = {seq_name: x}
    tokens = np.full((len(records), width), PAD, np.float32)
    for k, (_, seq) in enumerate(records):
        tokens[k, : len(seq)] = encode_rna(seq)
    inputs[TOKENS_INPUT] = tokens
    lengths = [len(s) for _, s in records]
    lo, hi = trained
    meta: dict[str, list[object]] = {
        "length": list(lengths),
        "in_domain": [lo <= n <= hi for n in lengths],
        "n_non_acgt": [len(s) - sum(s.count(b) for b in "ACGT") for _, s in records],
    }
    return Batch([rid for rid, _ in records], inputs, meta, lengths={seq_name: lengths})


def _records(sources: Iterable[Source]) -> Iterator[tuple[Record, object]]:
    """``(record, source)`` from FASTA paths, sequence strings (named ``seq_<i>``) or in-memory records, ids unique
    across inputs."""
    seen: set[str] = set()
    for i, src in enumerate(sources):
        if isinstance(src, InlineRecords):
            recs: Iterable[Record] = [Record(r.id, r.seq.upper()) for r in src.records]
            source: object = src
        else:
            resolved = resolve(src, i)
            if isinstance(resolved, Record):
                recs, source = [Record(resolved.id, resolved.seq.upper())], INLINE
            else:
                recs, source = read_fasta(resolved), source_name(resolved)
        for rec in recs:
            if rec.id in seen:
                raise InputError(source, "duplicate id across inputs", record=rec.id)
            seen.add(rec.id)
            yield rec, source


def _warn(source: object, record: str, message: str) -> None:
    print(f"zoo: warning: {source}: record '{record}': {message}", file=sys.stderr)
