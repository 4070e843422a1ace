"""How long does `zoo list` take, and does it import a deep-learning framework?

Measures the wall time of ``zoo list`` run as a subprocess (the installed console script next to
this interpreter, e.g. .venv/bin/zoo), 10 runs (``--runs``) after one untimed warm-up run that
fills the OS file cache; prints the best and the median. Goal: < 0.5 s (judged on the median).
For scale it also times a bare interpreter start (``python -c pass``) the same way.

Then runs ``zoo list`` once more in a fresh interpreter under ``python -X importtime`` and reports
whether tensorflow, keras, torch or jax (and which other heavy libraries) were imported, and the
10 slowest imports by cumulative time. `zoo list` should import no framework at all: models are
listed from their model.yaml.

Run from the repository root:  .venv/bin/python benchmarks/list_time.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL_S = 0.5
FRAMEWORKS = ("tensorflow", "keras", "torch", "jax")
OTHER_HEAVY = ("numpy", "pandas", "pydantic", "yaml", "pluggy", "h5py", "huggingface_hub", "safetensors",
               "pyarrow", "matplotlib", "tqdm", "scipy")
IMPORT_LIST = "from zoo.cli import main; import sys; sys.argv = ['zoo', 'list']; main()"


def zoo_script() -> str:
    here = Path(sys.executable).parent / "zoo"
    found = str(here) if here.exists() else shutil.which("zoo")
    if not found:
        sys.exit("no `zoo` console script next to this interpreter or on PATH")
    return found


def parse_importtime(stderr: str) -> list[tuple[int, int, str]]:
    """``(self_us, cumulative_us, dotted_name)`` per line of ``-X importtime`` output."""
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cum_us, name = line[len("import time:"):].split("|")
        rows.append((int(self_us), int(cum_us), name.rstrip()))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    zoo = zoo_script()
    env = dict(os.environ)

    first = subprocess.run([zoo, "list"], capture_output=True, text=True, env=env, check=True)  # warm-up
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        subprocess.run([zoo, "list"], capture_output=True, env=env, check=True)
        times.append(time.perf_counter() - t0)
    best, med = min(times), statistics.median(times)
    base = []
    for _ in range(args.runs):  # the floor: a bare interpreter start
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], capture_output=True, env=env, check=True)
        base.append(time.perf_counter() - t0)
    print(f"command: {zoo} list   ({args.runs} runs after 1 warm-up; load average {os.getloadavg()[0]:.2f})")
    print("output:")
    for line in first.stdout.rstrip().splitlines():
        print(f"  {line}")
    if first.stderr.strip():
        print(f"stderr: {first.stderr.strip()}")
    print("runs (s): " + " ".join(f"{t:.3f}" for t in times))
    print(f"wall time: best {best:.3f} s   median {med:.3f} s   goal < {GOAL_S} s (median): "
          f"{'MET' if med < GOAL_S else 'NOT MET'}")
    print(f"for scale, `python -c pass`: best {min(base):.3f} s   median {statistics.median(base):.3f} s")

    # Python-level cost in a fresh interpreter, and what gets imported.
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", IMPORT_LIST], capture_output=True, text=True,
                          env=env, check=True)
    wall = time.perf_counter() - t0
    rows = parse_importtime(proc.stderr)
    top_level = {name.strip().split(".")[0] for _, _, name in rows}
    print(f"\n{sys.executable} -X importtime -c \"{IMPORT_LIST}\"   ({wall:.3f} s with importtime on)")
    for fw in FRAMEWORKS:
        print(f"  {fw:<11} imported: {'YES' if fw in top_level else 'no'}")
    print("  other heavy libraries imported: " + (", ".join(m for m in OTHER_HEAVY if m in top_level) or "none"))
    total_us = sum(s for s, _, _ in rows)
    print(f"  {len(rows)} modules imported, {total_us / 1e6:.3f} s of import time in all (sum of self times)")
    print("  top 10 imports by cumulative time (a package's time includes what it imports):")
    print(f"  {'cumulative':>12}  {'self':>10}  module")
    for self_us, cum_us, name in sorted(rows, key=lambda r: -r[1])[:10]:
        print(f"  {cum_us / 1e3:9.1f} ms  {self_us / 1e3:7.1f} ms  {name.strip()}")


if __name__ == "__main__":
    main()
