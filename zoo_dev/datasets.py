"""Helpers of the plugins' dataset builds (scripts/build_dataset.py), which the runtime never needs."""

from __future__ import annotations

from zoo_core.transcripts import STOP_CODONS, Span, translate


def bed12_cds(cols: list[str]) -> Span:
    """The CDS of a BED12 row on its spliced transcript, 5'→3' on the transcript's strand (0-based, half-open).

    thickStart/thickEnd are mapped through the blocks.

    Raises
    ------
    ValueError
        thickStart or thickEnd lies outside the blocks.
    """
    chrom_start, thick_start, thick_end = int(cols[1]), int(cols[6]), int(cols[7])
    sizes = [int(x) for x in cols[10].strip(",").split(",")]
    starts = [chrom_start + int(x) for x in cols[11].strip(",").split(",")]

    def offset(pos: int) -> int:
        done = 0
        for s, n in zip(starts, sizes, strict=True):
            if s <= pos < s + n:
                return done + pos - s
            done += n
        raise ValueError(f"{cols[3]}: thick position {pos} outside the blocks")

    start, end = offset(thick_start), offset(thick_end - 1) + 1
    return (sum(sizes) - end, sum(sizes) - start) if cols[5] == "-" else (start, end)


def cds_problem(cds: str) -> str | None:
    """Why ``cds`` is not a clean ATG…stop open reading frame of A/C/G/T, or None if it is one."""
    if set(cds) - set("ACGT"):
        return "CDS has non-ACGT letters"
    if len(cds) % 3:
        return "CDS length not a multiple of 3"
    if not cds.startswith("ATG"):
        return "CDS does not start with ATG"
    if cds[-3:] not in STOP_CODONS:
        return "CDS does not end with a stop codon"
    if "*" in translate(cds[:-3]):
        return "CDS has an internal stop"
    return None
