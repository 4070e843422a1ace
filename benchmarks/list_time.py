"""How long does `zoo list` take with the installed models, and with 50 more installed?

The goal (median < 0.3 s with 50 installed models) is judged here, never in a test: timings depend on
the machine and its load, so this script prints figures and exits non-zero only when something breaks
(a run fails, or the generated plugins are not listed), never for a missed goal.

Two scenarios, each ``python -m zoo list`` run as a subprocess of this interpreter with ``ZOO_LOAD_PLUGINS``
unset and its own fresh ``XDG_CACHE_HOME``, kept across that scenario's runs:

- installed: the plugins installed next to this interpreter (xpresso, ptr-cnn, bioseq2seq in .venv);
- installed + 50 generated: the same plus 10 fake distributions of 5 models each (``--models``,
  ``--per-dist``), written to a temporary folder on ``PYTHONPATH`` as ``<dist>.dist-info/`` (METADATA,
  ``[zoo]`` entry point) beside a package copied from the ``zoo init`` scaffold, whose ``register_models``
  hookimpl registers ``models/*/model.yaml`` (the scaffold's model.yaml, ``name:`` varied).

The first run of a scenario fills the registry cache: it is reported on its own as the cold run and not
counted. Then ``--runs`` timed runs (default 15): median, min, max. A bare ``python -c "import click"``
(an interpreter plus the CLI library, the floor for any click command) is timed after every zoo run, so
the ratio compares figures taken under the same load. Finally one run under ``-X importtime`` says
whether a deep-learning framework was imported and which imports cost the most.

Run from the repository root:  .venv/bin/python benchmarks/list_time.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_S = 0.3
FRAMEWORKS = ("tensorflow", "keras", "torch", "jax")
BASELINE = [sys.executable, "-c", "import click"]
ZOO_LIST = [sys.executable, "-m", "zoo", "list"]


def write_fake_plugins(root: Path, models: int, per_dist: int) -> tuple[Path, list[str]]:
    """Fake installed plugins under ``root/site``; returns that folder and the model ids."""
    from zoo_core.scaffold import init_plugin

    template = init_plugin("fake-template", root / "scaffold") / "src" / "zoo_fake_template"
    model_dir = template / "models" / "fake-template"
    site = root / "site"
    site.mkdir()
    names: list[str] = []
    for d in range((models + per_dist - 1) // per_dist):
        dist, package = f"zoo-fake-{d:02d}", f"zoo_fake_{d:02d}"
        pkg = site / package
        shutil.copytree(template, pkg, ignore=shutil.ignore_patterns("models", "__pycache__"))
        for py in pkg.glob("*.py"):  # the loader string "zoo_fake_template.model:Model" names the package
            py.write_text(py.read_text().replace("zoo_fake_template", package))
        for m in range(min(per_dist, models - len(names))):
            name = f"fake-{d:02d}-{m}"
            shutil.copytree(model_dir, pkg / "models" / name)
            spec = pkg / "models" / name / "model.yaml"
            text, n = re.subn(r"^name:[ \t]*\S+", f"name: {name}", spec.read_text(), count=1, flags=re.M)
            if n != 1:
                raise RuntimeError(f"no top-level 'name:' in the scaffold's model.yaml ({spec})")
            spec.write_text(text)
            names.append(name)
        info = site / f"{package}-0.1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n")
        (info / "entry_points.txt").write_text(f"[zoo]\n{package} = {package}\n")
        (info / "top_level.txt").write_text(package + "\n")
    return site, names


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` exited {proc.returncode}:\n{proc.stderr.strip()}")
    return elapsed, proc


def imported_top_level(stderr: str) -> dict[str, int]:
    """Top-level package -> cumulative import time (µs), from ``-X importtime`` output."""
    cum: dict[str, int] = {}
    for line in stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            _, cum_us, name = line[len("import time:"):].split("|")
            top = name.strip().split(".")[0]
            # the package's own line carries its cumulative time; its submodules are already inside it
            cum[top] = max(cum.get(top, 0), int(cum_us) if name.strip() == top else 0)
    return cum


def stats(times: list[float]) -> str:
    return f"median {statistics.median(times):.3f} s   min {min(times):.3f}   max {max(times):.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15, help="timed runs per scenario, after the cold one")
    ap.add_argument("--models", type=int, default=50, help="generated models")
    ap.add_argument("--per-dist", type=int, default=5, help="generated models per fake distribution")
    args = ap.parse_args()
    if args.runs < 1 or args.models < 1 or args.per_dist < 1:
        ap.error("--runs, --models and --per-dist must be positive")

    load_start = os.getloadavg()
    base_env = {k: v for k, v in os.environ.items() if k not in ("ZOO_LOAD_PLUGINS", "ZOO_CACHE_DIR")}
    base_env["HF_HUB_OFFLINE"] = "1"  # listing must not need the network; make sure it cannot wait on it
    with tempfile.TemporaryDirectory(prefix="zoo-list-bench-") as tmp_name:
        tmp = Path(tmp_name)
        site, fake_names = write_fake_plugins(tmp, args.models, args.per_dist)
        fake_env = dict(base_env, PYTHONPATH=os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p))
        scenarios = [("installed", base_env), (f"installed + {len(fake_names)} generated", fake_env)]
        baseline: list[float] = []
        results = []
        for i, (label, env) in enumerate(scenarios):
            env = dict(env, XDG_CACHE_HOME=str(tmp / f"cache-{i}"))
            cold, first = run(ZOO_LIST, env, tmp)
            listed = [line.split()[0] for line in first.stdout.splitlines() if line.strip()]
            if i and (missing := sorted(set(fake_names) - set(listed))):
                raise RuntimeError(f"{len(missing)} generated models not listed (e.g. {missing[0]}); stderr:\n"
                                   f"{first.stderr.strip()}")
            times = []
            for _ in range(args.runs):
                times.append(run(ZOO_LIST, env, tmp)[0])
                baseline.append(run(BASELINE, env, tmp)[0])  # right after, under the same load
            results.append((label, env, listed, first.stderr.strip(), cold, times))
        _, env, *_ = results[-1]
        wall_it, proc = run([sys.executable, "-X", "importtime", "-m", "zoo", "list"], env, tmp)
    load_end = os.getloadavg()

    print(f"python -m zoo list   ({sys.executable}; {args.runs} timed runs per scenario after 1 cold run; "
          f"{os.cpu_count()} CPUs)")
    print(f"load average (1/5/15 min): start {' '.join(f'{x:.2f}' for x in load_start)}   "
          f"end {' '.join(f'{x:.2f}' for x in load_end)}")
    base_med = statistics.median(baseline)
    print(f"baseline `python -c \"import click\"` ({len(baseline)} runs): {stats(baseline)}")
    for label, _, listed, stderr, cold, times in results:
        print(f"\n{label}: {len(listed)} models listed")
        if stderr:
            print("  stderr: " + stderr.replace("\n", "\n          "))
        print(f"  cold first run (empty cache): {cold:.3f} s")
        print(f"  warm: {stats(times)}   ratio to baseline {statistics.median(times) / base_med:.2f}")
        print("  runs (s): " + " ".join(f"{t:.3f}" for t in times))
    median_50 = statistics.median(results[-1][-1])
    print(f"\ngoal < {GOAL_S} s (median, {results[-1][0]}): {'met' if median_50 < GOAL_S else 'not met'} "
          f"({median_50:.3f} s)")

    cum = imported_top_level(proc.stderr)
    self_us = sum(int(line.split("|")[0][len("import time:"):]) for line in proc.stderr.splitlines()
                  if line.startswith("import time:") and "self [us]" not in line)
    # what imports do not explain is zoo's own work (entry points, model.yaml parsing and validation)
    print(f"\n-X importtime, {results[-1][0]}, warm cache: {self_us / 1e6:.3f} s importing of {wall_it:.3f} s wall")
    print("  frameworks imported: " + (", ".join(f for f in FRAMEWORKS if f in cum) or "none"))
    top = sorted(((us, name) for name, us in cum.items() if us), reverse=True)[:8]
    print("  slowest top-level imports (cumulative): " + ", ".join(f"{name} {us / 1e3:.0f} ms" for us, name in top))


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        sys.exit(f"list_time.py: error: {e}")
