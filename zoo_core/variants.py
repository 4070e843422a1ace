"""Variants from VCF (plain, bgzip or BCF, read with cyvcf2), one per ALT allele, in record order.

Each ALT of a record becomes its own :class:`Variant` (multi-allelic records are split). Alleles are
trimmed to the bases they change: ``REF=A ALT=AT`` at POS 100 inserts ``T`` between 1-based positions 100
and 101, i.e. ``start == end == 100`` (0-based), ``insert == "T"``. ALTs that are no sequence (symbolic
``<DEL>``, breakends ``]chr2:5]A``, the spanning deletion ``*``, a missing ``.``) keep their record and
position but carry a ``kind`` that says why they are not scored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoo_core.errors import InputError
from zoo_core.intervals import Genome

_BASES = re.compile(r"^[ACGTN]+$")
SKIPPED_KINDS = {"symbolic": "symbolic_alt", "breakend": "breakend_alt", "spanning": "spanning_deletion",
                 "missing": "missing_alt", "invalid": "invalid_alt"}
"""ALT kinds that are never scored, and the flag their rows carry."""


@dataclass(frozen=True)
class Variant:
    """One ALT allele of one VCF record.

    ``record`` is the 0-based ordinal of the record in the file (the key of ``--shard`` and of output order);
    ``contig`` is the genome's name for ``chrom`` (``chr`` added or dropped as needed). ``start``/``end`` are
    the 0-based half-open span of the reference bases the allele replaces with ``insert`` (empty span:
    an insertion before base ``start``).
    """

    record: int
    chrom: str
    pos: int
    id: str
    ref: str
    alt: str
    contig: str
    kind: str = "sequence"
    start: int = 0
    end: int = 0
    insert: str = ""

    @property
    def delta(self) -> int:
        """Change in length: len(ALT) − len(REF)."""
        return len(self.insert) - (self.end - self.start)


def allele(record: int, chrom: str, pos: int, vid: str, ref: str, alt: str, contig: str) -> Variant:
    """The :class:`Variant` of one REF/ALT pair, trimmed and classified."""
    ref_u, alt_u = ref.upper(), alt.upper()
    kind = _kind(alt_u)
    if kind != "sequence" or not _BASES.match(ref_u):
        kind = kind if kind != "sequence" else "invalid"
        return Variant(record, chrom, pos, vid, ref, alt, contig, kind, pos - 1, pos - 1 + len(ref), "")
    # shared suffix first, then prefix: the minimal change, placed where VCF's padding base puts it
    r, a = ref_u, alt_u
    while r and a and r[-1] == a[-1]:
        r, a = r[:-1], a[:-1]
    k = 0
    while k < len(r) and k < len(a) and r[k] == a[k]:
        k += 1
    start = pos - 1 + k
    return Variant(record, chrom, pos, vid, ref, alt, contig, "sequence", start, start + len(r) - k, a[k:])


def _kind(alt: str) -> str:
    if alt in {".", ""}:
        return "missing"
    if alt == "*":
        return "spanning"
    if alt.startswith("<"):
        return "symbolic"
    if "[" in alt or "]" in alt or alt.startswith(".") or alt.endswith("."):
        return "breakend"
    return "sequence" if _BASES.match(alt) else "invalid"


class ContigNames:
    """Matches contig names to a genome's, with and without ``chr`` (``chrM`` and ``MT`` too)."""

    def __init__(self, genome: Genome) -> None:
        self.genome = genome
        self._cache: dict[str, str | None] = {}

    def __call__(self, name: str) -> str | None:
        if name not in self._cache:
            self._cache[name] = next((c for c in _spellings(name) if self.genome.contig_length(c) is not None), None)
        return self._cache[name]


def _spellings(name: str) -> list[str]:
    bare = name[3:] if name.lower().startswith("chr") else name
    out = [name, bare, f"chr{bare}"]
    if bare in {"M", "MT"}:
        out += ["chrM", "MT", "M"]
    return out


@dataclass
class VcfChunk:
    """Up to ``chunk_size`` records: their ALT alleles as :class:`Variant` and, for VCF output, the records."""

    variants: list[Variant]
    records: list[Any]
    ordinals: list[int]
    n_records: int


def read_vcf(path: str | Path, genome: Genome, *, chunk_size: int = 2000, shard: tuple[int, int] | None = None,
             keep_records: bool = False, reader: Any = None) -> Iterator[VcfChunk]:
    """Stream a VCF in chunks of records; ``shard=(k, n)`` keeps the chunks whose ordinal is k−1 modulo n (the
    records whose ordinal // chunk_size is), so a shard's chunks are those of the whole file.
    ``reader`` is an open :func:`open_vcf` of ``path`` (e.g. one whose header a writer extends).

    Raises
    ------
    InputError
        A missing or unreadable file, a malformed record (named by its ordinal and position), or a contig
        that the genome lacks under any spelling.
    """
    vcf = reader if reader is not None else open_vcf(path)
    names = ContigNames(genome)
    variants: list[Variant] = []
    records: list[Any] = []
    ordinals: list[int] = []
    n = 0
    ordinal = -1
    it = iter(vcf)
    while True:
        try:
            rec = next(it)
        except StopIteration:
            break
        except Exception as e:  # cyvcf2 raises plain Exceptions for malformed lines
            where = f" after record {ordinal + 1}" if ordinal >= 0 else ""
            raise InputError(path, f"malformed VCF{where}: {e}") from None
        ordinal += 1
        if shard is not None and (ordinal // chunk_size) % shard[1] != shard[0] - 1:
            continue
        chrom, pos = rec.CHROM, rec.POS
        vid = rec.ID or f"{chrom}:{pos}"
        contig = names(chrom)
        if contig is None:
            raise InputError(path, f"contig {chrom!r} is not in genome {genome.path.name} (also tried with and "
                                   f"without 'chr'); is the genome the VCF's assembly?", record=f"{chrom}:{pos}")
        alts = rec.ALT or ["."]
        for alt in alts:
            variants.append(allele(ordinal, chrom, pos, vid, rec.REF, alt, contig))
        if keep_records:
            records.append(rec)
            ordinals.append(ordinal)
        n += 1
        if n == chunk_size:
            yield VcfChunk(variants, records, ordinals, n)
            variants, records, ordinals, n = [], [], [], 0
    if n:
        yield VcfChunk(variants, records, ordinals, n)


def open_vcf(path: str | Path) -> Any:
    """A cyvcf2 reader for ``path`` (``-`` = standard input).

    Raises
    ------
    InputError
        The file is missing or is not VCF/BCF.
    """
    from cyvcf2 import VCF
    from cyvcf2.cyvcf2 import set_htslib_log_level

    # htslib warns on stderr for every contig a header does not declare (common, and harmless here: contigs are
    # matched to the genome); errors still reach the user as one InputError line
    set_htslib_log_level(1)
    if str(path) != "-" and not Path(path).is_file():
        raise InputError(path, "no such VCF file")
    try:
        return VCF(str(path), lazy=True)
    except Exception as e:  # OSError, or a plain Exception from htslib
        raise InputError(path, f"not a readable VCF/BCF file ({e})") from None
