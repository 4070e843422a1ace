"""Xpresso's 8 mRNA half-life features of a coding transcript, raw, as ``scripts/build_dataset.py`` computes them.

Spec ``shared/specs/seed001_perceiver.md`` §2.2 (Xpresso ``generate_training_input.pl``): UTR5LEN, CDSLEN (stop codon
excluded, as in Ensembl's GTF CDS, Xpresso's source), INTRONLEN (transcript span − exonic length), UTR3LEN, UTR5GC,
CDSGC, UTR3GC (G+C over A/C/G/T letters, 0 for an empty region, 3 decimals, as Xpresso's ``gcContent``) and
ORFEXONDENSITY (CDS exon count × 1000 / CDSLEN). The models see them after log10(x + 0.1) on ``LOGGED`` and a z-score
with the training split's mean and SD (``config.json`` ``half_life``; :func:`normalise`).

Used by the dataset builder, by ``zoo perceiver-features GFF GENOME -o features.tsv`` (:func:`write_feature_table`)
and by the dataloaders' ``--halflife`` table. Imports no framework.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from zoo_core.errors import InputError, warn
from zoo_core.transcripts import STOP_CODONS, Transcript

FEATURES: tuple[str, ...] = ("UTR5LEN", "CDSLEN", "INTRONLEN", "UTR3LEN", "UTR5GC", "CDSGC", "UTR3GC", "ORFEXONDENSITY")
"""The column order of the models' half-life input (spec §2.2 [X])."""

LOGGED = frozenset({"UTR5LEN", "CDSLEN", "INTRONLEN", "UTR3LEN", "ORFEXONDENSITY"})
"""The features that get log10(x + 0.1) before the z-score [X]; the GC fractions do not."""

GC = frozenset({"UTR5GC", "CDSGC", "UTR3GC"})

Span = tuple[int, int]


def gc_content(seq: str) -> float:
    """Xpresso's ``gcContent``: G+C over the A/C/G/T(/U) letters, 0 when there are none, rounded to 3 decimals."""
    acgt = sum(seq.count(c) for c in "ACGTU")
    return round((seq.count("G") + seq.count("C")) / acgt, 3) if acgt else 0.0


def cds_core(cds: str) -> str:
    """The CDS without its final stop codon: Ensembl's GTF CDS, Xpresso's source, excludes it."""
    return cds[:-3] if cds[-3:] in STOP_CODONS else cds


def raw_features(utr5: str, core: str, utr3: str, exons: Sequence[Span], cds: Sequence[Span]) -> dict[str, float]:
    """The 8 raw features of a transcript: its spliced ``utr5``, ``core`` (:func:`cds_core`) and ``utr3``, and its
    genomic ``exons`` and ``cds`` spans (sorted, merged, 0-based half-open). ``core`` must not be empty."""
    exonic = sum(e - s for s, e in exons)
    return {
        "UTR5LEN": float(len(utr5)),
        "CDSLEN": float(len(core)),
        "INTRONLEN": float(exons[-1][1] - exons[0][0] - exonic),
        "UTR3LEN": float(len(utr3)),
        "UTR5GC": gc_content(utr5),
        "CDSGC": gc_content(core),
        "UTR3GC": gc_content(utr3),
        "ORFEXONDENSITY": len(cds) * 1000 / len(core),
    }


def normalise(raw: Sequence[float], *, stats: Mapping[str, Mapping[str, float]], pseudo: float = 0.1,
              logged: frozenset[str] | set[str] = LOGGED) -> list[float]:
    """Raw features in ``FEATURES`` order → the model's z-scores: log10(x + ``pseudo``) on ``logged``, then
    (v − mean) / sd with ``stats[feature]``, as the training table was built."""
    out = []
    for name, x in zip(FEATURES, raw, strict=True):
        v = math.log10(x + pseudo) if name in logged else float(x)
        out.append((v - stats[name]["mean"]) / stats[name]["sd"])
    return out


def transcript_id(tx: Transcript) -> str:
    """The id ``zoo predict`` gives the same transcript read as a GTF/GFF3 interval (``transcript_id``, else ``ID``,
    without a ``transcript:`` or ``rna-`` prefix), so a feature table matches genome + annotation inputs."""
    name = tx.attributes.get("transcript_id") or tx.id
    return name.removeprefix("transcript:").removeprefix("rna-")


def transcript_rows(annotation: Path, genome: Path) -> Iterator[tuple[str, dict[str, float]]]:
    """``(id, raw features)`` of every coding transcript of a GFF3/GTF whose CDS is one contiguous stretch of its
    exons; the others are left out with one warning.

    Transcripts on contigs the genome lacks are left out with a warning too.

    Raises
    ------
    InputError
        An unreadable annotation or genome, two coding transcripts with the same id, or not one usable transcript.
    """
    from zoo_core.intervals import Genome
    from zoo_core.transcripts import read_transcripts

    gen = Genome(genome)
    seen: set[str] = set()
    skipped: list[str] = []
    elsewhere: set[str] = set()
    n = 0
    for tx in read_transcripts(annotation):
        if not tx.is_coding:
            continue
        rid = transcript_id(tx)
        if rid in seen:
            raise InputError(annotation, "two coding transcripts with this id", record=rid)
        seen.add(rid)
        if gen.contig_length(tx.chrom) is None:
            elsewhere.add(tx.chrom)
            continue
        try:
            utr5, cds, utr3 = tx.regions(gen)
        except InputError:  # a CDS that is not one stretch of the exons (RefSeq's programmed frameshifts)
            skipped.append(rid)
            continue
        core = cds_core(cds)
        if not core:
            skipped.append(rid)
            continue
        n += 1
        yield rid, raw_features(utr5, core, utr3, tx.exons, tx.cds)
    if elsewhere:
        warn(f"{annotation}: transcripts on {len(elsewhere)} contig(s) the genome lacks are left out: "
             f"{', '.join(sorted(elsewhere)[:5])}")
    if skipped:
        warn(f"{annotation}: {len(skipped)} coding transcript(s) left out (CDS not one contiguous stretch of the "
             f"exons, or only a stop codon), e.g. {', '.join(skipped[:3])}")
    if n == 0:
        raise InputError(annotation, f"no coding transcript whose features could be computed from {genome}")


def write_feature_table(annotation: Path, genome: Path, output: Path) -> int:
    """Write ``id`` + the 8 raw features (``FEATURES`` order, tab-separated, ``%.6f`` as the dataset table) of every
    coding transcript; return the number of rows. The file appears only when complete."""
    tmp = output.with_name(f".{output.name}.tmp")
    n = 0
    try:
        with open(tmp, "w") as fh:
            fh.write("\t".join(("id", *FEATURES)) + "\n")
            for rid, raw in transcript_rows(annotation, genome):
                fh.write("\t".join((rid, *(f"{raw[f]:.6f}" for f in FEATURES))) + "\n")
                n += 1
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)
    return n
