"""Held-out metrics of trained zoo-perceiver runs on the A. thaliana split, with bootstrap CIs and baselines.

    .venv/bin/python plugins/zoo-perceiver/scripts/evaluate.py --data ~/.cache/perceiver \\
        --run xpresso=runs/xpresso --run dnaperceiver=runs/dnaperceiver ... [--split test] [--json out.json]

For every run (``train.py``'s folder: ``state.json`` + ``best.safetensors``) and every label it predicts, on the genes
of the split that have that label:

* Pearson r² (the paper's and the authors' code's r², spec §9 #1) and 1 − SSR/SST (the paper's stated definition),
  each with a 95 % percentile bootstrap interval over genes (2,000 resamples, seed 0);
* the number of genes.

Baseline rows: for protein, ``protein ~ a · mRNA + b`` fitted by least squares on the training genes that have both
labels (the "PaxDb vs mRNA-only" regression), scored on the split's genes that have both; every protein model is also
scored on exactly those genes, so the rows compare. For mRNA, the mean-of-train predictor gives r² 0 by definition and
is not listed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file
from zoo_perceiver.build import build_network

from zoo_dev.scripts import load_script

train_mod = load_script(Path(__file__).with_name("train.py"), "perceiver_train")

N_BOOT = 2000


def r2_pair(pred: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(Pearson r², 1 − SSR/SST) of ``pred`` against ``y``."""
    pearson = float(np.corrcoef(pred, y)[0, 1] ** 2) if np.std(pred) > 1e-12 else 0.0  # constant: explains nothing
    sst = float(((y - y.mean()) ** 2).sum())
    return pearson, 1.0 - float(((y - pred) ** 2).sum()) / sst


def with_ci(pred: np.ndarray, y: np.ndarray, seed: int = 0) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    pearson, cod = r2_pair(pred, y)
    boot = np.array([r2_pair(pred[i], y[i]) for i in (rng.integers(0, len(y), len(y)) for _ in range(N_BOOT))])
    lo, hi = np.percentile(boot, [2.5, 97.5], axis=0)
    return {"n": len(y), "r2": pearson, "r2_lo": float(lo[0]), "r2_hi": float(hi[0]),
            "cod": cod, "cod_lo": float(lo[1]), "cod_hi": float(hi[1])}


def paired_difference(pred_a: np.ndarray, pred_b: np.ndarray, y: np.ndarray, seed: int = 0) -> dict[str, float]:
    """Pearson r² of ``pred_a`` minus that of ``pred_b`` on the same genes, with a paired 95 % bootstrap interval
    (each resample scores both models on the same genes) and the share of resamples in which ``a`` is not better."""
    rng = np.random.default_rng(seed)
    diff = r2_pair(pred_a, y)[0] - r2_pair(pred_b, y)[0]
    boot = np.array([r2_pair(pred_a[i], y[i])[0] - r2_pair(pred_b[i], y[i])[0]
                     for i in (rng.integers(0, len(y), len(y)) for _ in range(N_BOOT))])
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return {"n": len(y), "diff": diff, "lo": float(lo), "hi": float(hi), "p_not_better": float((boot <= 0).mean())}


def run_predictions(run: Path, data_dir: Path, split: str) -> tuple[list[str], list[str], np.ndarray]:
    """(gene ids, label names, predictions (N, n_labels)) of a run's best checkpoint on ``split``."""
    state = json.loads((run / "state.json").read_text())
    recipe = state["config"]
    net = build_network(recipe["network"])
    net.load_state_dict(load_file(str(run / "best.safetensors")))
    names = train_mod.inputs_of(net)
    # every gene of the split, whatever labels it has; metrics then pick the genes with each label
    data = train_mod.load_athaliana(data_dir, ["mrna", "protein"], need_dna="dna" in names,
                                    need_protein="protein" in names)[split]
    return data.ids, recipe["labels"], train_mod.predict(net, data, train_mod.dna_slice_for(net))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--run", action="append", default=[], help="NAME=RUN_DIR, repeatable")
    ap.add_argument("--split", default="test", choices=("valid", "test"))
    ap.add_argument("--json", type=Path)
    ap.add_argument("--compare", action="append", default=[],
                    help="A:B:LABEL, repeatable: paired bootstrap of run A's Pearson r² minus run B's on LABEL")
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    labels = train_mod.load_athaliana(args.data, ["mrna", "protein"], need_dna=False, need_protein=False)
    test, train = labels[args.split], labels["train"]
    truth = dict(zip(test.ids, test.labels, strict=True))
    both = [g for g in test.ids if not np.isnan(truth[g]).any()]
    rows = []
    preds: dict[tuple[str, str], dict[str, np.ndarray]] = {}

    # baseline: protein from mRNA by least squares on the training genes with both labels
    ok = ~np.isnan(train.labels).any(axis=1)
    slope, intercept = np.polyfit(train.labels[ok, 0], train.labels[ok, 1], 1)
    yb = np.array([truth[g] for g in both])
    rows.append({"model": "baseline: protein ~ mRNA (linear, fit on train)", "target": "protein", "genes": "both labels",
                 **with_ci(slope * yb[:, 0] + intercept, yb[:, 1])})

    for spec in args.run:
        name, _, folder = spec.partition("=")
        ids, names, pred = run_predictions(Path(folder), args.data, args.split)
        by_id = dict(zip(ids, pred, strict=True))
        for k, label in enumerate(names):
            preds[name, label] = {g: by_id[g][k] for g in ids}
            col = ["mrna", "protein"].index(label)
            have = [g for g in test.ids if not np.isnan(truth[g][col])]
            p = np.array([by_id[g][k] for g in have])
            y = np.array([truth[g][col] for g in have])
            rows.append({"model": name, "target": label, "genes": f"all with a {label} label", **with_ci(p, y)})
            if label == "protein":
                p = np.array([by_id[g][k] for g in both])
                rows.append({"model": name, "target": label, "genes": "both labels", **with_ci(p, yb[:, 1])})
        print(f"{name}: done", file=sys.stderr, flush=True)

    print("| model | target | genes | n | Pearson r² (95% CI) | 1−SSR/SST (95% CI) |\n|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['target']} | {r['genes']} | {r['n']} | {r['r2']:.3f} ({r['r2_lo']:.3f}–{r['r2_hi']:.3f})"
              f" | {r['cod']:.3f} ({r['cod_lo']:.3f}–{r['cod_hi']:.3f}) |")
    differences = []
    for spec in args.compare:
        a, b, label = spec.split(":")
        col = ["mrna", "protein"].index(label)
        have = [g for g in test.ids if not np.isnan(truth[g][col])]
        d = paired_difference(np.array([preds[a, label][g] for g in have]),
                              np.array([preds[b, label][g] for g in have]), np.array([truth[g][col] for g in have]))
        differences.append({"a": a, "b": b, "target": label, **d})
        print(f"{a} − {b} ({label}, {d['n']} genes): Δ Pearson r² {d['diff']:+.3f} (95% CI {d['lo']:+.3f} to "
              f"{d['hi']:+.3f}; {a} not better in {100 * d['p_not_better']:.1f} % of paired resamples)")
    if args.json:
        args.json.write_text(json.dumps({"split": args.split, "rows": rows, "differences": differences}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
