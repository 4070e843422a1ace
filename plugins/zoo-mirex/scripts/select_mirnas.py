"""Select each tissue's 10 miREx and 10 AbsCorr miRNAs from the residuals of the no-miRNA model, on training genes only.

    .venv/bin/python plugins/zoo-mirex/scripts/select_mirnas.py --data build/mirex --runs build/mirex/runs \\
        --out build/mirex/selection.json [--score binary|validated] [--sign paper|code]

Spec §2.4. For each tissue, the no-miRNA ("xpresso") run with the lowest validation MSE among
``<runs>/<tissue>/xpresso/seed*/`` (train.py / evaluate.py write them; spec §9.5 #10, the clean variant: the paper's
code took the best by test r²) gives each gene's prediction. On the **training genes only** (the paper's code used
all 18,347 genes, test genes included: a leak this script does not repeat):

* residual = actual − predicted (``--sign paper``, the default and the paper's text); ``--sign code`` is the authors'
  code: an OLS recalibration ``predAdj = a + b · predicted`` fitted on the same genes, then predAdj − actual;
* for every candidate miRNA (in the tissue's adjacent-normal profile, with TargetScan targets among ≥ ``--min-targets``
  training genes), Spearman's rho between the residuals and the target score, and between |residual| and the score;
* miREx: the 10 with the highest rho; AbsCorr: the 10 with the highest rho for |residual| (ties by name; NaN never
  selected).

The score stands in for TargetScan's CWCS (cumulative weighted context++ score: lower = stronger repression, 0 = no
site), which the offline data lack: ``--score binary`` (default) is −1 for a TargetScan 7.0 target, 0 otherwise;
``--score validated`` is −1 for a predicted target and −2 for one also experimentally validated (miRTarBase 6.1 /
TarBase 7.0 / miRWalk 2.0). Site counts would need 3'UTR sequences, which exist here for too few genes. With the
paper's sign, a positive rho means the miRNA's targets sit below the no-miRNA prediction: the rationale of §2.4.

The output also compares the lists with the paper's Tables 3 and 5 (LUAD for lung, BRCA for breast; names mapped by the
authors' rule, :func:`zoo_mirex.gdc.paper_mirna_name`).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
from zoo_mirex.dataset import SCORES, Data, candidate_mirnas, load, score_matrix
from zoo_mirex.gdc import paper_mirna_name
from zoo_mirex.stats import pearson, ranks
from zoo_mirex.tissues import TISSUES

TOP = 10
PAPER = {  # spec §6.3, Tables 3 and 5, names as printed (hairpin style, no hsa- prefix)
    "lung": {"source": "Table 3, LUAD",
             "mirex": ["mir-23a", "mir-23b", "mir-101-2", "mir-145", "mir-199b", "mir-206", "mir-655", "mir-20b",
                       "mir-93", "mir-101-1"],
             "abscorr": ["mir-15a", "mir-15b", "mir-200c", "mir-340", "mir-23b", "mir-195", "mir-424", "mir-429",
                         "mir-497", "mir-23a"]},
    "breast": {"source": "Table 5, BRCA",
               "mirex": ["mir-1", "mir-124-1", "mir-124-2", "mir-142-1", "mir-142-2", "mir-199a", "mir-199b", "mir-206",
                         "mir-325", "mir-506"],
               "abscorr": ["mir-124-1", "mir-124-2", "mir-15a", "mir-15b", "mir-16", "mir-195", "mir-200b", "mir-340",
                           "mir-497", "mir-506"]},
}


def best_run(runs: Path, tissue: str) -> Path:
    """The finished no-miRNA run of ``tissue`` with the lowest validation MSE."""
    done = [p.parent for p in sorted((runs / tissue / "xpresso").glob("*/result.json"))]
    if not done:
        raise SystemExit(f"error: no finished no-miRNA run under {runs / tissue / 'xpresso'} (train.py --config xpresso, "
                         "or evaluate.py --configs xpresso)")
    return min(done, key=lambda p: json.loads((p / "result.json").read_text())["valid"]["mse"])


def read_predictions(path: Path) -> dict[str, tuple[str, float, float]]:
    """``{gene: (split, actual, predicted)}`` of a run's predictions.tsv."""
    out = {}
    for line in path.read_text().splitlines()[1:]:
        gene, split, actual, pred = line.split("\t")
        out[gene] = (split, float(actual), float(pred))
    return out


