"""Variant-effect scoring from VCF (``zoo vep MODEL variants.vcf``): variants → model inputs → scores.

:func:`score_chunk` is the whole job for one chunk of variants, a pure function (variants in, table out) so
that any engine can run chunks in parallel. Within a chunk each distinct input sequence goes through the model
once: the reference input of a feature is predicted once however many variants touch it, and the model's
``allele_values`` of the two sides are paired afterwards (``compare_alleles``).

The table has one row per (variant ALT, feature, declared score), in VCF order; :data:`COLUMNS`. Rows of
variants that cannot be scored carry a ``flag`` and no score; variants that touch no feature are only
counted (:class:`Summary`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from zoo_core.anchors import Feature, FeatureIndex
from zoo_core.errors import InputError, ModelSpecError
from zoo_core.intervals import Genome, Interval
from zoo_core.model import Batch
from zoo_core.seqio import Record
from zoo_core.variants import SKIPPED_KINDS, Variant, open_vcf, read_vcf

if TYPE_CHECKING:
    from zoo_core.api import Model
    from zoo_core.model import ZooModel
    from zoo_core.options import Options

RECORD = "_record"  # the VCF record's ordinal: kept while writing VCF output, dropped from tables
SOURCE = "<variant inputs>"  # how a dataloader's errors name the inputs built from variants
COLUMNS = ["chrom", "pos", "ref", "alt", "id", "gene_id", "transcript_id", "strand", "model", "output",
           "ref_value", "alt_value", "score_name", "score", "flag"]


@dataclass
class Summary:
    """Counts of one run (or chunk); ``+=`` adds another's."""

    records: int = 0
    alleles: int = 0
    outside: int = 0
    scored: int = 0
    flagged: int = 0
    ref_mismatch: int = 0
    skipped_alt: int = 0
    rejected: int = 0
    forward_passes: int = 0
    reasons: list[str] = field(default_factory=list)

    def __iadd__(self, other: Summary) -> Summary:
        for f in fields(self):
            if f.name == "reasons":
                self.reasons += other.reasons[: max(0, 3 - len(self.reasons))]
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    @property
    def passes_per_scored(self) -> float:
        """Inputs run through the model per scored (variant, feature) pair; 1 + (references / pairs)."""
        return self.forward_passes / self.scored if self.scored else math.nan

    def line(self, model: str) -> str:
        parts = [f"{model}: {self.records:,} records, {self.alleles:,} ALT alleles",
                 f"{self.scored:,} (allele, feature) pairs scored", f"{self.outside:,} alleles outside every input"]
        if self.flagged:
            parts.append(f"{self.flagged:,} pairs flagged, not scored (ref_mismatch {self.ref_mismatch:,}, "
                         f"rejected by the model {self.rejected:,})")
        if self.skipped_alt:
            parts.append(f"{self.skipped_alt:,} symbolic, breakend, '*' or '.' ALTs not scored")
        if self.scored:
            parts.append(f"{self.passes_per_scored:.3f} forward passes per scored pair")
        return "; ".join(parts)


@dataclass(eq=False)
class _Pending:
    variant: Variant
    feature: Feature
    flags: list[str]
    ref: int | None = None  # index of the reference input in the chunk's unique inputs
    alt: int | None = None


