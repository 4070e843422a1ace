"""Streaming FASTA reading and sequence checks.

Records are read one at a time (never the whole file), so memory stays flat however large the
input. Every problem is an :class:`~zoo_core.errors.InputError` naming the file and record.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from zoo_core.errors import InputError

Kind = Literal["dna", "rna", "protein"]

IUPAC_NT = frozenset("ACGTNRYKMSWBDHV")
_IUPAC_BYTES = b"ACGTNRYKMSWBDHV"
AMINO = frozenset("ACDEFGHIKLMNPQRSTVWYXBZJUO*")
_PROTEIN_ONLY = frozenset("EFILPQ")  # letters that are never nucleotide codes


@dataclass(frozen=True)
class Record:
    """One sequence: ``id`` is the header up to the first whitespace."""

    id: str
    seq: str
    description: str = ""


def open_text(path: Path) -> IO[str]:
    """Open a plain or gzip text file (detected by its magic bytes, not its name)."""
    try:
        raw = path.open("rb")
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, expected a FASTA file") from None
    magic = raw.read(2)
    raw.seek(0)
    stream: IO[bytes] = gzip.GzipFile(fileobj=raw) if magic == b"\x1f\x8b" else raw  # type: ignore[assignment]
    return io.TextIOWrapper(stream, encoding="ascii", errors="strict")


def read_fasta(path: str | Path, *, keep_case: bool = False) -> Iterator[Record]:
    """Yield the records of a FASTA file (plain or gzip), one at a time, sequence upper-cased
    unless ``keep_case`` (for formats where case carries meaning, e.g. lower-case UTRs).

    Raises
    ------
    InputError
        Missing file, empty file, text that is not FASTA, a record with no sequence, a duplicate id.
    """
    path = Path(path)
    seen: dict[str, int] = {}
    n = 0
    rid: str | None = None
    desc = ""
    chunks: list[str] = []

    def finish() -> Record:
        seq = "".join(chunks).replace(" ", "")
        seq = seq if keep_case else seq.upper()
        if not seq:
            raise InputError(path, "empty sequence", record=rid)
        return Record(rid or "", seq, desc)

    with open_text(path) as fh:
        try:
            for lineno, line in enumerate(fh, 1):
                line = line.rstrip()
                if not line:
                    continue
                if line[0] == ">":
                    if rid is not None:
                        yield finish()
                    header = line[1:].strip()
                    if not header:
                        raise InputError(path, f"line {lineno}: header with no id")
                    rid, _, desc = header.partition(" ")
                    n += 1
                    if rid in seen:
                        raise InputError(path, f"duplicate id (first seen as record {seen[rid]})", record=rid)
                    seen[rid] = n
                    chunks = []
                elif rid is None:
                    raise InputError(path, f"not a FASTA file: line {lineno} comes before any '>' header")
                else:
                    chunks.append(line)
        except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as e:
            raise InputError(path, f"not a text FASTA file ({type(e).__name__})") from None
    if rid is None:
        raise InputError(path, "empty file: no FASTA records")
    yield finish()


def check_sequence(seq: str, kind: Kind, *, source: object, record: str) -> str:
    """Return ``seq`` normalised for ``kind`` (DNA/RNA: U→T) or raise naming the first bad letter.

    Raises
    ------
    InputError
        A letter outside the IUPAC alphabet of ``kind``; a protein given to a nucleotide model.
    """
    if kind == "protein":
        bad = set(seq) - AMINO
        if bad:
            letter = min(bad, key=seq.index)
            raise InputError(source, f"invalid amino-acid letter {letter!r} at position {seq.index(letter) + 1}", record)
        return seq
    if "U" in seq:
        seq = seq.replace("U", "T")
    if not seq.encode("ascii", "replace").translate(None, _IUPAC_BYTES):
        return seq  # fast path: bytes.translate runs in C, set(seq) was the hot spot
    bad = set(seq) - IUPAC_NT
    if bad:
        letter = min(bad, key=seq.index)
        looks_protein = bool(set(seq) & _PROTEIN_ONLY) and not (set(seq) - AMINO)
        why = "; this looks like a protein sequence, the model takes DNA/RNA" if looks_protein else ""
        raise InputError(
            source, f"invalid nucleotide letter {letter!r} at position {seq.index(letter) + 1}{why}", record
        )
    return seq


def reverse_complement(seq: str) -> str:
    """Reverse complement of an IUPAC DNA string."""
    return seq.translate(_COMPLEMENT)[::-1]


_COMPLEMENT = str.maketrans("ACGTNRYKMSWBDHV", "TGCANYRMKSWVHDB")
