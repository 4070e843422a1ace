"""Prediction throughput of zoo coding-potential models next to CPC2's, on real transcripts.

    .venv/bin/python benchmarks/coding_potential/throughput.py [--n 1000] [--zoo-model bioseq2seq] [--repeats 3] \
        [--precision float32 --precision bfloat16] [--group-ratio 0.5 --group-ratio 0.8]

Draws ``--n`` transcripts (seeded) from the zoo-bioseq2seq split tables (train, validation and test: real
human, mouse and Arabidopsis RNAs of 200-1200 nt) and times, on the same FASTA, each tool's whole command
line as a user runs it (process start, imports and weight loading included): ``cpc2 -i … -o …`` and
``zoo predict MODEL … -o …``. For zoo it also times ``Model.predict`` in-process after loading, which is the
figure for a long-running job. Median of ``--repeats`` runs; transcripts per second = n / seconds.
``--precision`` (repeatable) adds command-line and in-process rows per arithmetic; ``--group-ratio`` (repeatable)
re-times the in-process rows with ``zoo_bioseq2seq.model.GROUP_LENGTH_RATIO`` set to each value (0.5 was the
grouping before issue 16), so that a speed-up is a ratio measured in one run, on one machine, at one load.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import run_cpc2, run_timed, write_fasta

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--split-dir", type=Path, default=ROOT / "build" / "bioseq2seq")
    ap.add_argument("--peers-dir", type=Path, default=ROOT / "build" / "peers")
    ap.add_argument("--zoo-model", action="append", default=[], metavar="NAME")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--precision", action="append", default=[], choices=["float32", "bfloat16"])
    ap.add_argument("--group-ratio", action="append", default=[], type=float)
    args = ap.parse_args(argv)
    load = os.getloadavg()[0]

    tables = [pd.read_csv(args.split_dir / f"{s}.tsv", sep="\t", dtype=str, keep_default_na=False)
              for s in ("train", "valid", "test")]
    picked = pd.concat(tables).sample(args.n, random_state=args.seed)
    work = args.peers_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    fasta = write_fasta(work / f"throughput_{args.n}.fa", list(zip(picked["id"], picked["rna"], strict=True)))
    nt = picked["rna"].str.len()
    rows = []
    _, seconds = run_cpc2(args.peers_dir / "cpc2" / "bin", fasta, work, args.repeats)
    rows.append(("CPC2 (command line)", seconds))
    zoo_bin = Path(sys.executable).with_name("zoo")
    precisions = args.precision or ["float32"]
    for name in args.zoo_model or ["bioseq2seq"]:
        for precision in precisions:
            extra = [] if precision == "float32" else ["--precision", precision]
            seconds = run_timed([zoo_bin, "predict", name, fasta, "-o", work / "zoo_out.tsv", "-q", *extra], cwd=work,
                                repeats=args.repeats)
            rows.append((f"zoo predict {name} {' '.join(extra)} (command line)".replace("  ", " "), seconds))
        import zoo
        import zoo_bioseq2seq.model as impl

        model = zoo.get_model(name)
        model.load()
        default_ratio = impl.GROUP_LENGTH_RATIO
        for ratio in args.group_ratio or [default_ratio]:
            impl.GROUP_LENGTH_RATIO = ratio
            for precision in precisions:
                times = []
                for _ in range(args.repeats):
                    t0 = time.perf_counter()
                    model.predict(fasta, precision=precision)
                    times.append(time.perf_counter() - t0)
                rows.append((f"zoo {name}: Model.predict, loaded, {precision}, group ratio {ratio:g}",
                             sorted(times)[len(times) // 2]))
        impl.GROUP_LENGTH_RATIO = default_ratio

    import torch

    print(f"# {args.n} real transcripts ({nt.sum():,} nt, {nt.min()}-{nt.max()} nt, median {int(nt.median())}), "
          f"seed {args.seed}; median of {args.repeats} runs\n")
    print("| tool | seconds | transcripts/s |\n|---|---|---|")
    for tool, seconds in rows:
        print(f"| {tool} | {seconds:.1f} | {args.n / seconds:.1f} |")
    print(f"\n({os.cpu_count()} CPUs; torch threads {torch.get_num_threads()}; CPC2 is single-process; "
          f"load average before the run {load:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
