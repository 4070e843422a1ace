"""VCF helpers for tests of ``zoo vep``: writing a small VCF, and the record that turns one sequence into another."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

HEADER = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def write_vcf(path: Path, rows: Iterable[tuple[str, int, str, str, str]],
              contigs: Mapping[str, int | None] | Iterable[str] = ()) -> Path:
    """Write ``(chrom, pos, id, ref, alt)`` rows (1-based POS) as a VCF 4.2, with a ``##contig`` line per contig
    (``{name: length}``, or names alone)."""
    lengths = dict(contigs) if isinstance(contigs, Mapping) else dict.fromkeys(contigs)
    head = "##fileformat=VCFv4.2\n" + "".join(
        f"##contig=<ID={c}{f',length={n}' if n else ''}>\n" for c, n in lengths.items())
    path.write_text(head + HEADER + "".join(f"{c}\t{p}\t{i}\t{r}\t{a}\t.\tPASS\t.\n" for c, p, i, r, a in rows))
    return path


def vcf_record(ref: str, alt: str) -> tuple[int, str, str]:
    """0-based offset, REF and ALT of the one VCF record that turns ``ref`` into ``alt`` (an SNV, MNV or, with the
    padding base before it, an indel); both sequences start and end with the same flank."""
    p = 0
    while p < min(len(ref), len(alt)) and ref[p] == alt[p]:
        p += 1
    s = 0
    while s < min(len(ref), len(alt)) - p and ref[-1 - s] == alt[-1 - s]:
        s += 1
    r, a = ref[p:len(ref) - s], alt[p:len(alt) - s]
    if not r or not a:
        p -= 1
        r, a = ref[p] + r, ref[p] + a
    return p, r, a
