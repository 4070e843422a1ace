"""Does `zoo predict` stream, i.e. does its peak memory stay flat as the input grows?

For each size (default 2,000 and 20,000 windows) a FASTA of real 10,500-nt windows is written
(slid along the bundled 300-kb chr22 piece with an even step, both strands, 60 nt per line; the
piece has 289,501 start positions per strand, so 20,000 windows are all distinct and none is
reused; the script says so if a larger size has to reuse some). Then a FRESH Python subprocess
runs the real CLI entry point in-process,
``zoo.cli.main(["predict", "xpresso-human-median", windows.fa, "-o", out.tsv, "-q"])``, and
reports its peak RSS (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) after the run, together with
the current RSS sampled every 0.2 s by a background thread (so growth during the run shows).

Prints the peak RSS per size and the difference. Goal: flat, i.e. the difference is a few MB
(at most 20 MB counts as flat here), not proportional to the number of windows. The 20,000-window
run takes about a minute or two.

Run from the repository root:  .venv/bin/python benchmarks/memory_flat.py [--sizes 2000 20000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _windows import MODEL_ID, current_rss_mb, describe, max_rss_mb, write_windows_fasta

FLAT_MB = 20.0


def child(fasta: str, out: str) -> None:
    """Run in the fresh subprocess: the CLI predict path, then report memory as one JSON line."""
    samples: list[tuple[float, float]] = []
    done = threading.Event()
    t0 = time.perf_counter()

    def sample() -> None:
        while not done.is_set():
            samples.append((time.perf_counter() - t0, current_rss_mb()))
            done.wait(0.2)

    rss_start = current_rss_mb()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    from zoo.cli import main

    main(["predict", MODEL_ID, fasta, "-o", out, "-q"])
    elapsed = time.perf_counter() - t0
    done.set()
    sampler.join()
    with open(out) as fh:
        rows = sum(1 for _ in fh) - 1
    print(json.dumps({"rows": rows, "seconds": elapsed, "peak_mb": max_rss_mb(), "start_mb": rss_start,
                      "end_mb": current_rss_mb(), "samples": samples}))


def at_fraction(samples: list[list[float]], frac: float) -> float:
    """The RSS sample closest to ``frac`` of the run's duration."""
    target = samples[-1][0] * frac
    return min(samples, key=lambda s: abs(s[0] - target))[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    ap.add_argument("--line-width", type=int, default=60, help="FASTA line width, 0 = one line per record")
    ap.add_argument("--child", nargs=2, metavar=("FASTA", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return

    results = {}
    with tempfile.TemporaryDirectory(prefix="zoo-bench-") as tmp:
        for n in args.sizes:
            fasta, out = Path(tmp) / f"windows_{n}.fa", Path(tmp) / f"out_{n}.tsv"
            plan = write_windows_fasta(fasta, n, line_width=args.line_width)
            print(describe(plan))
            cmd = [sys.executable, __file__, "--child", str(fasta), str(out)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode:
                sys.exit(f"child failed ({proc.returncode}):\n{proc.stderr}")
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            assert r["rows"] == n, r["rows"]
            results[n] = r
            s = r["samples"]
            quart = "  ".join(f"{int(f * 100)}%: {at_fraction(s, f):.0f}" for f in (0.25, 0.5, 0.75, 1.0))
            print(f"  {n:>6} windows: FASTA {fasta.stat().st_size / 1e6:6.1f} MB, TSV {out.stat().st_size / 1e6:.2f} MB, "
                  f"{r['seconds']:.1f} s ({n / r['seconds']:.0f} pred/s incl. TF import + model load)")
            print(f"         peak RSS (ru_maxrss) {r['peak_mb']:.1f} MiB; RSS at interpreter start {r['start_mb']:.1f}, "
                  f"at end {r['end_mb']:.1f} MiB")
            print(f"         RSS sampled over the run (MiB, {len(s)} samples): {quart}")
            fasta.unlink()

    if len(results) >= 2:
        (n0, r0), (n1, r1) = min(results.items()), max(results.items())
        diff = r1["peak_mb"] - r0["peak_mb"]
        print(f"peak RSS: {n0} windows {r0['peak_mb']:.1f} MiB, {n1} windows {r1['peak_mb']:.1f} MiB, "
              f"difference {diff:+.1f} MiB ({diff / (n1 - n0) * 1e6 / 1024:+.2f} KiB per extra window; "
              f"one window is {10_500 * 4 * 4 / 1024:.0f} KiB as float32 one-hot)")
        print(f"goal: flat (difference <= {FLAT_MB:.0f} MiB): {'MET' if abs(diff) <= FLAT_MB else 'NOT MET'}")


if __name__ == "__main__":
    main()
