"""Homology-aware dataset splits: mmseqs2 protein links, transitive clusters, whole clusters per split, a leak check.

The rule (issue 14, first built in ``plugins/zoo-perceiver/scripts/build_dataset.py``, made general here for issue 17):

* proteins are searched all against all with mmseqs2, twice: with the k-mer prefilter at sensitivity 7.5, and with
  ``--exhaustive-search`` (no prefilter); each finds links the other misses;
* a hit at E ≤ 0.01 with ≥ 30 % identity (``fident``) that covers ≥ 50 % of *either* sequence links two ids;
* clusters are the connected components of the links (transitive: A~B and B~C put A, B and C together);
* whole clusters go to test, then valid, in a seeded random order, each while it still fits its split's share of the
  ids; every other cluster (the large families among them) goes to train.

:func:`cross_split_hits` re-searches the held-out proteins against train and returns the pairs that break the rule,
so a committed split can be checked without recomputing it::

    from zoo_dev.homology import homology_split, cross_split_hits
    result = homology_split(proteins)                    # {id: protein} → split, clusters, links
    assert not cross_split_hits(result.split, proteins)

mmseqs2 is the Debian/Ubuntu package ``mmseqs2`` (or a static binary from the mmseqs2 releases) and must be on PATH.
Its output can change between versions, which is why plugins commit the resulting id lists.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np

MIN_IDENTITY = 0.3
MIN_COVERAGE = 0.5
EVALUE = 1e-2  # lenient on purpose: a re-check at 1e-3 must find nothing new
SENSITIVITY = 7.5
MAX_SEQS = 1000
FRACTIONS = {"test": 0.1, "valid": 0.1}  # the rest is train
SEED = 0


class HomologySplit(NamedTuple):
    """What :func:`homology_split` returns: ``split`` ``{id: name}``, ``clusters`` ``{id: smallest id of its
    cluster}`` and the linking ``pairs``."""

    split: dict[str, str]
    clusters: dict[str, str]
    pairs: set[tuple[str, str]]


def mmseqs_available() -> bool:
    """Whether an ``mmseqs`` executable is on PATH."""
    return shutil.which("mmseqs") is not None


def _write_fasta(path: Path, proteins: Mapping[str, str]) -> None:
    path.write_text("".join(f">{k}\n{proteins[k]}\n" for k in sorted(proteins)))


def homolog_pairs(proteins: Mapping[str, str], *, query: Mapping[str, str] | None = None, exhaustive: bool = False,
                  evalue: float = EVALUE, min_identity: float = MIN_IDENTITY, min_coverage: float = MIN_COVERAGE,
                  sensitivity: float = SENSITIVITY, max_seqs: int = MAX_SEQS, threads: int = 1,
                  workdir: str | Path | None = None) -> set[tuple[str, str]]:
    """Pairs ``(query id, target id)``, ids different, with one mmseqs2 ``easy-search`` hit that links them.

    Parameters
    ----------
    proteins: dict[str, str]
        The target set, ``{id: amino-acid sequence}`` (no ``*``). Ids must not contain whitespace.
    query: dict[str, str], optional
        The query set. Default is ``proteins`` itself (all against all).
    exhaustive: bool
        Add ``--exhaustive-search`` (no k-mer prefilter; slower, finds links the prefilter misses). Default is False.
    evalue, min_identity, min_coverage: float
        A hit links its pair when E ≤ ``evalue``, identity (``fident``) ≥ ``min_identity`` and coverage of the query
        or of the target ≥ ``min_coverage``. Defaults are 0.01, 0.3 and 0.5.
    sensitivity, max_seqs, threads: mmseqs2's ``-s``, ``--max-seqs`` and ``--threads``. Defaults 7.5, 1000, 1.
    workdir: Path, optional
        Where the FASTA files, hits and mmseqs2 temporary files go (kept). Default is a temporary folder, removed.

    Raises
    ------
    FileNotFoundError
        mmseqs2 is not on PATH.
    subprocess.CalledProcessError
        mmseqs2 failed.
    """
    if not mmseqs_available():
        raise FileNotFoundError("mmseqs2 is not on PATH (Debian package `mmseqs2`)")
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="zoo_mmseqs_") as tmp:
            return homolog_pairs(proteins, query=query, exhaustive=exhaustive, evalue=evalue, min_identity=min_identity,
                                 min_coverage=min_coverage, sensitivity=sensitivity, max_seqs=max_seqs,
                                 threads=threads, workdir=tmp)
    if not proteins or (query is not None and not query):
        return set()
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    target_fa, query_fa, hits = work / "target.fa", work / "query.fa", work / "hits.tsv"
    _write_fasta(target_fa, proteins)
    if query is not None:
        _write_fasta(query_fa, query)
    cmd = ["mmseqs", "easy-search", str(query_fa if query is not None else target_fa), str(target_fa), str(hits),
           str(work / "tmp"), "--format-output", "query,target,fident,qcov,tcov", "-s", str(sensitivity),
           "--max-seqs", str(max_seqs), "--min-seq-id", str(min_identity), "-e", str(evalue),
           "--threads", str(threads), "-v", "1"]
    if exhaustive:
        cmd.append("--exhaustive-search")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    pairs = set()
    for line in hits.read_text().splitlines():
        q, t, fident, qcov, tcov = line.split("\t")
        if q != t and float(fident) >= min_identity and max(float(qcov), float(tcov)) >= min_coverage:
            pairs.add((q, t))
    return pairs


def homology_links(proteins: Mapping[str, str], *, threads: int = 1, evalue: float = EVALUE,
                   workdir: str | Path | None = None) -> set[tuple[str, str]]:
    """Every linking pair of an all-against-all search: the k-mer-prefiltered search and the exhaustive one, united.

    ``proteins``: ``{id: amino-acid sequence}``. Each pair is ``(query id, target id)``; a link may appear in both
    orders. ``workdir`` as in :func:`homolog_pairs` (two subfolders, ``kmer`` and ``exhaustive``).

    Raises
    ------
    FileNotFoundError
        mmseqs2 is not on PATH.
    """
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="zoo_mmseqs_") as tmp:
            return homology_links(proteins, threads=threads, evalue=evalue, workdir=tmp)
    work = Path(workdir)
    pairs = homolog_pairs(proteins, evalue=evalue, threads=threads, workdir=work / "kmer")
    return pairs | homolog_pairs(proteins, exhaustive=True, evalue=evalue, threads=threads, workdir=work / "exhaustive")


def clusters_of(ids: Iterable[str], pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Connected components of ``pairs`` over ``ids`` (union–find): ``{id: smallest id of its component}``.

    Every id is in the result (a singleton is its own cluster); pairs naming an id outside ``ids`` are ignored.
    """
    parent = {i: i for i in ids}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in sorted(pairs):
        if a in parent and b in parent:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return {i: root(i) for i in parent}


