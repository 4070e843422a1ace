"""Is model A better than model B on the same split? Paired bootstrap of the F1 and MCC differences, and McNemar.

    python plugins/zoo-bioseq2seq/scripts/evaluate.py --model bioseq2seq --predictions a.tsv
    python plugins/zoo-bioseq2seq/scripts/evaluate.py --model edc --predictions b.tsv
    python plugins/zoo-bioseq2seq/scripts/compare.py a.tsv b.tsv --names bioseq2seq edc [--boot 2000] [--json out.json]

Each file is ``evaluate.py --predictions`` output (id, species, class, predicted) for the same transcripts.
The bootstrap resamples transcripts (the same draw for both models, so the difference keeps their pairing);
the interval is the 2.5-97.5 percentiles of A - B. McNemar's exact test (two-sided binomial on the transcripts
that exactly one model gets right) asks whether their error rates differ. PC is the positive class.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def f1_mcc(truth: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """F1 and MCC (PC positive) of boolean arrays ``(..., n)``, vectorised over leading bootstrap axes."""
    tp = (truth & pred).sum(-1).astype(float)
    fp = (~truth & pred).sum(-1).astype(float)
    fn = (truth & ~pred).sum(-1).astype(float)
    tn = (~truth & ~pred).sum(-1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
        denom = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
        mcc = np.where(denom > 0, (tp * tn - fp * fn) / np.where(denom > 0, denom, 1.0), 0.0)
    return f1, mcc


def mcnemar_p(a_right: np.ndarray, b_right: np.ndarray) -> float:
    """Two-sided exact McNemar p: binomial(n discordant, 1/2)."""
    only_a, only_b = int((a_right & ~b_right).sum()), int((~a_right & b_right).sum())
    n, k = only_a + only_b, min(only_a, only_b)
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def compare(a: pd.DataFrame, b: pd.DataFrame, *, boot: int = 2000, seed: int = 0) -> dict[str, float]:
    """Point estimates, bootstrap 95% intervals of A - B, and McNemar's p for two prediction tables.

    Raises
    ------
    ValueError
        The tables do not hold the same transcripts with the same labels.
    """
    b = b.set_index("id").reindex(a["id"])
    if b["class"].isna().any() or (b["class"].to_numpy() != a["class"].to_numpy()).any():
        raise ValueError("the two prediction files do not hold the same transcripts with the same labels")
    truth = a["class"].to_numpy() == "PC"
    pa, pb = a["predicted"].to_numpy() == "PC", b["predicted"].to_numpy() == "PC"
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(truth), size=(boot, len(truth)))
    fa, ma = f1_mcc(truth[idx], pa[idx])
    fb, mb = f1_mcc(truth[idx], pb[idx])
    (f1a, mcca), (f1b, mccb) = (tuple(float(v) for v in f1_mcc(truth, p)) for p in (pa, pb))
    lo, hi = 2.5, 97.5
    return {"n": len(truth), "f1_a": f1a, "f1_b": f1b, "mcc_a": mcca, "mcc_b": mccb,
            "f1_diff": f1a - f1b, "f1_diff_ci": [float(np.percentile(fa - fb, lo)), float(np.percentile(fa - fb, hi))],
            "mcc_diff": mcca - mccb,
            "mcc_diff_ci": [float(np.percentile(ma - mb, lo)), float(np.percentile(ma - mb, hi))],
            "mcnemar_p": mcnemar_p(pa == truth, pb == truth), "boot": boot, "seed": seed}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    ap.add_argument("--names", nargs=2, default=["A", "B"])
    ap.add_argument("--boot", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    tables = [pd.read_csv(p, sep="\t", dtype=str, keep_default_na=False) for p in (args.a, args.b)]
    try:
        result = {"a": args.names[0], "b": args.names[1], **compare(*tables, boot=args.boot, seed=args.seed)}
    except ValueError as err:
        print(f"compare.py: {args.a} vs {args.b}: {err}", file=sys.stderr)
        return 1
    text = json.dumps(result, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
