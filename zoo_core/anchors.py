"""Model inputs around variants: the *anchor* a model declares in model.yaml (``vep.anchor``).

Every anchor turns an annotation into *features*, each a set of genomic spans (plus strand, 0-based
half-open) that make up one model input, and builds that input for the reference genome and for a variant:

- ``window``: the first sequence input's fixed length, placed with its anchor index on the 5' end of each
  BED interval or GTF/GFF3 transcript (a TSS; a PAS hexamer). An indel keeps the length: after a
  deletion the window takes more flank, after an insertion it drops some, always on the side away from the
  anchor (a variant upstream of the anchor in genome order moves the window's left edge, any other its right).
- ``utr5``: the spliced 5'UTR of each coding transcript; an indel changes its length.
- ``transcript`` / ``coding_transcript``: the spliced transcript (all, or coding only), 5'→3'. A coding one
  carries ``cds=START-END`` (1-based, on the transcript) in its record description; an indel in the 5'UTR
  moves the CDS, one inside it changes its length.

Rules for a variant (trimmed to the bases it changes, :mod:`zoo_core.variants`):

- it *touches* a feature when it changes a base of a span; an insertion when both bases around it lie in the
  same span (an insertion exactly at an exon edge or a window edge is outside);
- ``exon_boundary``: it changes bases in a span and outside it (across a splice site); not scored;
- ``cds_boundary``: a change across the start codon's first base (``utr5``), or across either end of the
  CDS (transcripts): not scored for ``utr5``; for transcripts the input is built without a ``cds=`` mark;
- ``frameshift``: an indel inside the CDS whose length is not a multiple of 3 (transcripts); scored.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from zoo_core.errors import InputError, warn
from zoo_core.intervals import BED_SUFFIXES, Genome, Interval, read_intervals
from zoo_core.seqio import reverse_complement
from zoo_core.spec import ModelSpec
from zoo_core.transcripts import read_transcripts
from zoo_core.variants import ContigNames, Variant

Span = tuple[int, int]


@dataclass(frozen=True)
class Feature:
    """One model input in the genome: ``spans`` (sorted, plus strand) read 5'→3' on ``strand``.

    ``anchor`` is the genomic position of a window's anchor; ``cds`` the CDS as a half-open range of the
    plus-strand spliced sequence (transcripts); ``cds_edge`` the genomic position of the first base of the start
    codon's side of a 5'UTR (``utr5``: where the UTR meets the CDS).
    """

    kind: str
    gene_id: str
    transcript_id: str
    contig: str
    strand: str
    spans: tuple[Span, ...]
    anchor: int | None = None
    cds: Span | None = None
    cds_edge: int | None = None

    @property
    def lo(self) -> int:
        return self.spans[0][0]

    @property
    def hi(self) -> int:
        return self.spans[-1][1]

    def touches(self, v: Variant) -> bool:
        """Whether the variant changes this input (see the module docstring)."""
        if v.start == v.end:  # insertion between start-1 and start
            return any(s < v.start < e for s, e in self.spans)
        return any(v.start < e and v.end > s for s, e in self.spans)

    def reference(self, genome: Genome) -> tuple[str, str]:
        """The reference input and its record description (``cds=START-END`` for coding transcripts)."""
        plus = self._plus(genome)
        return self._oriented(plus, self.cds)

    def alternative(self, genome: Genome, v: Variant) -> tuple[str | None, str, list[str]]:
        """The input with the variant, its description, and flags; ``None`` when the variant cannot be scored
        on this input (the flags say why)."""
        if self.kind == "window":
            return self._window(genome, v), "", []
        if self.cds_edge is not None and v.start < self.cds_edge < v.end:
            return None, "", ["cds_boundary"]
        offset, hit = 0, None
        for s, e in self.spans:
            if (s < v.start < e) if v.start == v.end else (s <= v.start and v.end <= e):
                hit = s
                break
            offset += e - s
        if hit is None:
            return None, "", ["exon_boundary"]
        vs = offset + v.start - hit
        ve = vs + v.end - v.start
        plus = self._plus(genome)
        seq = plus[:vs] + v.insert + plus[ve:]
        flags: list[str] = []
        cds = self.cds
        if cds is not None:
            cs, ce = cds
            before = vs <= cs if vs == ve else ve <= cs  # in plus-strand order: an insertion at the edge is outside
            if before:
                cds = (cs + v.delta, ce + v.delta)
            elif vs >= ce:
                pass
            elif cs <= vs and ve <= ce:
                cds = (cs, ce + v.delta)
                if v.delta % 3:
                    flags.append("frameshift")
            else:
                cds = None
                flags.append("cds_boundary")
        out, desc = self._oriented(seq, cds)
        return out, desc, flags

    def _plus(self, genome: Genome) -> str:
        span, _ = genome.fetch(Interval(self.contig, self.lo, self.hi, self.transcript_id or self.gene_id, "+"),
                               source=genome.path)
        if len(self.spans) == 1:
            return span
        return "".join(span[s - self.lo: e - self.lo] for s, e in self.spans)

    def _oriented(self, plus: str, cds: Span | None) -> tuple[str, str]:
        seq = reverse_complement(plus) if self.strand == "-" else plus
        if cds is None:
            return seq, ""
        cs, ce = cds
        if self.strand == "-":
            cs, ce = len(plus) - ce, len(plus) - cs
        return seq, f"cds={cs + 1}-{ce}"

    def _window(self, genome: Genome, v: Variant) -> str:
        length = self.hi - self.lo
        pad = (v.end - v.start) + 1  # enough flank to refill what a deletion removes
        lo = self.lo - pad
        padded, _ = genome.fetch(Interval(self.contig, lo, self.hi + pad, self.gene_id, "+"), source=genome.path)
        s, e = v.start - lo, v.end - lo
        seq = padded[:s] + v.insert + padded[e:]
        assert self.anchor is not None
        upstream = v.end <= self.anchor if v.start != v.end else v.start <= self.anchor
        if upstream:  # the side away from the anchor is the left: keep the right edge where it was
            right = self.hi - lo + v.delta
            window = seq[right - length: right]
        else:
            left = self.lo - lo
            window = seq[left: left + length]
        return reverse_complement(window) if self.strand == "-" else window


def features(spec: ModelSpec, annotation: str | Path, genome: Genome) -> Iterator[Feature]:
    """The features of ``annotation`` (BED, or GTF/GFF3, plain or gzip) for the anchor ``spec`` declares.

    Raises
    ------
    InputError
        The model declares no anchor, a BED is given for a transcript anchor, or the annotation is malformed.
    """
    if spec.vep is None:
        raise InputError("<model>", f"model {spec.name} declares no vep anchor in its model.yaml, so it cannot score "
                                    f"a VCF; give ref/alt sequences with --pairs")
    anchor = spec.vep.anchor
    path = Path(annotation)
    names = ContigNames(genome)
    missing: set[str] = set()
    is_bed = path.name.lower().endswith(BED_SUFFIXES)
    if anchor == "window":
        seq = spec.sequence_input
        assert seq.length is not None and seq.anchor is not None  # checked when model.yaml is read
        length, index = seq.length, seq.anchor.index
        if is_bed:
            sites = ((iv, iv.name, "") for iv in read_intervals(path))
        else:
            sites = ((Interval(t.chrom, t.exons[0][0], t.exons[-1][1], t.id, t.strand), t.gene, t.id)
                     for t in read_transcripts(path))
        for iv, gene, tid in sites:
            contig = names(iv.chrom)
            if contig is None:
                missing.add(iv.chrom)
                continue
            win = iv.anchored_window(length, index)
            at = win.start + index if win.strand != "-" else win.end - 1 - index
            yield Feature("window", gene, tid, contig, win.strand, ((win.start, win.end),), anchor=at)
    else:
        if is_bed:
            raise InputError(path, f"model {spec.name} reads spliced transcripts ({anchor}): give a GTF/GFF3, not a BED")
        for t in read_transcripts(path):
            contig = names(t.chrom)
            if contig is None:
                missing.add(t.chrom)
                continue
            f = _transcript_feature(anchor, t.gene, t.id, contig, t.strand, t.exons, t.cds)
            if f is not None:
                yield f
    if missing:
        warn(f"{path}: features on {len(missing)} contig(s) the genome lacks are ignored: {', '.join(sorted(missing)[:5])}")


def _transcript_feature(anchor: str, gene: str, tid: str, contig: str, strand: str, exons: tuple[Span, ...],
                        cds_spans: tuple[Span, ...]) -> Feature | None:
    if anchor == "utr5":
        if not cds_spans:
            return None
        if strand == "-":
            edge = cds_spans[-1][1]
            spans = tuple((max(s, edge), e) for s, e in exons if e > edge)
            return Feature("utr5", gene, tid, contig, strand, spans, cds_edge=edge) if spans else None
        edge = cds_spans[0][0]
        spans = tuple((s, min(e, edge)) for s, e in exons if s < edge)
        return Feature("utr5", gene, tid, contig, strand, spans, cds_edge=edge) if spans else None
    if anchor == "coding_transcript" and not cds_spans:
        return None
    cds = None
    if cds_spans:
        cs, ce = _spliced(exons, cds_spans[0][0]), _spliced(exons, cds_spans[-1][1] - 1)
        if cs is not None and ce is not None and ce + 1 - cs == sum(e - s for s, e in cds_spans):
            cds = (cs, ce + 1)
        elif anchor == "coding_transcript":
            return None  # a CDS that is not one stretch of the exons (programmed frameshift): no valid input
    return Feature(anchor, gene, tid, contig, strand, exons, cds=cds)


def _spliced(exons: tuple[Span, ...], pos: int) -> int | None:
    offset = 0
    for s, e in exons:
        if s <= pos < e:
            return offset + pos - s
        offset += e - s
    return None


class FeatureIndex:
    """Features by contig, for finding those a variant touches."""

    def __init__(self, feats: Iterator[Feature]) -> None:
        by_contig: dict[str, list[Feature]] = {}
        for f in feats:
            by_contig.setdefault(f.contig, []).append(f)
        self._feats = {c: sorted(fs, key=lambda f: (f.lo, f.hi)) for c, fs in by_contig.items()}
        self._starts = {c: [f.lo for f in fs] for c, fs in self._feats.items()}
        self._longest = {c: max(f.hi - f.lo for f in fs) for c, fs in self._feats.items()}
        self.size = sum(len(fs) for fs in self._feats.values())

    def overlapping(self, contig: str, start: int, end: int) -> list[Feature]:
        """Features whose extent meets [start - 1, end + 1) (a superset; :meth:`Feature.touches` decides)."""
        feats = self._feats.get(contig)
        if not feats:
            return []
        starts = self._starts[contig]
        lo = bisect.bisect_left(starts, start - 1 - self._longest[contig])
        hi = bisect.bisect_right(starts, end + 1)
        return [f for f in feats[lo:hi] if f.lo <= end and f.hi >= start]
