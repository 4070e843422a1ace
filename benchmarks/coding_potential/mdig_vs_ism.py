"""MDIG against in-silico mutagenesis (ISM) on held-out transcripts: agreement and speed.

    .venv/bin/python benchmarks/coding_potential/mdig_vs_ism.py [--model bioseq2seq] [--n 50] [--max-length 600]
    .venv/bin/python benchmarks/coding_potential/mdig_vs_ism.py --split-dir build/bioseq2seq_v2 --n 50 --long 10

Draws ``--n`` transcripts of the test split (half PC, half NC, seeded; optionally only those of at most
``--max-length`` nt, since ISM's cost grows with the square of the length; ``--long K`` makes K of them, half
PC and half NC, transcripts over 1,200 nt, the original training range's end) and computes, for each, the ISM ΔS of every
single-nucleotide mutation (3 L forward passes of ``logit_diff``) and MDIG's estimate of it (β from the model's
config, 32 steps: 4 × 32 gradient evaluations). ``--positions K`` runs ISM at K positions per transcript, drawn
uniformly without replacement (seeded), and compares the two on those 3 K mutations only: ISM's cost then grows with
L, not L², which is what makes 50 transcripts of up to 1.5 kb fit a shared 2-core CPU. Per transcript it reports
the Pearson r between the two over the mutations (wild-type entries are 0 in both and left out) and the share of
the quarter of mutations with the largest |ΔS| where the signs agree. It prints the median and quartiles of both,
by class, and the ratio of ISM's to MDIG's total wall time in this run (same process, same threads).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from zoo_core.api import get_model
from zoo_core.explain import ism

ROOT = Path(__file__).resolve().parents[2]
LONG = 1200


def quartiles(values: list[float]) -> str:
    q1, q2, q3 = np.quantile(values, [0.25, 0.5, 0.75])
    return f"{q2:.3f} (IQR {q1:.3f}-{q3:.3f})"


def draw(table: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """n rows, half PC and half NC (PC gets the odd one)."""
    return pd.concat([table[table["class"] == c].sample(n // 2 + n % 2 * (c == "PC"), random_state=seed)
                      for c in ("PC", "NC")])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="bioseq2seq")
    ap.add_argument("--split-dir", type=Path, default=ROOT / "build" / "bioseq2seq")
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-length", type=int, help="draw only transcripts of at most this many nt")
    ap.add_argument("--long", type=int, default=0, help=f"how many of the n are over {LONG} nt")
    ap.add_argument("--positions", type=int, help="ISM at this many random positions per transcript (default: all)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    test = pd.read_csv(args.split_dir / "test.tsv", sep="\t", dtype=str, keep_default_na=False)
    if args.max_length:
        test = test[test["rna"].str.len() <= args.max_length]
    is_long = test["rna"].str.len() > LONG
    picked = pd.concat([draw(test[is_long], args.long, args.seed), draw(test[~is_long], args.n - args.long, args.seed)])
    model = get_model(args.model)
    impl = model.load()
    target = "logit_diff"
    rows = []
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        fasta = Path(tmp) / "picked.fa"
        fasta.write_text("".join(f">{i}\n{s}\n" for i, s in zip(picked["id"], picked["rna"], strict=True)))
        for batch, label in zip(model.batches(fasta, batch_size=1), picked["class"], strict=True):
            n = batch.lengths["transcript"][0]
            t0 = time.perf_counter()
            sites = np.arange(n) if not args.positions or args.positions >= n else rng.choice(n, args.positions, replace=False)
            delta = ism(impl, batch.inputs, "transcript", target=target, batch_size=64, lengths=[n],
                        positions=sites.tolist())[0, :n]
            t1 = time.perf_counter()
            estimate = model.explainer("mdig")(impl, batch.inputs, "transcript", target=target)[0, :n]
            t2 = time.perf_counter()
            mutations = batch.inputs["transcript"][0, :n] == 0
            mutations[np.setdiff1d(np.arange(n), sites)] = False
            a, b = estimate[mutations], delta[mutations]
            large = np.abs(b) >= np.quantile(np.abs(b), 0.75)
            rows.append({"id": batch.ids[0], "class": label, "length": n, "ism_positions": len(sites),
                         "pearson_r": float(np.corrcoef(a, b)[0, 1]),
                         "sign_agreement_top_quarter": float((np.sign(a[large]) == np.sign(b[large])).mean()),
                         "ism_s": t1 - t0, "mdig_s": t2 - t1,
                         # ISM's cost is linear in the mutations: the whole-transcript figure, scaled
                         "ism_full_s": (t1 - t0) * n / len(sites)})
            print(f"{len(rows):3d} {batch.ids[0]:<24} {label} {n:5d} nt  r {rows[-1]['pearson_r']:+.3f}  "
                  f"ISM {t1 - t0:6.1f} s  MDIG {t2 - t1:5.1f} s", file=sys.stderr, flush=True)

    df = pd.DataFrame(rows)
    ratio = df["ism_full_s"].sum() / df["mdig_s"].sum()
    print(f"# {args.model}: MDIG (beta {impl.mdig_beta}, 32 steps) vs ISM on {len(df)} test transcripts "
          f"({(df['class'] == 'PC').sum()} PC / {(df['class'] == 'NC').sum()} NC, {df['length'].min()}-"
          f"{df['length'].max()} nt, median {int(df['length'].median())}), seed {args.seed}"
          f"{f', drawn from those of at most {args.max_length} nt' if args.max_length else ''}"
          f"{f'; ISM at {args.positions} random positions per transcript' if args.positions else ''}\n")
    print("| transcripts | median per-transcript Pearson r | sign agreement, quarter of mutations with the largest abs(ΔS) |")
    print("|---|---|---|")
    parts = [("all", df), ("PC", df[df["class"] == "PC"]), ("NC", df[df["class"] == "NC"]),
             (f"over {LONG} nt", df[df["length"] > LONG])]
    for name, part in parts:
        if part.empty:
            continue
        print(f"| {name} ({len(part)}) | {quartiles(part['pearson_r'].tolist())} | "
              f"{quartiles(part['sign_agreement_top_quarter'].tolist())} |")
    scaled = " (scaled up from the sampled positions)" if args.positions else ""
    print(f"\nr > 0 for {(df['pearson_r'] > 0).sum()} of {len(df)} transcripts. Wall time: ISM "
          f"{df['ism_full_s'].sum():.0f} s{scaled}, MDIG {df['mdig_s'].sum():.0f} s: MDIG is {ratio:.1f}x faster "
          f"(median per transcript {statistics.median(df['ism_full_s'] / df['mdig_s']):.1f}x; {os.cpu_count()} CPUs, "
          f"torch threads {torch.get_num_threads()}, load average before {os.getloadavg()[0]:.1f})")
    if args.json:
        args.json.write_text(json.dumps({"model": args.model, "positions": args.positions, "rows": rows,
                                         "speed_ratio": ratio}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
