"""The paper's protocol: per tissue, the 4 configurations × N seeds on the same split; mean test r² with its 95 % CI
and the p-value against the no-miRNA model.

    .venv/bin/python plugins/zoo-mirex/scripts/evaluate.py --data build/mirex --runs build/mirex/runs \\
        --selection build/mirex/selection.json --seeds 10 [--tissues lung] [--configs xpresso mirex] \\
        [--max-minutes 600] --json build/mirex/evaluation.json --markdown build/mirex/evaluation.md

Each run is ``train.py``'s (``<runs>/<tissue>/<config>/seed<k>/``), trained here when it has no ``result.json`` yet
and resumed when it has a state: several evaluate.py processes with different ``--tissues`` / ``--configs`` can share
one ``--runs`` folder. ``--configs xpresso`` alone trains the no-miRNA runs that select_mirnas.py needs first.
``--finished-only`` trains nothing and summarises the runs that have a result.json: the committed record
``results/`` that ``protocol.sh`` fills, session after session.

Statistics (spec §4, the authors' code): r² is the squared Pearson r between prediction and label on the test genes
(the paper's text defines 1 − RSS/TSS; both are reported); 95 % CI = mean ± SEM · t(0.975, n − 1); the p-value is
Student's two-sample t-test (equal variances, two-sided) of a configuration's n r² values against the no-miRNA
model's. The paper kept the best 10 of 20 runs by test r²; here every seed counts (``--keep`` keeps the best k by
validation MSE, never by test).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from zoo_mirex.dataset import load
from zoo_mirex.stats import mean_ci, ttest_ind
from zoo_mirex.tissues import CONFIGS, TISSUES

from zoo_dev.scripts import load_script

train = load_script(Path(__file__).with_name("train.py"), "mirex_train")


def summarise(results: dict[str, dict[str, list[dict[str, Any]]]], keep: int | None) -> dict[str, Any]:
    """Per tissue and configuration: n, mean test r² (Pearson², and 1 − RSS/TSS) with 95 % CI, p vs xpresso."""
    table: dict[str, Any] = {}
    for tissue, by_config in results.items():
        rows: dict[str, Any] = {}
        kept = {}
        for config, runs in by_config.items():
            runs = sorted(runs, key=lambda r: r["valid"]["mse"])[:keep] if keep else runs
            kept[config] = np.array([r["test"]["r2_pearson"] for r in runs])
            ci = mean_ci(kept[config])
            ci2 = mean_ci(np.array([r["test"]["r2"] for r in runs]))
            rows[config] = {"runs": len(runs), "seeds": [r["seed"] for r in runs], "n_mirna": runs[0]["n_mirna"] if runs else 0,
                            "r2_pearson": ci._asdict(), "r2": ci2._asdict(),
                            "epochs": float(np.mean([r["epochs"] for r in runs])) if runs else math.nan,
                            "seconds_per_epoch": float(np.mean([r["seconds_per_epoch"] for r in runs])) if runs else math.nan}
        for config in rows:
            if config != "xpresso" and "xpresso" in kept:
                t, p = ttest_ind(kept[config], kept["xpresso"])
                rows[config]["vs_xpresso"] = {"t": t, "p": p}
        table[tissue] = rows
    return table


def markdown(table: dict[str, Any]) -> str:
    lines = ["| tissue | configuration | miRNAs | runs | test r² (Pearson²), mean [95 % CI] | 1 − RSS/TSS | p vs no-miRNA |",
             "|---|---|---|---|---|---|---|"]
    for tissue, rows in table.items():
        for config, r in rows.items():
            c, c2 = r["r2_pearson"], r["r2"]
            p = r.get("vs_xpresso", {}).get("p")
            lines.append(f"| {tissue} | {config} | {r['n_mirna']} | {r['runs']} | {c['mean']:.3f} [{c['low']:.3f}, "
                         f"{c['high']:.3f}] | {c2['mean']:.3f} | {'' if p is None else f'{p:.3g}'} |")
    return "\n".join(lines) + "\n"


def with_table(readme: str, table: str, start: str = "<!-- results:start -->", end: str = "<!-- results:end -->") -> str:
    """``readme`` with the text between its ``start`` and ``end`` marker lines replaced by ``table``.

    Raises
    ------
    SystemExit
        The markers are missing or out of order.
    """
    i, j = readme.find(start), readme.find(end)
    if i < 0 or j < i:
        raise SystemExit(f"error: the README has no {start} … {end} block")
    return readme[: i + len(start)] + "\n" + table.strip("\n") + "\n" + readme[j:]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--runs", type=Path, required=True)
    ap.add_argument("--selection", type=Path, help="select_mirnas.py's JSON (needed for mirex and abscorr)")
    ap.add_argument("--tissues", nargs="+", choices=list(TISSUES), default=list(TISSUES))
    ap.add_argument("--configs", nargs="+", choices=CONFIGS, default=list(CONFIGS))
    ap.add_argument("--seeds", type=int, default=10, help="seeds 0 .. N-1 per configuration")
    ap.add_argument("--keep", type=int, help="keep the best k runs by validation MSE (default all)")
    ap.add_argument("--max-minutes", type=float, help="stop training after this long (rerun to resume)")
    ap.add_argument("--max-epochs", type=int, default=train.RECIPE["max_epochs"])
    ap.add_argument("--patience", type=int, default=train.RECIPE["patience"])
    ap.add_argument("--limit-genes", type=int, help="smoke runs only")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--finished-only", action="store_true",
                    help="train nothing: summarise the runs that have a result.json (e.g. the committed results/)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--markdown", type=Path)
    ap.add_argument("--readme", type=Path, help="put the table between this file's <!-- results:start/end --> markers")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = load(args.data)
    t0 = time.perf_counter()
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    unfinished = 0
    for tissue in args.tissues:
        for config in args.configs:
            mirnas = train.mirnas_for(data, tissue, config, args.selection)
            for seed in range(args.seeds):
                left = None if args.max_minutes is None else args.max_minutes - (time.perf_counter() - t0) / 60
                out = args.runs / tissue / config / f"seed{seed}"
                if (args.finished_only or (left is not None and left <= 0)) and not (out / "result.json").exists():
                    unfinished += 1
                    continue
                r = train.train_run(data, tissue, mirnas, out, seed=seed, config=config, max_epochs=args.max_epochs,
                                    patience=args.patience, limit=args.limit_genes, max_minutes=left)
                if r is None:
                    unfinished += 1
                    continue
                if r["mirnas"] != mirnas:
                    raise SystemExit(f"error: {out} was trained on other miRNAs than {config} has now; move it away")
                results.setdefault(tissue, {}).setdefault(config, []).append(r)
    table = summarise(results, args.keep)
    text = markdown(table)
    print(text)
    spe = [r["seconds_per_epoch"] for c in results.values() for rs in c.values() for r in rs]
    if spe:
        print(f"time per epoch: {np.mean(spe):.1f} s (mean of {len(spe)} runs, {args.threads} thread(s))")
    if args.json:
        args.json.write_text(json.dumps({"table": table, "settings": vars(args) | {"data": str(args.data)}},
                                        indent=1, default=str) + "\n")
    if args.markdown:
        args.markdown.write_text(text)
    if args.readme:
        args.readme.write_text(with_table(args.readme.read_text(), text))
    if unfinished:
        print(f"{unfinished} runs unfinished: rerun the same command to resume", file=sys.stderr)
        return 0 if args.finished_only else 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
