"""Rebuild the plugin's real examples from the published files (and their expected outputs).

    .venv/bin/python plugins/zoo-framepool/scripts/build_examples.py [PUBLISHED_DIR]

Writes into ``src/zoo_framepool/examples/``:

- ``calvo_pairs.tsv`` (id, ref, alt, gene, variant): the 5 pathogenic 5'UTR SNVs of Calvo_disease.tsv whose
  transcript length and SNV are exactly those of Kipoi's example rows (TMEM127, CPOX, CDKN2A, HBB, RPL5),
  id = the Ensembl transcript, variant = hg19 as Kipoi's table gives it.
- ``calvo_pairs_expected.tsv``: Kipoi's **published** log2 fold changes for them (6 decimals, copied as text
  from framepool_kipoi_example_patho_preds.tsv; mrl_fold_change, shift_1, shift_2 -> mrl_log2fc,
  mrl_log2fc_shift1, mrl_log2fc_shift2). Not computed by this port.
- ``utrs.fa``: the 10 Calvo reference 5'UTRs (50-351 nt) and the first 10 human 50-nt MPRA UTRs of
  human_utrs_result.csv.gz (Sample et al. 2019), the input of ``zoo test framepool``.
- ``expected_utrs.tsv``: ``zoo predict framepool utrs.fa`` with this port (no per-sequence MRL of these UTRs
  is published; the published-number guard is the pairs test). Needs the plugin installed.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import pandas as pd

EX = Path(__file__).resolve().parents[1] / "src" / "zoo_framepool" / "examples"
ROOT = Path(__file__).resolve().parents[3]
CALVO_KIPOI = {  # transcript -> gene: the Calvo rows that are exactly a Kipoi example variant (framepool/README.txt)
    "ENST00000258439": "TMEM127",
    "ENST00000264193": "CPOX",
    "ENST00000304494": "CDKN2A",
    "ENST00000335295": "HBB",
    "ENST00000370321": "RPL5",
}
SCORES = {"mrl_fold_change": "mrl_log2fc", "shift_1": "mrl_log2fc_shift1", "shift_2": "mrl_log2fc_shift2"}
N_MPRA = 10


def pairs(published: Path) -> None:
    calvo = pd.read_csv(published / "framepool" / "Calvo_disease.tsv", sep="\t", dtype=str)
    kipoi = pd.read_csv(published / "framepool" / "framepool_kipoi_example_patho_preds.tsv", sep="\t", dtype=str)
    rows, expected = [], []
    for tid, gene in CALVO_KIPOI.items():
        c = calvo[calvo["GeneName"] == gene].iloc[0]
        k = kipoi[kipoi["transcript_id"] == tid].iloc[0]
        diff = [i for i, (a, b) in enumerate(zip(c["utr"], c["snv"], strict=True)) if a != b]
        assert len(diff) == 1 and k["gene_name"] == gene, (gene, diff)
        rows.append({"id": tid, "ref": c["utr"], "alt": c["snv"], "gene": gene, "variant": k["variants"]})
        expected.append({"id": tid, "gene": gene, **{new: k[old] for old, new in SCORES.items()}})
    pd.DataFrame(rows).to_csv(EX / "calvo_pairs.tsv", sep="\t", index=False)
    pd.DataFrame(expected).to_csv(EX / "calvo_pairs_expected.tsv", sep="\t", index=False)


def utrs(published: Path) -> None:
    calvo = pd.read_csv(published / "framepool" / "Calvo_disease.tsv", sep="\t", dtype=str)
    with gzip.open(published / "optimus_human_utrs" / "human_utrs_result.csv.gz", "rt") as fh:
        mpra = pd.read_csv(fh, nrows=N_MPRA, dtype={"row": str, "utr": str})
    with (EX / "utrs.fa").open("w") as fa:
        for _, r in calvo.iterrows():
            fa.write(f">{r['GeneName']} reference 5'UTR, Calvo_disease.tsv (Karollus/5UTR), {len(r['utr'])} nt\n{r['utr']}\n")
        for _, r in mpra.iterrows():
            fa.write(f">human_mpra_{r['row']} human 5'UTR MPRA (Sample 2019), measured MRL {float(r['rl']):.3f}\n"
                     f"{r['utr']}\n")


def expected_utrs() -> None:
    import zoo

    zoo.get_model("framepool").predict(EX / "utrs.fa").to_csv(EX / "expected_utrs.tsv", sep="\t", index=False,
                                                               float_format="%.8g")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    published = Path(argv[0]).resolve() if argv else (ROOT.parent / "shared" / "data" / "published").resolve()
    EX.mkdir(parents=True, exist_ok=True)
    pairs(published)
    utrs(published)
    expected_utrs()
    print(f"examples -> {EX}: calvo_pairs.tsv, calvo_pairs_expected.tsv (published), utrs.fa, expected_utrs.tsv (port)")


if __name__ == "__main__":
    main()