def score_chunk(model: Model, loaded: ZooModel, variants: list[Variant], index: FeatureIndex, genome: Genome,
                options: tuple[Options | None, Options | None], batch_size: int) -> tuple[pd.DataFrame, Summary]:
    """Score one chunk of variants: the tidy table (:data:`COLUMNS`) and the chunk's :class:`Summary`."""
    summary = Summary(alleles=len(variants))
    pending: list[_Pending] = []
    inputs: dict[tuple[str, str], int] = {}  # (sequence, description) -> unique input index

    def unique(seq: str, desc: str) -> int:
        return inputs.setdefault((seq, desc), len(inputs))

    refs: dict[Feature, int] = {}
    genome_ref: dict[tuple[str, int, str], bool] = {}
    for v in variants:
        if v.kind != "sequence":
            summary.skipped_alt += 1  # counted wherever it lies; rows only where it meets an input
        feats = [f for f in index.overlapping(v.contig, v.start, v.end) if f.touches(v)]
        if not feats:
            summary.outside += 1
            continue
        if v.kind != "sequence":
            pending += [_Pending(v, f, [SKIPPED_KINDS[v.kind]]) for f in feats]
            continue
        key = (v.contig, v.pos, v.ref)
        if key not in genome_ref:
            found, _ = genome.fetch(Interval(v.contig, v.pos - 1, v.pos - 1 + len(v.ref), v.id, "+"), source=genome.path)
            genome_ref[key] = found == v.ref.upper()
        if not genome_ref[key]:
            summary.ref_mismatch += 1
            pending += [_Pending(v, f, ["ref_mismatch"]) for f in feats]
            continue
        for f in feats:
            seq, desc, flags = f.alternative(genome, v)
            p = _Pending(v, f, flags)
            if seq is not None:
                if f not in refs:
                    refs[f] = unique(*f.reference(genome))
                p.ref, p.alt = refs[f], unique(seq, desc)
            pending.append(p)

    values, rejected = _allele_values(model, loaded, list(inputs), options, batch_size, summary)
    summary.forward_passes = len(inputs) - len(rejected)
    scorable = [p for p in pending if p.ref is not None and p.ref not in rejected and p.alt not in rejected]
    for p in pending:
        if p.ref is not None and (p.ref in rejected or p.alt in rejected):
            p.flags.append("rejected")
            summary.rejected += 1
    scores: dict[str, np.ndarray] = {}
    if scorable:
        ref_idx = np.array([p.ref for p in scorable])
        alt_idx = np.array([p.alt for p in scorable])
        ref_vals = {k: v[ref_idx] for k, v in values.items()}
        alt_vals = {k: v[alt_idx] for k, v in values.items()}
        scores = dict(loaded.compare_alleles(ref_vals, alt_vals, options[1]))
        missing = [s.name for s in model.info.pair_scores if s.name not in scores]
        if missing:
            raise ModelSpecError(model.name, "variant_scores", f"compare_alleles returned no {missing[0]!r}")
    summary.scored = len(scorable)
    summary.flagged = len(pending) - len(scorable)
    return _table(model, pending, scorable, values, scores), summary


def _allele_values(model: Model, loaded: ZooModel, inputs: list[tuple[str, str]],
                   options: tuple[Options | None, Options | None], batch_size: int,
                   summary: Summary) -> tuple[dict[str, np.ndarray], set[int]]:
    """``allele_values`` of every unique input, stacked by input index, and the inputs the model's dataloader
    refused (a CDS whose length is no multiple of 3, a stop codon inside it, …)."""
    from zoo_core.dataloaders import InlineRecords

    if not inputs:
        return {}, set()
    records = [Record(str(i), seq, desc) for i, (seq, desc) in enumerate(inputs)]
    rejected: set[int] = set()

    def batches() -> Iterator[Batch]:
        """One batch at a time (a chunk's one-hot inputs would not fit in memory at once); a group the dataloader
        refuses is retried record by record, to find the refused ones and score the rest."""
        for start in range(0, len(records), batch_size):
            group = records[start: start + batch_size]
            try:
                yield from list(model._batches([InlineRecords(SOURCE, group)], batch_size, None, options[0]))
            except InputError:
                for rec in group:
                    try:
                        yield from list(model._batches([InlineRecords(SOURCE, [rec])], 1, None, options[0]))
                    except InputError as e:
                        rejected.add(int(rec.id))
                        if len(summary.reasons) < 3:
                            summary.reasons.append(str(e).replace(f"{SOURCE}: ", ""))

    out: dict[str, np.ndarray] = {}
    for batch in batches():
        vals = loaded.allele_values(batch, options[1])
        rows = np.array([int(i) for i in batch.ids])
        for k, v in vals.items():
            arr = np.asarray(v)
            if k not in out:
                out[k] = np.full((len(inputs), *arr.shape[1:]), np.nan, np.float64 if arr.dtype.kind in "fiub" else object)
            out[k][rows] = arr
    return out, rejected


