"""The one-line floor of issue 16: protein-coding if the longest ATG…stop ORF has >= 100 codons (stop excluded).

    python plugins/zoo-bioseq2seq/scripts/orf_rule.py --data build/bioseq2seq_v2 [--split test] [--json out.json]

Same ORF search as the v1 dataset's mouse targets (``build_dataset.longest_orf``); PC positive; all and per species.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_dataset import orf_rule
from evaluate import metrics


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("build/bioseq2seq_v2"))
    ap.add_argument("--split", default="test")
    ap.add_argument("--codons", type=int, default=100)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    df = pd.read_csv(args.data / f"{args.split}.tsv", sep="\t", keep_default_na=False, dtype=str)

    df["pred"] = [orf_rule(r, args.codons) for r in df["rna"]]
    result = {"rule": f"longest ORF >= {args.codons} codons", "split": str(args.data / args.split),
              "all": metrics(df["class"].tolist(), df["pred"].tolist())}
    for species, part in df.groupby("species"):
        result[str(species)] = metrics(part["class"].tolist(), part["pred"].tolist())
    text = json.dumps(result, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
