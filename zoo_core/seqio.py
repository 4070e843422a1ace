"""Streaming FASTA reading and sequence checks.

Records are read one at a time (never the whole file), so memory stays flat however large the
input. Every problem is an :class:`~zoo_core.errors.InputError` naming the file and record.
"""

from __future__ import annotations

import gzip
import io
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Literal

from zoo_core.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

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


STDIN = "-"


def source_name(path: Path) -> str:
    """How a path is named in messages (``-`` is standard input)."""
    return "<stdin>" if str(path) == STDIN else str(path)


class TextLines:
    """The lines of a text file, plain or gzip (by its magic bytes, not its name), from a path, a pipe or
    standard input (``-``). Lines are UTF-8 (a BOM is skipped); a byte that is not, a NUL (binary data: it would
    end up inside an id, where HDF5 cannot store it), or corrupt or truncated compressed data, is an
    :class:`InputError` naming the file and the line, whoever reads the lines.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = source_name(path)
        if str(path) == STDIN:
            raw: IO[bytes] = sys.stdin.buffer
        else:
            try:
                raw = path.open("rb")
            except FileNotFoundError:
                raise InputError(path, "no such file") from None
            except IsADirectoryError:
                raise InputError(path, "is a directory, expected a file") from None
            except PermissionError:
                raise InputError(path, "permission denied") from None
        self._owned = str(path) != STDIN
        if not hasattr(raw, "peek"):  # e.g. a BytesIO standing in for standard input
            raw = io.BufferedReader(raw)  # type: ignore[arg-type]
        self._raw = raw
        # peek, not read + seek: pipes and standard input cannot seek back
        magic = raw.peek(2)[:2]
        self._stream: IO[bytes] = gzip.GzipFile(fileobj=raw) if magic == b"\x1f\x8b" else raw  # type: ignore[assignment]
        self.lineno = 0

    def __enter__(self) -> TextLines:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._owned:
            self._raw.close()

    def __iter__(self) -> Iterator[str]:
        first = True
        while True:
            try:
                raw = self._stream.readline()
            except (zlib.error, gzip.BadGzipFile, EOFError, OSError) as e:
                why = "truncated" if isinstance(e, EOFError) else "corrupt"
                raise InputError(self.name, f"{why} gzip data after line {self.lineno} ({e or type(e).__name__})") from None
            if not raw:
                return
            self.lineno += 1
            if first and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            first = False
            nul = raw.find(b"\0")
            if nul >= 0:
                raise InputError(self.name, f"line {self.lineno}: byte 0x00 (NUL) at column {nul + 1}: not a text file")
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise InputError(self.name, f"line {self.lineno}: byte 0x{raw[e.start]:02x} at column {e.start + 1} is not "
                                            "UTF-8 text") from None


def open_text(path: Path) -> TextLines:
    """The lines of a plain or gzip text file, a pipe or standard input (``-``): see :class:`TextLines`."""
    return TextLines(Path(path))


def read_tsv(path: str | Path, what: str = "a table") -> pd.DataFrame:
    """A tab-separated table with a header line, read through :func:`open_text` (plain or gzip, a pipe or standard
    input, UTF-8, CRLF), every cell as text: ids keep their spelling ('007' is not 7) and nothing is read as NaN.

    Raises
    ------
    InputError
        What :class:`TextLines` refuses, a first row with more cells than the header (pandas would silently take
        its first cell as an index and shift every column), or text pandas cannot read as a table ("not a
        tab-separated table: <what>"), naming the file and, where known, the line.
    """
    import pandas as pd

    path = Path(path)
    with open_text(path) as fh:
        lines = list(fh)
    try:
        df = pd.read_csv(io.StringIO("".join(lines)), sep="\t", dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as e:  # pandas' message may span lines: keep the error to one
        raise InputError(source_name(path), f"not a tab-separated table: {what} ({' '.join(str(e).split())})") from None
    if not isinstance(df.index, pd.RangeIndex):
        n = [i for i, line in enumerate(lines, 1) if line.strip("\r\n")][1]
        raise InputError(source_name(path), f"line {n}: more tab-separated cells than the header's {len(df.columns)} "
                                            "(a tab at the end of the line?)")
    return df


def read_fasta(path: str | Path, *, keep_case: bool = False) -> Iterator[Record]:
    """Yield the records of a FASTA file (plain or gzip), one at a time, sequence upper-cased
    unless ``keep_case`` (for formats where case carries meaning, e.g. lower-case UTRs).

    Raises
    ------
    InputError
        Missing file, empty file, text that is not FASTA, a record with no sequence, a duplicate id.
    """
    path = Path(path)
    name = source_name(path)
    seen: dict[str, int] = {}
    n = 0
    rid: str | None = None
    desc = ""
    chunks: list[str] = []

    def finish() -> Record:
        seq = "".join(chunks).replace(" ", "").replace("\t", "")
        seq = seq if keep_case else seq.upper()
        if not seq:
            raise InputError(name, "empty sequence", record=rid)
        if not seq.isascii():
            bad = next(c for c in seq if not c.isascii())
            raise InputError(name, f"invalid letter {bad!r} at position {seq.index(bad) + 1}", record=rid)
        return Record(rid or "", seq, desc)

    with open_text(path) as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip()
            if not line:
                continue
            if line[0] == ">":
                if rid is not None:
                    yield finish()
                header = line[1:].strip()
                if not header:
                    raise InputError(name, f"line {lineno}: header with no id")
                # any whitespace ends the id: a tab in a header must not end up inside the id (or a TSV row)
                rid, desc = [*header.split(None, 1), ""][:2]
                n += 1
                if rid in seen:
                    raise InputError(name, f"duplicate id (first seen as record {seen[rid]})", record=rid)
                seen[rid] = n
                chunks = []
            elif rid is None:
                raise InputError(name, f"not a FASTA file: line {lineno} comes before any '>' header")
            else:
                chunks.append(line)
    if rid is None:
        raise InputError(name, "empty file: no FASTA records")
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
