"""How much slower is `zoo predict` than the bare Keras forward pass it wraps?

Measures, on N real 10,500-nt windows slid along the bundled 300-kb chr22 piece (both strands,
written to a temporary FASTA, 60 nt per line):

(a) zoo: predictions/s of the path `zoo predict xpresso-human-median windows.fa -o out.tsv` takes,
    called in-process the way zoo/cli/predict.py does it: ``get_model(...).predict_iter`` streaming
    into ``zoo_core.output.write_table``. Includes FASTA reading, sequence checks, one-hot encoding,
    batching, the forward pass, DataFrame building and TSV writing; excludes the TensorFlow import
    and model load (done once before timing).
(b) bare: predictions/s of the Keras forward loop alone on the same pre-encoded batches (taken from
    zoo's own dataloader beforehand), same batch size, calling the same Keras model the same way
    ``XpressoModel.predict_on_batch`` does: ``model([promoter, halflife], training=False).numpy()``.

Both are warmed up first; then the two are run alternately ``--repeats`` times (default 3) and the
BEST run of each (highest rate) is reported, with the median alongside. The figure of merit is
the ratio bare/zoo, the overhead of zoo. Goal: ratio ≤ 1.10.

It also prints a breakdown of the zoo-only work (dataloader alone, table writing alone; best of
``--repeats``), and the load average (other processes on the machine skew every figure),
and, when the ratio is above 1.10 (or with ``--profile``), the top of a cProfile of one zoo run.

Run from the repository root:  .venv/bin/python benchmarks/predict_overhead.py [--n 2000]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _windows import MODEL_ID, WINDOW, describe, write_windows_fasta

GOAL = 1.10


def zoo_run(model, fasta: Path, out: Path, batch_size: int) -> tuple[float, int]:
    """The CLI's predict path: predict_iter → write_table. Returns (seconds, rows)."""
    from zoo_core.output import write_table

    t0 = time.perf_counter()
    chunks = model.predict_iter([fasta], batch_size=batch_size, device=None, genome=None)
    n = write_table(out, chunks)
    return time.perf_counter() - t0, n


