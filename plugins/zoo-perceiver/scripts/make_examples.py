"""Write the bundled examples: 8 held-out (test-split) A. thaliana genes with both labels and no N in the window.

    .venv/bin/python plugins/zoo-perceiver/scripts/make_examples.py --data ~/.cache/perceiver

Files in ``src/zoo_perceiver/examples/``:
* ``promoters_athaliana.fa``: the 10,500-nt stranded windows (TSS at index 7,000), cut from TAIR10 chromosome 1;
* ``proteins_athaliana.fa``: the representative transcripts' proteins;
* ``halflife_athaliana.tsv``: ``id`` + the 8 raw half-life features (what ``zoo perceiver-features`` computes);
* ``measured_athaliana.tsv``: the measured labels, log10(leaf RPKM + 0.1) and log10(PaxDb ppm + 0.1), to compare.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from zoo_dev.scripts import load_script

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "src" / "zoo_perceiver" / "examples"
train = load_script(HERE / "train.py", "perceiver_train")
FEATURES = ("UTR5LEN", "CDSLEN", "INTRONLEN", "UTR3LEN", "UTR5GC", "CDSGC", "UTR3GC", "ORFEXONDENSITY")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="build_dataset.py's output folder")
    ap.add_argument("--n", type=int, default=8)
    args = ap.parse_args(argv)
    head, *lines = (args.data / "athaliana.tsv").read_text().splitlines()
    rows = [dict(zip(head.split("\t"), r.split("\t"), strict=True)) for r in lines]
    pool = [r for r in rows if r["split"] == "test" and r["mrna"] != "NaN" and r["protein"] != "NaN"
            and r["window_n"] == "0"]
    random.Random(14).shuffle(pool)
    pick = sorted(pool[: args.n], key=lambda r: r["gene"])
    promoters = train.read_fasta(args.data / "athaliana_promoters.fa")
    proteins = train.read_fasta(args.data / "athaliana_proteins.fa")
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "promoters_athaliana.fa", "w") as fa:
        for r in pick:
            seq = promoters[r["gene"]]
            fa.write(f">{r['gene']} {r['chrom']}:{int(r['window_start']) + 1}-{r['window_end']}({r['strand']}) "
                     f"TSS at index 7000\n")
            fa.writelines(seq[i: i + 80] + "\n" for i in range(0, len(seq), 80))
    with open(OUT / "proteins_athaliana.fa", "w") as fa:
        for r in pick:
            seq = proteins[r["gene"]]
            fa.write(f">{r['gene']} {r['protein_id']}\n")
            fa.writelines(seq[i: i + 80] + "\n" for i in range(0, len(seq), 80))
    (OUT / "halflife_athaliana.tsv").write_text(
        "id\t" + "\t".join(FEATURES) + "\n"
        + "".join(r["gene"] + "\t" + "\t".join(r[f"raw_{f}"] for f in FEATURES) + "\n" for r in pick))
    (OUT / "measured_athaliana.tsv").write_text(
        "id\tmrna_log10_rpkm\tprotein_log10_ppm\n"
        + "".join(f"{r['gene']}\t{r['mrna_log10']}\t{r['protein_log10']}\n" for r in pick))
    print(f"{len(pick)} genes -> {OUT}: {', '.join(r['gene'] for r in pick)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