def residuals(actual: np.ndarray, pred: np.ndarray, sign: str) -> np.ndarray:
    """``paper``: actual − predicted; ``code``: OLS-recalibrated prediction − actual (the authors' create_lists.py)."""
    if sign == "paper":
        return actual - pred
    b, a = np.polyfit(pred, actual, 1)
    return (a + b * pred) - actual


def select(data: Data, tissue: str, predictions: dict[str, tuple[str, float, float]], *, score: str = "binary",
           sign: str = "paper", min_targets: int = 10, top: int = TOP) -> dict[str, Any]:
    """The miREx and AbsCorr lists of one tissue from a no-miRNA run's predictions (training genes only)."""
    train = data.rows("train")
    missing = [g for g in data.genes[train] if g not in predictions]
    if missing:
        raise SystemExit(f"error: the predictions lack {len(missing)} training genes, e.g. {missing[:3]}")
    for g in data.genes[train]:
        if predictions[g][0] != "train":
            raise SystemExit(f"error: {g} is a training gene, but the run's predictions call it {predictions[g][0]}")
    actual = np.array([predictions[g][1] for g in data.genes[train]])
    pred = np.array([predictions[g][2] for g in data.genes[train]])
    res = residuals(actual, pred, sign)
    r_res, r_abs = ranks(res), ranks(np.abs(res))
    candidates = candidate_mirnas(data, tissue, min_targets=min_targets)
    scores = score_matrix(data, candidates, score)[train]
    rho: dict[str, dict[str, float]] = {}
    for j, m in enumerate(candidates):
        s = ranks(scores[:, j])
        # Spearman's rho: Pearson r of average ranks
        rho[m] = {"rho": pearson(r_res, s), "rho_abs": pearson(r_abs, s), "targets": int((scores[:, j] < 0).sum())}

    def top_by(key: str) -> list[str]:
        ok = [m for m in candidates if not math.isnan(rho[m][key])]
        return sorted(ok, key=lambda m: (-rho[m][key], m))[:top]

    return {"mirex": top_by("rho"), "abscorr": top_by("rho_abs"), "training_genes": len(train),
            "candidates": len(candidates), "rho": rho}


def paper_overlap(tissue: str, lists: dict[str, list[str]]) -> dict[str, Any] | None:
    """Overlap with the paper's list of the matching tumour type, by the authors' name mapping."""
    if tissue not in PAPER:
        return None
    paper = PAPER[tissue]
    out: dict[str, Any] = {"source": paper["source"]}
    for config in ("mirex", "abscorr"):
        ours = {paper_mirna_name(m).removeprefix("hsa-") for m in lists[config]}
        out[config] = sorted(ours & set(paper[config]))
        out[f"paper_{config}"] = list(paper[config])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="build_dataset.py's output folder")
    ap.add_argument("--runs", type=Path, required=True, help="folder of <tissue>/xpresso/seed*/ runs")
    ap.add_argument("--out", type=Path, required=True, help="selection JSON to write")
    ap.add_argument("--tissues", nargs="+", choices=list(TISSUES), default=list(TISSUES))
    ap.add_argument("--score", choices=SCORES, default="binary",
                    help="cwcs (a --targetscan-context build) or a stand-in for it (module docstring)")
    ap.add_argument("--sign", choices=("paper", "code"), default="paper", help="residual definition")
    ap.add_argument("--min-targets", type=int, default=10,
                    help="candidates need this many targeted training genes (Xpresso's analysis required > 10)")
    args = ap.parse_args(argv)
    data = load(args.data)
    doc: dict[str, Any] = {"settings": {"score": args.score, "sign": args.sign, "min_targets": args.min_targets,
                                        "genes": "training split only", "top": TOP}, "tissues": {}}
    for tissue in args.tissues:
        run = best_run(args.runs, tissue)
        chosen = select(data, tissue, read_predictions(run / "predictions.tsv"), score=args.score, sign=args.sign,
                        min_targets=args.min_targets)
        chosen["run"] = str(run)
        chosen["paper_overlap"] = paper_overlap(tissue, chosen)
        doc["tissues"][tissue] = chosen
        print(f"{tissue}: {chosen['candidates']} candidates over {chosen['training_genes']} training genes (run {run})\n"
              f"  miREx   {', '.join(chosen['mirex'])}\n  AbsCorr {', '.join(chosen['abscorr'])}"
              + (f"\n  shared with the paper's {chosen['paper_overlap']['source']}: miREx "
                 f"{chosen['paper_overlap']['mirex']}, AbsCorr {chosen['paper_overlap']['abscorr']}"
                 if chosen["paper_overlap"] else ""))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
