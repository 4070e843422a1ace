"""Genome intervals: BED/GTF/GFF reading, anchored windows, and strand-aware extraction.

Coordinates are 0-based half-open internally (BED convention); GTF/GFF's 1-based inclusive
coordinates are converted on reading. Sequences on the minus strand are reverse-complemented, so a
window is always returned 5'→3' on the feature's strand, as kipoiseq's extractors do.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from zoo_core.errors import InputError, warn
from zoo_core.seqio import open_text, reverse_complement

GTF_SUFFIXES = (".gtf", ".gff", ".gff3", ".gtf.gz", ".gff.gz", ".gff3.gz")
BED_SUFFIXES = (".bed", ".bed.gz")
_TRANSCRIPT_FEATURES = {"transcript", "mRNA", "lnc_RNA", "ncRNA"}


@dataclass(frozen=True)
class Interval:
    """A stranded genomic interval, 0-based half-open. Compatible in spirit with kipoiseq.Interval."""

    chrom: str
    start: int
    end: int
    name: str
    strand: str = "+"

    @property
    def five_prime(self) -> int:
        """0-based position of the 5' end on the interval's strand (the TSS of a transcript)."""
        return self.end - 1 if self.strand == "-" else self.start

    def anchored_window(self, length: int, anchor: int) -> Interval:
        """Window of ``length`` whose index ``anchor`` (on this strand) is this interval's 5' end."""
        if self.end - self.start == length:
            return self
        p = self.five_prime
        start = p - anchor if self.strand != "-" else p + anchor + 1 - length
        return Interval(self.chrom, start, start + length, self.name, self.strand)


def is_interval_file(path: str | Path) -> bool:
    """Whether ``path`` names a BED or GTF/GFF file (by extension)."""
    return str(path).lower().endswith(BED_SUFFIXES + GTF_SUFFIXES)


def _lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    try:
        with open_text(path) as fh:
            for n, line in enumerate(fh, 1):
                if line.strip() and not line.startswith(("#", "track", "browser")):
                    yield n, line.rstrip("\r\n").split("\t")  # CRLF: no '\r' in the last column
    except UnicodeDecodeError:
        raise InputError(path, "not a text file") from None


def read_intervals(path: str | Path) -> Iterator[Interval]:
    """Stream intervals from a BED (3-6+ columns) or the transcript features of a GTF/GFF3.

    Raises
    ------
    InputError
        Malformed line, bad strand, duplicate name, or no usable feature.
    """
    path = Path(path)
    gtf = str(path).lower().endswith(GTF_SUFFIXES)
    seen: set[str] = set()
    count = 0
    for n, cols in _lines(path):
        try:
            iv = _gtf_row(cols) if gtf else _bed_row(cols)
        except (ValueError, IndexError) as e:
            raise InputError(path, f"line {n}: malformed {'GTF/GFF' if gtf else 'BED'} row: {e}") from None
        if iv is None:
            continue
        if iv.name in seen:
            raise InputError(path, f"line {n}: duplicate id", record=iv.name)
        seen.add(iv.name)
        count += 1
        yield iv
    if count == 0:
        what = "transcript/mRNA features" if gtf else "intervals"
        raise InputError(path, f"empty file: no {what}")


def _strand(s: str) -> str:
    if s not in {"+", "-", "."}:
        raise ValueError(f"strand {s!r} is not +, - or .")
    return "-" if s == "-" else "+"


def _bed_row(cols: list[str]) -> Interval:
    if len(cols) < 3:
        # the usual cause is a space-separated file, which reads as one column
        raise ValueError(f"expected at least 3 tab-separated columns (chrom, start, end), found {len(cols)}")
    chrom = cols[0]
    try:
        start, end = int(cols[1]), int(cols[2])
    except ValueError:
        raise ValueError(f"start/end {cols[1]!r}/{cols[2]!r} are not integers") from None
    if start < 0 or end <= start:
        raise ValueError(f"start {start} / end {end}")
    strand = _strand(cols[5]) if len(cols) > 5 else "+"
    name = cols[3] if len(cols) > 3 and cols[3] not in {"", "."} else f"{chrom}:{start}-{end}({strand})"
    return Interval(chrom, start, end, name, strand)


def _gtf_row(cols: list[str]) -> Interval | None:
    if len(cols) < 9:
        raise ValueError(f"{len(cols)} columns, expected 9")
    if cols[2] not in _TRANSCRIPT_FEATURES:
        return None
    attrs = _attributes(cols[8])
    name = attrs.get("transcript_id") or attrs.get("ID") or attrs.get("gene_id")
    if not name:
        raise ValueError("no transcript_id / ID attribute")
    try:
        start, end = int(cols[3]) - 1, int(cols[4])
    except ValueError:
        raise ValueError(f"start/end {cols[3]!r}/{cols[4]!r} are not integers") from None
    if start < 0 or end <= start:  # 1-based inclusive: 1 <= start <= end
        raise ValueError(f"start {cols[3]} / end {cols[4]} is not an interval")
    return Interval(cols[0], start, end, name.removeprefix("transcript:").removeprefix("rna-"), _strand(cols[6]))


def _attributes(field: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in field.strip().strip(";").split(";"):
        part = part.strip()
        if "=" in part and (" " not in part or part.index("=") < part.index(" ")):
            k, _, v = part.partition("=")  # GFF3
        else:
            k, _, v = part.partition(" ")  # GTF
        out.setdefault(k.strip(), v.strip().strip('"'))
    return out


class Genome:
    """A genome FASTA opened through pyfaidx (plain or bgzip).

    The .fai index is written next to the FASTA when that folder is writable, else into a per-user
    cache, so read-only reference folders work.
    """

    def __init__(self, path: str | Path) -> None:
        import pyfaidx

        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(self.path, "no such genome FASTA file")
        index = None
        if not os.access(self.path.parent, os.W_OK) and not Path(f"{self.path}.fai").exists():
            cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "zoo" / "fai"
            cache.mkdir(parents=True, exist_ok=True)
            key = hashlib.sha256(str(self.path.resolve()).encode()).hexdigest()[:16]
            index = str(cache / f"{key}-{self.path.name}.fai")
        try:
            self._fa = pyfaidx.Fasta(str(self.path), indexname=index, sequence_always_upper=True, as_raw=True)
        except (pyfaidx.FastaIndexingError, pyfaidx.UnsupportedCompressionFormat, ValueError) as e:
            raise InputError(self.path, f"cannot index genome FASTA ({e})") from None

    def contig_length(self, chrom: str) -> int | None:
        """Length of ``chrom``, or None if the genome lacks it."""
        return len(self._fa[chrom]) if chrom in self._fa else None

    def fetch(self, iv: Interval, *, source: object) -> tuple[str, int]:
        """Sequence of ``iv`` 5'→3' on its strand; positions before a contig start or past its end are N.

        Returns the sequence and the number of N-padded positions.

        Raises
        ------
        InputError
            The contig is not in the genome, or ``iv`` lies wholly outside it (nothing of it to fetch, most
            likely coordinates of another assembly), naming the record and the contig's length.
        """
        size = self.contig_length(iv.chrom)
        if size is None:
            raise InputError(source, f"contig {iv.chrom!r} is not in genome {self.path.name}", record=iv.name)
        if iv.start >= size or iv.end <= 0:
            where = f"past the end of contig {iv.chrom!r}" if iv.start >= size else f"before the start of contig {iv.chrom!r}"
            raise InputError(source, f"window {iv.chrom}:{iv.start}-{iv.end} (0-based) lies wholly {where} "
                                     f"({size:,} nt in {self.path.name}); is the genome the intervals' assembly?",
                             record=iv.name)
        lo, hi = max(iv.start, 0), min(iv.end, size)
        seq = str(self._fa[iv.chrom][lo:hi])
        left, right = lo - iv.start, iv.end - hi
        seq = "N" * left + seq + "N" * right
        if iv.strand == "-":
            seq = reverse_complement(seq)
        return seq, left + right

    def fetch_window(self, iv: Interval, *, source: object) -> str:
        """:meth:`fetch`, warning (once, on stderr) when positions before the contig start or past its end
        were filled with N, and on which side: a window at a TSS near a contig's start reaches before it."""
        seq, _ = self.fetch(iv, source=source)
        size = self.contig_length(iv.chrom) or 0
        before, after = max(-iv.start, 0), max(iv.end - size, 0)
        sides = [f"{before} positions before the contig start"] if before else []
        sides += [f"{after} positions past the contig end"] if after else []
        if sides:
            warn(f"{source}: record '{iv.name}': {' and '.join(sides)} ({iv.chrom}, {size:,} nt) were filled with N")
        return seq
