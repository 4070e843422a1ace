"""APARENT2 throughput on this CPU: 205-nt windows per second (zoo predict) and ref/alt pairs per second (zoo vep).

    .venv/bin/python benchmarks/utr/aparent2_throughput.py [--n 2000] [--pairs 1000] [--repeats 3] [--threads 1]

In-process, after the model is loaded (a long-running job's figure; process start and torch import excluded),
through the user's paths: ``Model.predict`` on a FASTA (reading, checking, one-hot, N → 0.25, forward, the
206-bin table) and ``Model.score_pairs`` on a pairs TSV (both alleles, five scores). Also the bare network
forward on pre-encoded tensors, to show what the zoo path adds. Inputs are real DNA:

- windows: up to ``--n`` AATAAA/ATTAAA hexamers of the bundled hg38 chr22 piece (zoo-xpresso's example,
  300 kb; it holds 861 such windows), on both strands, each cut as a 205-nt window with the hexamer at
  index 70 (minus strand reverse-complemented);
- pairs: ``--pairs`` of those windows, each with one seeded random SNV at index 60-129.

Prints the median of ``--repeats`` runs after a warm-up, for batch sizes 32 (the default) and 256, with the
torch thread count and the load average before and after: figures taken while other jobs use the CPU are
not comparable.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
CHR22 = ROOT / "plugins" / "zoo-xpresso" / "src" / "zoo_xpresso" / "examples" / "chr22_32000000_32300000.fa"
MODEL_ID = "aparent2-resnet"
WINDOW, ANCHOR = 205, 70


def revcomp(s: str) -> str:
    return s.translate(str.maketrans("ACGT", "TGCA"))[::-1]


def pas_windows(n: int) -> list[str]:
    """Up to ``n`` 205-nt windows around the piece's PAS hexamers, + strand first, then −."""
    piece = "".join(line.strip() for line in open(CHR22) if not line.startswith(">")).upper()
    out = []
    for strand, seq in (("+", piece), ("-", revcomp(piece))):
        for m in re.finditer(r"(?=(AATAAA|ATTAAA))", seq):
            s = m.start() - ANCHOR
            if 0 <= s and s + WINDOW <= len(seq):
                out.append(seq[s: s + WINDOW])
            if len(out) == (n + 1) // 2 and strand == "+":
                break
    return out[:n]


def timed(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up: first-call allocations, thread pools
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    import torch

    import zoo
    from zoo_core.encoding import one_hot

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default, one per core)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    windows = pas_windows(args.n)
    rng = np.random.default_rng(args.seed)
    rows = []
    for i in range(args.pairs):
        ref = windows[i % len(windows)]
        pos = int(rng.integers(60, 130))
        alt = ref[:pos] + rng.choice([b for b in "ACGT" if b != ref[pos]]) + ref[pos + 1:]
        rows.append((f"pair{i}", ref, alt))
    model = zoo.get_model(MODEL_ID)
    impl = model.load()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        fasta = Path(tmp) / "windows.fa"
        fasta.write_text("".join(f">w{i}\n{s}\n" for i, s in enumerate(windows)))
        pairs = Path(tmp) / "pairs.tsv"
        pd.DataFrame(rows, columns=["id", "ref", "alt"]).to_csv(pairs, sep="\t", index=False)
        x = torch.from_numpy(np.stack([one_hot(s) for s in windows]))
        lib = torch.zeros(256, 13)
        lib[:, 11] = 1

        def bare(bs: int) -> None:
            with torch.inference_mode():
                for s in range(0, len(x), bs):
                    torch.softmax(impl.network(x[s: s + bs], lib[: len(x[s: s + bs])]), dim=1)

        for bs in (32, 256):
            results.append((f"bare network forward, batch {bs}", len(windows), "windows",
                            timed(lambda bs=bs: bare(bs), args.repeats)))
            results.append((f"Model.predict (FASTA → table), batch {bs}", len(windows), "windows",
                            timed(lambda bs=bs: model.predict(fasta, batch_size=bs), args.repeats)))
            results.append((f"Model.score_pairs (pairs TSV → scores), batch {bs}", len(rows), "pairs",
                            timed(lambda bs=bs: model.score_pairs(pairs, batch_size=bs), args.repeats)))
    load_after = os.getloadavg()
    print(f"{MODEL_ID}: {len(windows)} real hg38 chr22 PAS windows, {len(rows)} SNV pairs; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, {os.cpu_count()} CPUs; median of {args.repeats} after a warm-up")
    print(f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    print("| path | items | seconds | per second |")
    print("|---|---|---|---|")
    for name, n, unit, seconds in results:
        print(f"| {name} | {n} {unit} | {seconds:.2f} | {n / seconds:,.0f} {unit}/s |")


if __name__ == "__main__":
    main()