def bare_run(keras_model, batches: list) -> tuple[float, int, list]:
    """The forward loop alone, exactly as XpressoModel.predict_on_batch calls Keras."""
    outs = []
    t0 = time.perf_counter()
    for promoter, halflife in batches:
        outs.append(keras_model([promoter, halflife], training=False).numpy())
    dt = time.perf_counter() - t0
    return dt, sum(len(o) for o in outs), outs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="number of windows (default 2000)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--line-width", type=int, default=60, help="FASTA line width, 0 = one line per record")
    ap.add_argument("--profile", action="store_true", help="always print the cProfile of one zoo run")
    args = ap.parse_args()
    bs = args.batch_size

    import numpy as np
    import pandas as pd

    import zoo
    from zoo_core.output import write_table

    t0 = time.perf_counter()
    model = zoo.get_model(MODEL_ID)
    impl = model.load()
    import tensorflow as tf

    keras_model = impl.keras
    print(f"model load (TF import + weights): {time.perf_counter() - t0:.1f} s [not timed below]")
    print(f"python {sys.version.split()[0]}, tensorflow {tf.__version__}, numpy {np.__version__}, "
          f"pandas {pd.__version__}, {os.cpu_count()} CPU cores, batch size {bs}, "
          f"load average {os.getloadavg()[0]:.2f}")

    with tempfile.TemporaryDirectory(prefix="zoo-bench-") as tmp:
        tmp_path = Path(tmp)
        fasta, warm_fa, out = tmp_path / "windows.fa", tmp_path / "warmup.fa", tmp_path / "out.tsv"
        plan = write_windows_fasta(fasta, args.n, line_width=args.line_width)
        n_warm = 3 * bs + (args.n % bs)  # includes a short last batch, like the real run
        write_windows_fasta(warm_fa, n_warm, line_width=args.line_width)
        print(describe(plan))
        print(f"FASTA: {fasta.stat().st_size / 1e6:.1f} MB, line width {args.line_width or 'unwrapped'}")

        # Pre-encoded arrays for the bare loop: zoo's own batches, materialised before timing.
        batches = [(b.inputs["promoter"], b.inputs["halflife"]) for b in model.batches([fasta], batch_size=bs)]
        assert batches[0][0].shape[1:] == (WINDOW, 4)

        # Warm-up: both paths, including the short last-batch shape.
        zoo_run(model, warm_fa, tmp_path / "warm.tsv", bs)
        bare_run(keras_model, batches[:3] + batches[-1:])

        zoo_t: list[float] = []
        bare_t: list[float] = []
        outs: list = []
        for r in range(args.repeats):  # alternate, so drift in machine speed hits both alike
            dt, n = zoo_run(model, fasta, out, bs)
            assert n == args.n, n
            zoo_t.append(dt)
            dt, n, outs = bare_run(keras_model, batches)
            assert n == args.n, n
            bare_t.append(dt)
            print(f"  run {r + 1}: zoo {args.n / zoo_t[-1]:7.1f} pred/s ({zoo_t[-1]:.2f} s)   "
                  f"bare {args.n / bare_t[-1]:7.1f} pred/s ({bare_t[-1]:.2f} s)")

        zoo_best, bare_best = args.n / min(zoo_t), args.n / min(bare_t)
        zoo_med, bare_med = args.n / statistics.median(zoo_t), args.n / statistics.median(bare_t)
        ratio = bare_best / zoo_best
        print(f"(a) zoo predict path : best {zoo_best:7.1f} pred/s   median {zoo_med:7.1f} pred/s")
        print(f"(b) bare Keras loop  : best {bare_best:7.1f} pred/s   median {bare_med:7.1f} pred/s")
        print(f"overhead bare/zoo    : {ratio:.3f} (best of {args.repeats})   "
              f"{bare_med / zoo_med:.3f} (median)   goal <= {GOAL:.2f}: {'MET' if ratio <= GOAL else 'NOT MET'}")
        per_window_ms = (min(zoo_t) - min(bare_t)) / args.n * 1e3
        print(f"zoo's extra time     : {per_window_ms:.3f} ms per window (best vs best); "
              f"load average now {os.getloadavg()[0]:.2f}")

        # Same numbers either way?
        table = pd.read_csv(out, sep="\t")
        bare_y = np.concatenate(outs).reshape(-1)
        diff = float(np.max(np.abs(table["expression_pred"].to_numpy() - bare_y)))
        print(f"check: zoo TSV vs bare outputs, max |diff| = {diff:.2e} (TSV written with %.8g)")

        # Where zoo's extra time goes (best of --repeats each).
        t_load = t_write = float("inf")
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            n = sum(len(b) for b in model.batches([fasta], batch_size=bs))
            t_load = min(t_load, time.perf_counter() - t0)
        frames = [pd.DataFrame({"id": table["id"].iloc[i: i + bs].tolist(),
                                "expression_pred": bare_y[i: i + bs].astype(np.float64)})
                  for i in range(0, args.n, bs)]
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            write_table(tmp_path / "write_only.tsv", iter(frames))
            t_write = min(t_write, time.perf_counter() - t0)
        print(f"breakdown (best of {args.repeats}): dataloader alone (read FASTA, check, one-hot, stack) {t_load:.2f} s = "
              f"{t_load / n * 1e3:.3f} ms/window; TSV writing alone {t_write:.3f} s = "
              f"{t_write / n * 1e3:.3f} ms/window; forward pass (bare best) {min(bare_t) / n * 1e3:.3f} ms/window")

        if ratio > GOAL or args.profile:
            prof = cProfile.Profile()
            prof.enable()
            zoo_run(model, fasta, out, bs)
            prof.disable()
            for key in ("cumulative", "tottime"):
                s = io.StringIO()
                pstats.Stats(prof, stream=s).strip_dirs().sort_stats(key).print_stats(20)
                body = s.getvalue()
                print(f"--- cProfile of one zoo run, top 20 by {key} ---")
                print(body[body.find("   ncalls"):].rstrip())


if __name__ == "__main__":
    main()
