"""APARENT2 on the 1,818 ClinVar SNVs measured in the designed APA MPRA (Bogard et al. 2019): Pearson r of the
predicted against the measured change in proximal-isoform log-odds.

    .venv/bin/python plugins/zoo-aparent2/scripts/clinvar_mpra.py [CSV] [--downstream SEQ] [--batch-size N]

CSV defaults to ``../shared/data/published/aparent2/apa_variant_mpra_clinvar_snvs.csv`` (tab-separated despite
its name; johli/aparent @ 69ad297, MIT): ``wt_seq``/``master_seq`` are the 164-nt variable region of the
reference and variant reporter (PAS hexamer at index 50), ``delta_logodds_true`` the measured effect,
``delta_logodds_pred`` APARENT v1's prediction.

The model reads 205 nt with the hexamer at index 70, so each window is ``20 nt + 164-nt region + 21 nt``. In
the reporter (the authors' plasmid map, v2_apa_array.gb) the 20 nt upstream are a random N20 barcode that
differs from reporter to reporter and is not recorded in the table, and the 21 nt downstream are plasmid
sequence that no file on disk holds. Both default to N, which APARENT encodes as 0.25 per channel ("unknown
base"), so nothing is invented. ``--downstream SEQ`` puts a known 21-nt downstream sequence instead (the model
card gives the plasmid's, with its source). The same flanks go into the reference and the variant window.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parents[1]
DEFAULT_CSV = HERE.parents[1] / ".." / "shared" / "data" / "published" / "aparent2" / "apa_variant_mpra_clinvar_snvs.csv"
REGION = 164
UPSTREAM = 20  # the reporter's N20 barcode: hexamer at 50 in the region → 70 in the window
DOWNSTREAM = 205 - UPSTREAM - REGION  # 21


def pairs(table: pd.DataFrame, downstream: str) -> pd.DataFrame:
    """The ``id, ref, alt`` windows of every SNV."""
    up = "N" * UPSTREAM
    return pd.DataFrame({"id": [f"snv_{i}" for i in range(len(table))],
                         "ref": up + table["wt_seq"] + downstream, "alt": up + table["master_seq"] + downstream})


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def main() -> None:
    import torch

    import zoo

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("csv", nargs="?", type=Path, default=DEFAULT_CSV.resolve())
    ap.add_argument("--downstream", default="N" * DOWNSTREAM, help=f"the {DOWNSTREAM} nt after the variable region")
    ap.add_argument("--batch-size", type=int, default=256)
    args = ap.parse_args()
    if len(args.downstream) != DOWNSTREAM:
        ap.error(f"--downstream must have {DOWNSTREAM} nt, got {len(args.downstream)}")
    table = pd.read_csv(args.csv, sep="\t")
    assert table["wt_seq"].str.len().eq(REGION).all() and table["master_seq"].str.len().eq(REGION).all()
    start = time.perf_counter()
    scores = zoo.get_model("aparent2-resnet").score_pairs(pairs(table, args.downstream.upper()), batch_size=args.batch_size)
    seconds = time.perf_counter() - start
    truth = table["delta_logodds_true"].to_numpy(float)
    print(f"{args.csv.name}: {len(table)} SNVs; windows = N x {UPSTREAM} + 164-nt region + {args.downstream.upper()}; "
          f"library 11; {seconds:.1f} s ({torch.get_num_threads()} torch threads, load {os.getloadavg()[0]:.2f})")
    print("| score | Pearson r vs measured delta log-odds | Spearman |")
    print("|---|---|---|")
    rows = [(f"APARENT2 {c}", scores[c].to_numpy(float)) for c in
            ("delta_logodds_80_110", "delta_logodds_77_127", "delta_logodds_0_205")]
    rows.append(("APARENT v1 (delta_logodds_pred column of the table)", table["delta_logodds_pred"].to_numpy(float)))
    for name, pred in rows:
        rho = pearson(pd.Series(pred).rank().to_numpy(), pd.Series(truth).rank().to_numpy())
        print(f"| {name} | {pearson(pred, truth):.3f} | {rho:.3f} |")


if __name__ == "__main__":
    main()