def assign_clusters(clusters: Mapping[str, str], fractions: Mapping[str, float] = FRACTIONS,
                    seed: int = SEED) -> dict[str, str]:
    """``{id: split}`` keeping clusters whole.

    The clusters (named by their representative, sorted) are visited in the order of
    ``numpy.random.default_rng(seed).permutation``. Each goes to the first split of ``fractions`` (in its order;
    default test, then valid) whose share, ``round(fraction * number of ids)``, it still fits into; otherwise to
    ``"train"``. So families larger than the remaining room of every held-out split always land in train.
    """
    by_rep: dict[str, list[str]] = defaultdict(list)
    for rid, rep in clusters.items():
        by_rep[rep].append(rid)
    reps = sorted(by_rep)
    target = {s: round(f * len(clusters)) for s, f in fractions.items()}
    filled: Counter[str] = Counter()
    split: dict[str, str] = {}
    for i in np.random.default_rng(seed).permutation(len(reps)):
        members = sorted(by_rep[reps[i]])
        name = next((s for s in fractions if filled[s] + len(members) <= target[s]), "train")
        filled[name] += len(members)
        split.update(dict.fromkeys(members, name))
    return split


def homology_split(proteins: Mapping[str, str], *, fractions: Mapping[str, float] = FRACTIONS, seed: int = SEED,
                   threads: int = 1, workdir: str | Path | None = None) -> HomologySplit:
    """The whole rule: :func:`homology_links`, :func:`clusters_of`, :func:`assign_clusters` (80/10/10 by default).

    Raises
    ------
    FileNotFoundError
        mmseqs2 is not on PATH.
    """
    pairs = homology_links(proteins, threads=threads, workdir=workdir)
    clusters = clusters_of(sorted(proteins), pairs)
    return HomologySplit(assign_clusters(clusters, fractions, seed), clusters, pairs)


def cross_split_hits(split: Mapping[str, str], proteins: Mapping[str, str], *, train: str = "train",
                     exhaustive: bool = True, evalue: float | None = None, threads: int = 1,
                     workdir: str | Path | None = None) -> list[tuple[str, str]]:
    """Held-out proteins with a linking hit in train: sorted ``(held-out id, train id)`` pairs; empty when the split
    is clean.

    The ids of ``split`` that are not ``train`` (valid and test) are searched against those that are, in either
    direction's coverage, with the identity and coverage thresholds of :func:`homolog_pairs`. The train proteins are
    the queries and the (smaller) held-out set the target database, which keeps the search fast; ``exhaustive``
    (default True) skips the k-mer prefilter, and is the faster of the two at this size.

    mmseqs2 E-values grow with the target database, so a hit is scored against a smaller database here than in the
    all-against-all search that built the split. ``evalue`` None (the default) scales :data:`EVALUE` by the held-out
    share of the residues, which puts the check on the build's footing: a pair that the build did not link (E above
    0.01 against every protein) is not reported because the held-out database alone is smaller.

    Raises
    ------
    FileNotFoundError
        mmseqs2 is not on PATH.
    """
    held_out = {k: proteins[k] for k, s in split.items() if s != train and k in proteins}
    trained = {k: proteins[k] for k, s in split.items() if s == train and k in proteins}
    if evalue is None:
        residues = sum(map(len, held_out.values())) + sum(map(len, trained.values()))
        evalue = EVALUE * sum(map(len, held_out.values())) / max(residues, 1)
    pairs = homolog_pairs(held_out, query=trained, exhaustive=exhaustive, evalue=evalue, threads=threads,
                          workdir=workdir)
    return sorted({(h, t) for t, h in pairs})