def _table(model: Model, pending: list[_Pending], scorable: list[_Pending], values: dict[str, np.ndarray],
           scores: dict[str, np.ndarray]) -> pd.DataFrame:
    declared = [s for s in model.info.pair_scores if s.function not in ("ref", "alt")]
    position = {id(p): k for k, p in enumerate(scorable)}
    rows: list[tuple[Any, ...]] = []
    for p in pending:
        v, f, k = p.variant, p.feature, position.get(id(p))
        flag = ",".join(p.flags)
        for s in declared:
            ref_value = alt_value = score = math.nan
            if k is not None:
                score = float(scores[s.name][k])
                if s.output in values and values[s.output].ndim == 1:
                    ref_value = float(values[s.output][p.ref])
                    alt_value = float(values[s.output][p.alt])
            rows.append((v.chrom, v.pos, v.ref, v.alt, v.id, f.gene_id, f.transcript_id, f.strand, model.name,
                         s.output or "", ref_value, alt_value, s.name, score, flag, v.record))
    df = pd.DataFrame(rows, columns=[*COLUMNS, RECORD])
    return df.astype({"pos": "int64", "ref_value": "float64", "alt_value": "float64", "score": "float64"})


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"K/N"`` → (K, N), 1 ≤ K ≤ N.

    Raises
    ------
    InputError
        Anything else.
    """
    if text is None:
        return None
    k, sep, n = text.partition("/")
    if not (sep and k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise InputError("--shard", f"{text!r} is not K/N with 1 <= K <= N, e.g. 1/8")
    return int(k), int(n)


class VepContext:
    """What every chunk of a run shares: the loaded model, its options, the genome and the features of the
    annotation. Built once per run, or once per worker of a distributed run."""

    def __init__(self, model: Model, *, genome: str | Path, annotation: str | Path, batch_size: int = 32,
                 device: str | None = None, **options: Any) -> None:
        from zoo_core.anchors import features

        if batch_size < 1:
            raise InputError("<options>", "batch_size must be at least 1")
        self.model, self.batch_size = model, batch_size
        self.genome = Genome(genome)
        self.options = model.validate_options(**options)
        self.loaded = model.load(device=device)
        self.index = FeatureIndex(features(model.info, annotation, self.genome))
        if self.index.size == 0:
            raise InputError(annotation, f"no feature for model {model.name}'s anchor ({model.info.vep.anchor})"  # type: ignore[union-attr]
                             " on a contig of the genome")


class VepRun:
    """A streaming ``zoo vep`` run: iterate for the table chunk by chunk; :attr:`summary` fills as it goes;
    :attr:`records` holds each chunk's VCF records when ``keep_records`` (for VCF output).

    ``shard=(k, n)`` keeps the chunks of ``chunk_size`` records whose ordinal is k−1 modulo n, so a shard's chunks are
    the whole run's chunks and its scores are the same to the bit."""

    def __init__(self, context: VepContext, vcf: str | Path, *, shard: str | tuple[int, int] | None = None,
                 chunk_size: int = 5000, keep_records: bool = False) -> None:
        if chunk_size < 1:
            raise InputError("<options>", "chunk_size must be at least 1")
        self.context, self.model = context, context.model
        self.vcf = vcf
        self.shard = parse_shard(shard) if isinstance(shard, str) or shard is None else shard
        self.chunk_size, self.keep_records = chunk_size, keep_records
        self.summary = Summary()
        self.records: list[Any] = []
        self.ordinals: list[int] = []
        self.reader = open_vcf(vcf)

    @property
    def info_id(self) -> str:
        """The INFO field of VCF output: ZOO_ and the model id in upper case, e.g. ZOO_XPRESSO_HUMAN_MEDIAN."""
        return "ZOO_" + re.sub(r"[^A-Za-z0-9]", "_", self.model.name).upper()

    def add_info_header(self) -> None:
        """Declare :attr:`info_id` in the reader's header (before iterating), for :func:`write_vcf`."""
        scores = [s for s in self.model.info.pair_scores if s.function not in ("ref", "alt")]
        names = [s.name for s in scores]
        for s in scores:  # each field of the entry defined in the header, not only named
            doc = " ".join(f"{s.doc} ({s.unit})".split())  # one header line
            self.reader.add_to_header(f"##{self.info_id}_{s.name}={doc}")
        self.reader.add_to_header(f"##{self.info_id}_flag=empty, or flags joined by &: ref_mismatch, symbolic_alt, "
                                  "breakend_alt, spanning_deletion, missing_alt, invalid_alt, exon_boundary, "
                                  "cds_boundary, frameshift, rejected (see zoo vep --help)")
        self.reader.add_info_to_header({
            "ID": self.info_id, "Number": ".", "Type": "String",
            "Description": f"zoo vep {self.model.name} {self.model.info.version}, one entry per ALT allele and "
                          f"model input it changes. Format: ALLELE|gene_id|transcript_id|strand|{'|'.join(names)}|flag "
                          f"(scores: zoo info {self.model.name}; flags joined by &)"})

    def __iter__(self) -> Iterator[pd.DataFrame]:
        wrote = False
        c = self.context
        for chunk in read_vcf(self.vcf, c.genome, chunk_size=self.chunk_size, shard=self.shard,
                              keep_records=self.keep_records, reader=self.reader):
            table, counts = score_chunk(self.model, c.loaded, chunk.variants, c.index, c.genome, c.options, c.batch_size)
            counts.records = chunk.n_records
            self.summary += counts
            self.records, self.ordinals = chunk.records, chunk.ordinals
            if not self.keep_records:
                table = table.drop(columns=RECORD)
                if table.empty:  # a chunk wholly outside every input: nothing to write (its columns lack dtypes)
                    continue
                wrote = True
            yield table
        if not self.keep_records and not wrote:
            yield _table(self.model, [], [], {}, {}).drop(columns=RECORD)  # the columns, for an empty table


