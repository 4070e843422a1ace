"""Held-out figures for trained PTR-CNN runs, next to baselines on the same genes and points.

    python plugins/zoo-ptr-cnn/scripts/evaluate.py --data build/ptr/hsapiens.tsv --run build/ptr/hsapiens \
        [--ablation build/ptr/hsapiens-no_counts ...] [--min-points 8] --json out.json

Two measures, on the test split, over the (gene, tissue) points with both a protein level and an mRNA level ≥ 1 TPM:

- ``per_gene``, **the paper's metric**: for each gene with at least ``--min-points`` points, r² = 1 − SSE / SST of
  predicted vs measured log2 protein across that gene's tissues (SST around the gene's own mean, so 0 is "the gene's
  average protein level in every tissue"); averaged over the genes (the median is also given). Undefined for a gene
  whose protein level does not vary across its samples, which is every A. thaliana gene here (one PaxDb value for the
  three leaf time points), so it is reported only where protein is per sample.
- ``pooled``: 1 − SSE / SST over all test points (SST around the test mean), and Pearson r: Eraslan 2019's kind of
  figure, across genes as much as across tissues.

Each comes with a 95% bootstrap interval over genes (1,000 resamples, seed 0, the same resamples for every model).

Baselines on the same genes:

- ``mrna_only``: the paper's per-gene linear regression of log2 protein on log2 TPM, fitted for each point on the
  gene's *other* tissues (leave one tissue out; genes with ≥ 3 points), so it uses the gene's own measured proteins;
- ``mrna_linear``: one regression log2 protein ~ alpha · log2 TPM + beta fitted on the training points;
- ``naive_scaling``: the paper's iBAQ_spec = iBAQ_avg · TPM_spec / TPM_avg (log2: the gene's mean protein plus its
  TPM's deviation from the gene's mean TPM), which also uses the gene's own measured proteins.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file
from train import load_split, points, tensors

from zoo_ptr_cnn.network import MODULES, PTRCNN

BOOT = 1000


def per_gene_r2(pred: np.ndarray, y: np.ndarray, ok: np.ndarray, min_points: int) -> np.ndarray:
    """r² across each gene's points (``(N,)``, NaN where fewer than ``min_points`` or no variation)."""
    out = np.full(len(y), np.nan)
    for i in range(len(y)):
        m = ok[i]
        if m.sum() < min_points:
            continue
        sst = ((y[i, m] - y[i, m].mean()) ** 2).sum()
        if sst > 1e-12:
            out[i] = 1 - ((pred[i, m] - y[i, m]) ** 2).sum() / sst
    return out


def pooled_r2(pred: np.ndarray, y: np.ndarray, ok: np.ndarray) -> float:
    return float(1 - ((pred[ok] - y[ok]) ** 2).sum() / ((y[ok] - y[ok].mean()) ** 2).sum())


def scores(pred: np.ndarray, tpm: np.ndarray, protein: np.ndarray, min_points: int) -> dict:
    """Pooled and per-gene r² of ``pred`` ``(N, S)`` with 95% bootstrap intervals over genes."""
    ok = points(tpm, protein) & ~np.isnan(pred)
    rng = np.random.default_rng(0)
    draws = [rng.integers(0, len(protein), len(protein)) for _ in range(BOOT)]
    gene = per_gene_r2(pred, protein, ok, min_points)
    out: dict = {"pooled": {"r2": pooled_r2(pred, protein, ok), "pearson_r": float(np.corrcoef(pred[ok], protein[ok])[0, 1]),
                            "genes": int(ok.any(axis=1).sum()), "points": int(ok.sum())}}
    out["pooled"]["r2_ci95"] = _ci([pooled_r2(pred[d], protein[d], ok[d]) for d in draws])
    defined = ~np.isnan(gene)
    if defined.any():
        out["per_gene"] = {"r2_mean": float(gene[defined].mean()), "r2_median": float(np.median(gene[defined])),
                           "genes": int(defined.sum()), "points": int(ok[defined].sum()), "min_points": min_points,
                           "r2_mean_ci95": _ci([np.nanmean(gene[d]) for d in draws if (~np.isnan(gene[d])).any()])}
    return out


def _ci(values: list[float]) -> list[float]:
    return [round(float(c), 4) for c in np.percentile(values, [2.5, 97.5])]


def mrna_only(tpm: np.ndarray, protein: np.ndarray) -> np.ndarray:
    """The paper's per-gene regression, leave one tissue out: each point predicted from the gene's other points."""
    ok = points(tpm, protein)
    pred = np.full(tpm.shape, np.nan)
    for i in range(len(tpm)):
        idx = np.flatnonzero(ok[i])
        if len(idx) < 3:
            continue
        for j in idx:
            rest = idx[idx != j]
            x, y = tpm[i, rest], protein[i, rest]
            slope = 0.0 if np.ptp(x) == 0 else np.polyfit(x, y, 1)[0]
            pred[i, j] = y.mean() + slope * (tpm[i, j] - x.mean())
    return pred


def naive_scaling(tpm: np.ndarray, protein: np.ndarray, slope: np.ndarray | float = 1.0) -> np.ndarray:
    """The gene's mean log2 protein plus ``slope`` times its log2 TPM's deviation from the gene's mean (paper: 1)."""
    ok = points(tpm, protein)
    with np.errstate(invalid="ignore"):
        mean_p = np.nanmean(np.where(ok, protein, np.nan), axis=1, keepdims=True)
        mean_t = np.nanmean(np.where(ok, tpm, np.nan), axis=1, keepdims=True)
    return mean_p + slope * (tpm - mean_t)


