"""Scale-out: `zoo predict` (20,000 Xpresso windows) and `zoo vep` (100,000 variants) with --engine local, and with
--engine ray on 1 and 2 workers, on this machine.

Each run is the CLI in a fresh process (`python -m zoo ...`, model load and Ray start-up included, as a user sees
it), writing Parquet. Printed per run: wall time, throughput, and the peak of the summed RSS of the run's whole
process tree (driver, raylet, workers; sampled every 0.2 s from /proc). Then the overhead ratio
time(ray, 1 worker) / time(local), goal <= 1.15, and the speed-up of 2 workers over 1.

Inputs (real sequence): windows slid along the bundled 300-kb hg38 chr22 piece (benchmarks/_windows.py), both
strands; variants uniform over the piece (80 % SNV, 20 % 1-20 nt indels; about 14 % fall in one of the four
Xpresso TSS windows), REF from the genome.

Run from the repository root (needs `pip install 'zoo[ray]'`):
    .venv/bin/python benchmarks/scale_out.py [--windows 20000] [--variants 100000]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _windows import CHR22, describe, write_windows_fasta
from vep_throughput import TSS, write_vcf

MODEL = "xpresso-human-median"
CONTIG = "chr22_32000000_32300000"


def tree_rss_mib(root: int) -> float:
    """Summed RSS of ``root`` and all its descendants, in MiB (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/statm") as fh:
                rss[int(entry)] = int(fh.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack += children.get(pid, [])
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


def timed(args: list[str]) -> tuple[float, float]:
    """Wall time and peak tree RSS of `python -m zoo ARGS`."""
    peak = [0.0]
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "zoo", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss_mib(proc.pid))
            time.sleep(0.2)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    t.join()
    if proc.returncode:
        sys.exit(f"zoo {' '.join(args)} failed:\n{err[-2000:]}")
    return wall, peak[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--windows", type=int, default=20_000)
    ap.add_argument("--variants", type=int, default=100_000)
    args = ap.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    print(f"load average before: {os.getloadavg()}; {os.cpu_count()} CPUs")
    # parts of 1,024 records: enough parts to keep 2 workers busy to the end
    engines = [("local", []), ("ray, 1 worker", ["--engine", "ray", "--num-workers", "1", "--part-size", "1024"]),
               ("ray, 2 workers", ["--engine", "ray", "--num-workers", "2", "--part-size", "1024"])]
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        plan = write_windows_fasta(t / "windows.fa", args.windows)
        print(f"\nzoo predict {MODEL}: {describe(plan)}")
        seq = CHR22.read_text().split("\n", 1)[1].replace("\n", "").upper()
        rng = random.Random(0)
        write_vcf(t / "variants.vcf", seq, sorted(rng.randrange(25, len(seq) - 25) for _ in range(args.variants)),
                  random.Random(1))
        jobs = [("predict", args.windows, "windows", ["predict", MODEL, str(t / "windows.fa")]),
                ("vep", args.variants, "variants", ["vep", MODEL, str(t / "variants.vcf"), "--genome", str(CHR22),
                                                    "--annotation", str(TSS)])]
        for name, n, unit, base in jobs:
            if n == 0:  # --windows 0 or --variants 0 skips that part
                continue
            if name == "vep":
                print(f"\nzoo vep {MODEL}: {n:,} variants uniform over the chr22 piece")
            times = {}
            for label, extra in engines:
                wall, peak = timed([*base, "-o", str(t / f"{name}-{len(times)}.parquet"), "-q", *extra])
                times[label] = wall
                print(f"   {label:15s} {wall:7.1f} s  {n / wall:8.1f} {unit}/s  peak RSS of the process tree {peak:7.0f} MiB")
            ratio = times["ray, 1 worker"] / times["local"]
            print(f"   overhead ray-1-worker / local: {ratio:.3f} (goal <= 1.15: {'met' if ratio <= 1.15 else 'not met'}); "
                  f"2 workers vs 1: {times['ray, 1 worker'] / times['ray, 2 workers']:.2f}x")
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
