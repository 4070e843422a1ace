"""Held-out figures for trained PTR-CNN runs, next to two baselines on the same genes.

    python plugins/zoo-ptr-cnn/scripts/evaluate.py --data build/ptr/athaliana.tsv \
        --run build/ptr/athaliana --ablation build/ptr/athaliana-no_counts ... --json out.json

Measured on the test split, pooled over every (gene, sample) point with a log2 TPM above threshold:

- r2: 1 - SSE / SST of predicted log2 protein (SST around the test mean); Pearson r.
- r2_gene_mean: r2 of each gene's prediction averaged over its samples against its protein level.
- Baselines: ``mrna_linear`` = log2 protein ~ alpha * log2 TPM + beta fitted on the training points;
  ``naive_scaling`` = the paper's iBAQ_spec = iBAQ_avg * TPM_spec / TPM_avg with the averages taken over
  the training genes (slope 1), because held-out genes have no own average to scale from here.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file
from train import load_split, tensors

from zoo_ptr_cnn.network import MODULES, PTRCNN


def pooled_r2(pred: np.ndarray, tpm: np.ndarray, protein: np.ndarray) -> float:
    ok = ~np.isnan(tpm)
    y = np.broadcast_to(protein[:, None], tpm.shape)[ok]
    return float(1 - ((pred[ok] - y) ** 2).sum() / ((y - y.mean()) ** 2).sum())


def scores(pred: np.ndarray, tpm: np.ndarray, protein: np.ndarray, *, boot: int = 1000) -> dict[str, float]:
    """Pooled r2 / Pearson r over valid points, r2 of per-gene means, and a 95% bootstrap interval of r2
    (genes resampled with a fixed seed, so every model is scored on the same resamples). ``pred``: (N, S)."""
    ok = ~np.isnan(tpm)
    y = np.broadcast_to(protein[:, None], tpm.shape)[ok]
    gene_pred = np.nanmean(np.where(ok, pred, np.nan), axis=1)
    gene_r2 = 1 - ((gene_pred - protein) ** 2).sum() / ((protein - protein.mean()) ** 2).sum()
    rng = np.random.default_rng(0)
    draws = [rng.integers(0, len(protein), len(protein)) for _ in range(boot)]
    ci = np.percentile([pooled_r2(pred[i], tpm[i], protein[i]) for i in draws], [2.5, 97.5])
    return {"r2": pooled_r2(pred, tpm, protein), "r2_ci95": [round(float(c), 4) for c in ci],
            "pearson_r": float(np.corrcoef(pred[ok], y)[0, 1]), "r2_gene_mean": float(gene_r2),
            "genes": len(protein), "points": int(ok.sum())}


def run_ab(run: Path, regions: list, batch: int = 64, *, members: int | None = None) -> tuple[np.ndarray, dict]:
    """Ensemble-mean (a, b) of the first ``members`` (default all) members in ``run`` for ``regions``."""
    log = json.loads((run / "log.json").read_text())
    paths = sorted(run.glob("member*.safetensors"), key=lambda p: int(p.stem.removeprefix("member")))[:members]
    out = []
    for path in paths:
        net = PTRCNN(**log["config"]["network"])
        net.load_state_dict(load_file(str(path)))
        net.eval()
        with torch.no_grad():
            out.append(np.concatenate([net(*tensors(regions[s: s + batch], torch.device("cpu"))).numpy()
                                       for s in range(0, len(regions), batch)]))
    return np.mean(out, axis=0), log


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--run", type=Path, required=True, help="folder of the full model's members")
    ap.add_argument("--ablation", type=Path, nargs="*", default=[], help="folders of ablated runs")
    ap.add_argument("--split", default="test")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    regions, tpm, protein = load_split(args.data, args.split)
    _, tr_tpm, tr_protein = load_split(args.data, "train")
    ok = ~np.isnan(tr_tpm)
    x, y = tr_tpm[ok], np.broadcast_to(tr_protein[:, None], tr_tpm.shape)[ok]
    alpha, beta = np.polyfit(x, y, 1)
    result: dict = {"split": args.split, "baselines": {
        "mrna_linear": {**scores(alpha * tpm + beta, tpm, protein), "alpha": float(alpha), "beta": float(beta)},
        "naive_scaling": scores(y.mean() + (tpm - x.mean()), tpm, protein),
    }}
    ab, _ = run_ab(args.run, regions)
    result["model"] = {**scores(ab[:, :1] * tpm + ab[:, 1:], tpm, protein),
                       "members": len(list(args.run.glob("member*.safetensors")))}
    # the ablated runs have one member each: compare them with the full model's first member
    ab0, _ = run_ab(args.run, regions, members=1)
    result["model_member0"] = scores(ab0[:, :1] * tpm + ab0[:, 1:], tpm, protein)
    result["ablation"] = {}
    for run in args.ablation:
        ab_k, log_k = run_ab(run, regions)
        used = log_k["config"]["network"]["modules"]
        label = "without " + ", ".join(m for m in MODULES if m not in used) if len(used) > 4 else "only " + ", ".join(used)
        result["ablation"][label] = {**scores(ab_k[:, :1] * tpm + ab_k[:, 1:], tpm, protein), "run": str(run),
                                     "members": len(list(run.glob("member*.safetensors")))}
    text = json.dumps(result, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