def run_ab(run: Path, regions: list, batch: int = 64, *, members: int | None = None) -> tuple[np.ndarray, dict]:
    """Ensemble-mean (a, b) of the first ``members`` (default all) members in ``run`` for ``regions``."""
    log = json.loads((run / "log.json").read_text())
    paths = sorted(run_paths(run), key=lambda p: int(p.stem.removeprefix("member")))[:members]
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
    ap.add_argument("--min-points", type=int, default=8, help="genes with fewer points get no per-gene r²")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--markdown", type=Path, help="the card's table")
    args = ap.parse_args(argv)

    regions, tpm, protein = load_split(args.data, args.split)
    _, tr_tpm, tr_protein = load_split(args.data, "train")
    ok = points(tr_tpm, tr_protein)
    alpha, beta = np.polyfit(tr_tpm[ok], tr_protein[ok], 1)
    k = args.min_points
    result: dict = {"split": args.split, "data": str(args.data), "samples": int(tpm.shape[1]), "baselines": {
        "mrna_only": scores(mrna_only(tpm, protein), tpm, protein, k),
        "mrna_linear": {**scores(alpha * tpm + beta, tpm, protein, k), "alpha": float(alpha), "beta": float(beta)},
        "naive_scaling": scores(naive_scaling(tpm, protein), tpm, protein, k),
    }}
    ab, _ = run_ab(args.run, regions)
    result["model"] = {**scores(ab[:, :1] * tpm + ab[:, 1:], tpm, protein, k), "members": len(run_paths(args.run))}
    # diagnostic, not a predictor: the model's slope around the gene's own measured means, i.e. naive scaling with
    # slope a instead of 1; it isolates what the predicted slope adds from the error of the predicted offset
    result["model_slope_own_means"] = scores(naive_scaling(tpm, protein, slope=ab[:, :1]), tpm, protein, k)
    # the ablated runs have one member each: compare them with the full model's first member
    ab0, _ = run_ab(args.run, regions, members=1)
    result["model_member0"] = scores(ab0[:, :1] * tpm + ab0[:, 1:], tpm, protein, k)
    result["ablation"] = {}
    for run in args.ablation:
        ab_k, log_k = run_ab(run, regions)
        used = log_k["config"]["network"]["modules"]
        label = "without " + ", ".join(m for m in MODULES if m not in used) if len(used) > 4 else "only " + ", ".join(used)
        result["ablation"][label] = {**scores(ab_k[:, :1] * tpm + ab_k[:, 1:], tpm, protein, k), "run": str(run),
                                     "members": len(run_paths(run))}
    text = json.dumps(result, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    if args.markdown:
        args.markdown.write_text(markdown(result))


ROWS = {"mrna_only": "mRNA-only, the gene's own per-gene regression (leave one tissue out)",
        "mrna_linear": "mRNA-only, one linear regression fitted on the training points",
        "naive_scaling": "naive scaling (the gene's own mean protein and mRNA)"}


def markdown(result: dict) -> str:
    """The card's table: per-gene and pooled r² with their intervals, for the model, the baselines, the ablations."""
    def cells(s: dict) -> str:
        g, p = s.get("per_gene"), s["pooled"]
        gene = (f"{g['r2_mean']:.2f} ({g['r2_mean_ci95'][0]:.2f} to {g['r2_mean_ci95'][1]:.2f}) | {g['r2_median']:.2f}"
                if g else "undefined | ")
        return f"{gene} | {p['r2']:.3f} ({p['r2_ci95'][0]:.2f} to {p['r2_ci95'][1]:.2f}) | {p['pearson_r']:.3f}"

    rows = [(f"**PTR-CNN (this model, {result['model']['members']} members)**", result["model"])]
    rows += [(ROWS[k], v) for k, v in result["baselines"].items()]
    if "model_slope_own_means" in result:
        rows.append(("diagnostic: PTR-CNN's slope a around the gene's own measured means", result["model_slope_own_means"]))
    rows.append(("full model, member 0 only (the ablations' reference)", result["model_member0"]))
    rows += [(f"ablation: {k} ({v['members']} member)", v) for k, v in result["ablation"].items()]
    lines = ["| predictor | per-gene r², mean (95% CI) | per-gene r², median | pooled r² (95% CI) | pooled Pearson r |",
             "|---|---|---|---|---|"] + [f"| {name} | {cells(s)} |" for name, s in rows]
    m = result["model"]
    g = m.get("per_gene")
    lines.append("")
    lines.append(f"{result['split']} split: {m['pooled']['genes']} genes, {m['pooled']['points']} (gene, sample) points over "
                 f"{result['samples']} samples; per-gene r² on the "
                 + (f"{g['genes']} genes with ≥ {g['min_points']} points ({g['points']} points)." if g else
                    "genes whose protein varies across samples: none here."))
    return "\n".join(lines) + "\n"


def run_paths(run: Path) -> list[Path]:
    return [p for p in run.glob("member*.safetensors") if ".state" not in p.name]


if __name__ == "__main__":
    main()
