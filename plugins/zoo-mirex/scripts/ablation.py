"""What each selected miRNA does in a trained miREx network: its feature zeroed, one at a time, on the test genes.

    .venv/bin/python plugins/zoo-mirex/scripts/ablation.py --data build/mirex --run build/mirex/runs/lung/mirex/seed3 \\
        --json build/mirex/ablation_lung.json

The paper's story is that a tissue's miRNAs lower their targets' mRNA. For each of the run's miRNAs the feature
(target × log10(count + 0.1)) is set to 0, which is what the network sees for a gene the miRNA does not target, and the
test genes are predicted again:

* ``targeted``: the test genes (of all test genes) that TargetScan says the miRNA targets; only their prediction can
  change;
* ``mean_delta``: the mean over those genes of prediction(with the miRNA) − prediction(zeroed), in log10(nTPM + 0.1);
  negative = the network lowers the miRNA's targets, as repression would;
* ``delta_r2``: test r² (Pearson²) with the miRNA zeroed minus the full model's; negative = the miRNA helps.

The last row zeroes all of the run's miRNAs at once. ``package.py`` puts the table of the packaged run in its model card.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from zoo_dev.scripts import load_script

train = load_script(Path(__file__).with_name("train.py"), "mirex_train")


def ablate(predict: Callable[[np.ndarray], np.ndarray], x_mirna: np.ndarray, actual: np.ndarray,
           mirnas: list[str]) -> list[dict[str, Any]]:
    """One row per miRNA (its column of ``x_mirna`` zeroed), then one with every column zeroed.

    ``predict`` maps the miRNA features of the genes (rows of ``x_mirna``) to predictions; ``actual`` are their
    labels.
    """
    from zoo_mirex.stats import r2_scores

    full = predict(x_mirna)
    base = r2_scores(full, actual)["r2_pearson"]
    rows = []
    for j, name in [*enumerate(mirnas), (None, "all miRNAs")]:
        x = x_mirna.copy()
        targeted = x_mirna[:, j] != 0 if j is not None else (x_mirna != 0).any(axis=1)
        if j is None:
            x[:] = 0
        else:
            x[:, j] = 0
        zeroed = predict(x)
        delta = full[targeted] - zeroed[targeted]
        rows.append({"mirna": name, "targeted": int(targeted.sum()), "genes": len(actual),
                     "mean_delta": float(delta.mean()) if targeted.any() else 0.0,
                     "delta_r2": r2_scores(zeroed, actual)["r2_pearson"] - base})
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| miRNA | targeted test genes | mean Δ prediction on them (with − without) | Δ test r² without it |",
             "|---|---|---|---|"]
    lines += [f"| {r['mirna']} | {r['targeted']} of {r['genes']} | {r['mean_delta']:+.4f} | {r['delta_r2']:+.4f} |"
              for r in rows]
    return "\n".join(lines)


def ablation_of_run(data_folder: Path, run: Path) -> list[dict[str, Any]]:
    """:func:`ablate` on the test genes for a finished train.py run (its weights, miRNAs and tissue)."""
    import torch
    from safetensors.torch import load_file
    from zoo_mirex.dataset import load, mirna_matrix
    from zoo_mirex.network import MiRExNet
    from zoo_mirex.tissues import WINDOW

    torch.set_num_threads(1)
    result = json.loads((run / "result.json").read_text())
    mirnas, tissue = list(result["mirnas"]), result["tissue"]
    if not mirnas:
        raise SystemExit(f"error: {run} has no miRNA inputs")
    data = load(data_folder)
    net = MiRExNet(seq_len=WINDOW, n_mirna=len(mirnas))
    net.load_state_dict(load_file(str(run / "model.safetensors")))
    test = data.rows("test")
    x_all = mirna_matrix(data, tissue, mirnas)

    def predict(x: np.ndarray) -> np.ndarray:
        full = np.zeros_like(x_all)
        full[test] = x
        return train.predict(net, data, test, full)

    return ablate(predict, x_all[test], data.labels[tissue][test], mirnas)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="build_dataset.py's output folder")
    ap.add_argument("--run", type=Path, required=True, help="a finished train.py run with miRNA inputs")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    rows = ablation_of_run(args.data, args.run)
    result = json.loads((args.run / "result.json").read_text())
    print(f"{args.run} ({result['tissue']}; full model test r² {result['test']['r2_pearson']:.4f})\n{markdown(rows)}")
    if args.json:
        args.json.write_text(json.dumps({"run": str(args.run), "tissue": result["tissue"], "rows": rows}, indent=1)
                             + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
