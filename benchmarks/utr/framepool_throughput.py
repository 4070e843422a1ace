"""Framepool throughput on this CPU: 5'UTRs per second (zoo predict) and ref/alt pairs per second (zoo vep).

    .venv/bin/python benchmarks/utr/framepool_throughput.py [--n 2000] [--pairs 1000] [--repeats 3] [--threads N]

In-process, after the model is loaded (a long-running job's figure; process start and torch import excluded),
through the user's paths: ``Model.predict`` on a FASTA (reading, checking, one-hot, padding, forward, the
table) and ``Model.score_pairs`` on a pairs TSV (both alleles, three frame shifts). Inputs:

- ``human50``: the first ``--n`` human 50-nt UTRs of the MPRA test set (human_utrs_result.csv.gz);
- ``variable``: ``--n`` UTRs of seeded random lengths 25-1,000 nt, cut from those UTRs laid end to end
  (real sequence content, lengths chosen here to show how the cost grows with length);
- ``pairs``: the 5 bundled Calvo variants (50-271 nt), repeated under distinct ids to ``--pairs`` pairs.

Prints the median of ``--repeats`` runs after a warm-up, for batch sizes 32 (the default) and 256, with the
load average before and after: figures taken while other jobs use the CPU are not comparable. ``--threads``
sets torch's intra-op threads (default: torch's choice, one per core); with other jobs on the machine,
``--threads 1`` avoids oversubscribing the cores and gives the steadier per-core figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
DATA = (ROOT.parent / "shared" / "data" / "published" / "optimus_human_utrs" / "human_utrs_result.csv.gz").resolve()
PAIRS = ROOT / "plugins" / "zoo-framepool" / "src" / "zoo_framepool" / "examples" / "calvo_pairs.tsv"


def write_fasta(path: Path, seqs: list[str]) -> Path:
    with path.open("w") as fh:
        for i, s in enumerate(seqs):
            fh.write(f">utr{i}\n{s}\n")
    return path


def timed(fn: object, repeats: int) -> float:
    fn()  # warm-up: first-call allocations, thread pool start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's choice)")
    args = ap.parse_args(argv)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)

    import zoo

    load_before = os.getloadavg()
    human = pd.read_csv(args.data, nrows=args.n, usecols=["utr"])["utr"].tolist()
    rng = np.random.default_rng(0)
    stream = "".join(pd.read_csv(args.data, nrows=30_000, usecols=["utr"])["utr"])
    lengths = rng.integers(25, 1001, size=args.n)
    starts = rng.integers(0, len(stream) - 1000, size=args.n)
    variable = [stream[s: s + n] for s, n in zip(starts, lengths, strict=True)]
    base = pd.read_csv(PAIRS, sep="\t")
    pairs = pd.concat([base] * (args.pairs // len(base) + 1), ignore_index=True).iloc[: args.pairs]
    pairs["id"] = [f"pair{i}" for i in range(len(pairs))]

    model = zoo.get_model("framepool")
    model.load()
    print(f"framepool throughput, {os.cpu_count()} CPUs, torch {torch.__version__} ({torch.get_num_threads()} threads); "
          f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}")
    print(f"{'input':<42}{'batch':>6}{'records':>9}{'median s':>10}{'per s':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        fastas = {"human50 (50 nt)": write_fasta(Path(tmp) / "human50.fa", human),
                  f"variable (25-1000 nt, mean {lengths.mean():.0f})": write_fasta(Path(tmp) / "variable.fa", variable)}
        pairs_tsv = Path(tmp) / "pairs.tsv"
        pairs[["id", "ref", "alt"]].to_csv(pairs_tsv, sep="\t", index=False)
        for batch in (32, 256):
            for label, fasta in fastas.items():
                s = timed(lambda f=fasta, b=batch: model.predict(f, batch_size=b), args.repeats)
                print(f"{'predict ' + label:<42}{batch:>6}{args.n:>9}{s:>10.2f}{args.n / s:>10.0f}")
            s = timed(lambda b=batch: model.score_pairs(pairs_tsv, batch_size=b), args.repeats)
            print(f"{'vep pairs (Calvo, 50-271 nt)':<42}{batch:>6}{len(pairs):>9}{s:>10.2f}{len(pairs) / s:>10.0f}")
    load_after = os.getloadavg()
    print(f"load average after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