def write_vcf(path: str | Path, run: VepRun, progress: Any = None) -> int:
    """Write the input VCF with one INFO field (:attr:`VepRun.info_id`) per record whose ALTs change a model
    input, SpliceAI-style: ``ALLELE|gene_id|transcript_id|strand|score…|flag`` per (ALT, feature), comma-joined.
    Every record is written (those of the shard, with ``--shard``); bgzip when ``path`` ends in .gz. Atomic.

    Returns the number of records written.
    """
    from cyvcf2 import Writer

    from zoo_core.output import atomic_path

    run.keep_records = True
    run.add_info_header()
    n = 0
    with atomic_path(path) as (tmp, _):
        writer = Writer(str(tmp), run.reader, mode="wz" if str(path).endswith(".gz") else "w")
        try:
            tables = run if progress is None else progress(run)
            for table in tables:
                entries: dict[int, list[str]] = {}
                for key, rows in table.groupby([RECORD, "alt", "gene_id", "transcript_id", "strand"], sort=False):
                    record, alt, gene, tid, strand = key  # type: ignore[misc]
                    scores = "|".join("" if np.isnan(x) else f"{x:.6g}" for x in rows["score"])
                    flag = rows["flag"].iloc[0].replace(",", "&")
                    fields_ = [_info_text(str(x)) for x in (alt, gene, tid, strand)]
                    entries.setdefault(int(record), []).append("|".join([*fields_, scores, flag]))
                for rec, ordinal in zip(run.records, run.ordinals, strict=True):
                    if ordinal in entries:
                        rec.INFO[run.info_id] = ",".join(entries[ordinal])
                    writer.write_record(rec)
                    n += 1
        finally:
            writer.close()
    return n


def _info_text(text: str) -> str:
    """A value safe inside a VCF INFO list (no separator characters)."""
    return re.sub(r"[,;=|\s]", "_", text)
