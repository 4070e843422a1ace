"""Transcript models from GFF3/GTF annotation, and their spliced 5'UTR | CDS | 3'UTR sequences.

Coordinates are 0-based half-open (as in :mod:`zoo_core.intervals`); GFF/GTF's 1-based inclusive
coordinates are converted on reading. A transcript is any feature that exons or CDS name as their
parent (GFF3 ``Parent``; GTF ``transcript_id``), so mRNAs, lncRNAs and GTFs without ``transcript``
lines all work. ``stop_codon`` features are merged into the CDS: Ensembl/GENCODE and RefSeq GTF keep
the stop codon out of the CDS, RefSeq GFF3 keeps it in, and a union handles both without counting it twice.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from zoo_core.errors import InputError
from zoo_core.intervals import Genome, Interval
from zoo_core.seqio import open_text, reverse_complement

Span = tuple[int, int]

_CDS = frozenset({"CDS", "stop_codon"})
_UTR = frozenset({"five_prime_UTR", "three_prime_UTR", "UTR", "five_prime_utr", "three_prime_utr"})
_CHILD = frozenset({"exon"}) | _CDS | _UTR
_GTF_TRANSCRIPT = frozenset({"transcript", "mRNA"})
_GTF_ATTR = re.compile(r'([^\s;"]+)\s+(?:"([^"]*)"|([^\s;"]+))')

_BASES = "TCAG"
_AMINO = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
_CODE = {a + b + c: _AMINO[16 * i + 4 * j + k]
         for i, a in enumerate(_BASES) for j, b in enumerate(_BASES) for k, c in enumerate(_BASES)}


@dataclass
class Transcript:
    """One transcript model. ``exons`` and ``cds`` are sorted, merged genomic spans (0-based half-open).

    ``attributes`` are the transcript feature's own; ``cds_attributes`` those of its first CDS line,
    where annotations keep ``protein_id``.
    """

    id: str
    gene: str
    chrom: str
    strand: str
    type: str
    exons: tuple[Span, ...]
    cds: tuple[Span, ...]
    attributes: dict[str, str] = field(default_factory=dict)
    cds_attributes: dict[str, str] = field(default_factory=dict)
    source: str = ""

    @property
    def is_coding(self) -> bool:
        return bool(self.cds)

    def sequence(self, genome: Genome) -> str:
        """The spliced transcript, 5'→3' on its strand (upper case; N past a contig end)."""
        lo, hi = self.exons[0][0], self.exons[-1][1]
        # one fetch per transcript, not per exon: on a bgzip genome every fetch decompresses a block
        span, _ = genome.fetch(Interval(self.chrom, lo, hi, self.id, "+"), source=self.source)
        seq = "".join(span[s - lo : e - lo] for s, e in self.exons)
        return reverse_complement(seq) if self.strand == "-" else seq

    def regions(self, genome: Genome) -> tuple[str, str, str]:
        """(5'UTR, CDS, 3'UTR) on the transcript's strand; the CDS includes the stop codon when annotated.

        Raises
        ------
        InputError
            A non-coding transcript, or a CDS that is not one contiguous stretch of the spliced exons
            (e.g. RefSeq's programmed frameshifts, whose CDS pieces overlap or skip bases).
        """
        if not self.cds:
            raise InputError(self.source, "transcript has no CDS", record=self.id)
        seq = self.sequence(genome)
        start, end = self._offset(self.cds[0][0]), self._offset(self.cds[-1][1] - 1) + 1
        if self.strand == "-":
            start, end = len(seq) - end, len(seq) - start
        if end - start != sum(e - s for s, e in self.cds):
            raise InputError(self.source, "CDS is not a contiguous stretch of the spliced exons", record=self.id)
        return seq[:start], seq[start:end], seq[end:]

    def _offset(self, pos: int) -> int:
        """Offset of genomic ``pos`` in the spliced plus-strand exon sequence."""
        offset = 0
        for s, e in self.exons:
            if s <= pos < e:
                return offset + pos - s
            offset += e - s
        raise InputError(self.source, f"CDS position {pos + 1} lies outside the exons", record=self.id)


def translate(cds: str) -> str:
    """Translate with the standard code; stops become ``*``, a codon with a non-ACGT letter ``X``."""
    return "".join(_CODE.get(cds[i : i + 3], "X") for i in range(0, len(cds) - 2, 3))


def read_transcripts(path: str | Path, types: Collection[str] | None = None) -> Iterator[Transcript]:
    """Yield the transcripts of a GFF3 or GTF file (plain or gzip), in the order their parts first appear.

    GTF is recognised by its ``key "value";`` attributes, so the file name does not matter. ``types``
    keeps only transcripts whose own feature type is listed (e.g. ``{"mRNA"}``); a GTF transcript known
    only from its exons has type ``"transcript"``. The whole file is read first, because GFF3 allows a
    child before its parent.

    Raises
    ------
    InputError
        A malformed line (named by file and line), a child whose parent is undefined or lies on another
        contig/strand, or a file with no transcript.
    """
    path = Path(path)
    features: dict[str, _Row] = {}
    children: dict[str, list[_Row]] = {}
    for row in _rows(path):
        if row.type in _CHILD:
            for parent in row.parents:
                children.setdefault(parent, []).append(row)
        elif row.id:
            features.setdefault(row.id, row)
    n = 0
    for tid, kids in children.items():
        row = features.get(tid) or _implied(path, tid, kids)
        if types is None or row.type in types:
            n += 1
            yield _build(path, tid, row, kids)
    if n == 0:
        raise InputError(path, "no transcripts (no exon/CDS line with a parent" + (" of the types asked for)" if types else ")"))


@dataclass(frozen=True)
class _Row:
    line: int
    chrom: str
    type: str
    start: int
    end: int
    strand: str
    attrs: dict[str, str]
    gtf: bool
    id: str
    parents: tuple[str, ...]


def _rows(path: Path) -> Iterator[_Row]:
    try:
        with open_text(path) as fh:
            for n, line in enumerate(fh, 1):
                if line.strip() and not line.startswith("#"):
                    yield _row(path, n, line.rstrip("\r\n").split("\t"))
    except UnicodeDecodeError:
        raise InputError(path, "not a text GFF/GTF file") from None


def _row(path: Path, n: int, cols: list[str]) -> _Row:
    if len(cols) != 9:
        raise InputError(path, f"line {n}: {len(cols)} tab-separated columns, expected 9 (GFF3/GTF)")
    gtf = _is_gtf(cols[8])
    attrs = _gtf_attributes(cols[8]) if gtf else _gff3_attributes(cols[8])
    record = attrs.get("transcript_id") or attrs.get("ID") or attrs.get("Parent")
    try:
        start, end = int(cols[3]) - 1, int(cols[4])
    except ValueError:
        raise InputError(path, f"line {n}: start/end {cols[3]!r}/{cols[4]!r} are not integers", record) from None
    if start < 0 or end <= start:
        raise InputError(path, f"line {n}: start {cols[3]} / end {cols[4]} is not an interval", record)
    if cols[6] not in {"+", "-", "."}:
        raise InputError(path, f"line {n}: strand {cols[6]!r} is not +, - or .", record)
    kind = cols[2]
    parents: tuple[str, ...]
    if gtf:
        tid = attrs.get("transcript_id", "")
        own, parents = (tid if kind in _GTF_TRANSCRIPT else ""), ((tid,) if tid and kind in _CHILD else ())
    else:
        own, parents = attrs.get("ID", ""), tuple(p for p in attrs.get("Parent", "").split(",") if p)
    if kind in _CHILD and not parents:
        raise InputError(path, f"line {n}: {kind} line with no {'transcript_id' if gtf else 'Parent'}", record)
    return _Row(n, cols[0], kind, start, end, cols[6], attrs, gtf, own, parents)


def _is_gtf(column9: str) -> bool:
    head = column9.strip().split(";", 1)[0]
    return '"' in head or ("=" not in head and " " in head)


def _gff3_attributes(column9: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in column9.strip().split(";"):
        key, eq, value = part.partition("=")
        if eq:
            out.setdefault(key.strip(), unquote(value.strip()))
    return out


def _gtf_attributes(column9: str) -> dict[str, str]:
    """GTF ``key "value";`` pairs; a repeated key (db_xref) is joined with commas, as GFF3 writes it."""
    out: dict[str, str] = {}
    for key, quoted, bare in _GTF_ATTR.findall(column9):
        value = quoted or bare
        out[key] = f"{out[key]},{value}" if key in out else value
    return out


def _implied(path: Path, tid: str, kids: list[_Row]) -> _Row:
    """The transcript of a GTF that has exon lines but no transcript line."""
    first = kids[0]
    if not first.gtf:
        raise InputError(path, f"line {first.line}: Parent {tid!r} is not defined in the file", record=tid)
    start, end = min(k.start for k in kids), max(k.end for k in kids)
    return _Row(first.line, first.chrom, "transcript", start, end, first.strand, first.attrs, True, tid, ())


def _merge(spans: list[Span]) -> tuple[Span, ...]:
    """Sorted union; touching spans join, so a separate stop_codon feature extends its CDS."""
    out: list[Span] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return tuple(out)


def _build(path: Path, tid: str, row: _Row, kids: list[_Row]) -> Transcript:
    for kid in kids:
        if kid.chrom != row.chrom or kid.strand != row.strand:
            raise InputError(path, f"line {kid.line}: {kid.type} on {kid.chrom} ({kid.strand}) but its transcript on "
                             f"{row.chrom} ({row.strand})", record=tid)
    cds = _merge([(k.start, k.end) for k in kids if k.type in _CDS])
    exons = _merge([(k.start, k.end) for k in kids if k.type == "exon"])
    if not exons:  # CDS/UTR-only models (some GFF3 producers) describe the exons implicitly
        exons = _merge([(k.start, k.end) for k in kids])
    gene = row.attrs.get("gene_id", "") if row.gtf else (row.parents[0] if row.parents else tid)
    cds_attrs = next((k.attrs for k in kids if k.type == "CDS"), {})
    strand = "-" if row.strand == "-" else "+"
    return Transcript(tid, gene, row.chrom, strand, row.type, exons, cds, dict(row.attrs), dict(cds_attrs), str(path))


STOP_CODONS = frozenset({"TAA", "TAG", "TGA"})
