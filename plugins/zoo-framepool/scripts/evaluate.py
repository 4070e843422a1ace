"""Pearson R of Framepool's MRL against the measured MRL of the human 50-nt 5'UTR MPRA test set.

    .venv/bin/python plugins/zoo-framepool/scripts/evaluate.py [--data CSV_GZ] [--rows 25000] [--write]

The test set is the first 25,000 rows of ``optimus_human_utrs/human_utrs_result.csv.gz`` (Sample et al. 2019,
GSE114002; the split of Karollus/5UTR Modelling/Validations.ipynb, where FramepoolCombined has R = 0.867).
Predictions go through the user's path (``zoo.get_model("framepool").predict`` on the sequences: checking,
one-hot, batching), timed. Pearson R does not depend on the library indicator (MRL = a*y + b with a > 0 for
both); both are printed. ``--write`` puts the measured R into model.yaml's metrics through the spec.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[3]
FOLDER = Path(__file__).resolve().parents[1] / "src" / "zoo_framepool" / "models" / "framepool"
DATA = (ROOT.parent / "shared" / "data" / "published" / "optimus_human_utrs" / "human_utrs_result.csv.gz").resolve()
PAPER_R = 0.867
METRIC = "pearson r (human 50-nt MPRA test)"


def evaluate(data: Path = DATA, rows: int = 25_000, batch_size: int = 256) -> dict[str, Any]:
    """Pearson R (and wall time) of the port on the first ``rows`` UTRs of ``data``."""
    import torch

    import zoo

    df = pd.read_csv(data, nrows=rows, usecols=["utr", "rl"])
    model = zoo.get_model("framepool")
    model.load()
    out: dict[str, Any] = {"rows": len(df), "batch_size": batch_size}
    for library in ("kipoi", "egfp_unmod_1"):
        start = time.perf_counter()
        pred = model.predict(list(df["utr"]), batch_size=batch_size, library=library)["mrl"].to_numpy()
        seconds = time.perf_counter() - start
        out[library] = {"pearson_r": float(np.corrcoef(pred, df["rl"])[0, 1]), "seconds": round(seconds, 2),
                        "mean_mrl": float(pred.mean())}
    out["machine"] = {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
                      "python": platform.python_version(), "load_average_1min": round(os.getloadavg()[0], 2)}
    return out


def write_metric(r: float, rows: int) -> None:
    from zoo_core.spec import Metric, load_spec
    from zoo_dev.specs import write_spec

    spec = load_spec(FOLDER / "model.yaml")
    measured = Metric(
        name=METRIC, value=round(r, 5), source="measured",
        data="human_utrs_result.csv.gz (Sample 2019 human 50-nt 5'UTR MPRA, measured rl), kipoi/models @ 06bfe84",
        split=f"first {rows:,} rows = the paper's human fixed-length test set",
        note=f"This port, scripts/evaluate.py; the paper's {PAPER_R} is this figure rounded to 3 decimals.")
    metrics = [m for m in spec.metrics if not (m.source == "measured" and m.name == METRIC)]
    at = next((i + 1 for i, m in enumerate(metrics) if m.name == METRIC), len(metrics))
    write_spec(spec.model_copy(update={"metrics": [*metrics[:at], measured, *metrics[at:]]}), FOLDER / "model.yaml")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--rows", type=int, default=25_000)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--write", action="store_true", help="put the measured R into model.yaml's metrics")
    args = ap.parse_args(argv)
    result = evaluate(args.data, args.rows, args.batch_size)
    result["paper_pearson_r"] = PAPER_R
    print(json.dumps(result, indent=1))
    if args.write:
        write_metric(result["kipoi"]["pearson_r"], result["rows"])


if __name__ == "__main__":
    main()
