"""Rebuild the bundled examples of zoo-aparent2 from the published golden table.

    .venv/bin/python plugins/zoo-aparent2/scripts/build_examples.py [SHARED_APARENT2_DIR]

Input: ``golden_aparent2_example_variants.tsv`` (the authors' PTEN, TP53 and F2 example variants: 205-nt
reference and variant windows, PAS hexamer at index 70, and their published delta log-odds; extracted from
examples/aparent2_score_variants.ipynb of johli/aparent-resnet @ a745736, MIT). Writes into
``src/zoo_aparent2/examples/``:

- ``variant_pairs.tsv``: id, ref, alt (what ``zoo vep --pairs`` reads);
- ``variant_pairs_published.tsv``: id and the two published scores, 6 decimals, copied unchanged;
- ``pas_windows.fa``: the six windows (``<gene>_ref``, ``<gene>_alt``), the ``zoo test`` input;
- ``pas_contig.fa`` (+ ``.fai``) and ``pas_sites.bed``: a toy "genome" for the ``--genome`` + BED mode, one
  contig made of the three reference windows, TP53's reverse-complemented so it lies on the minus strand, and
  one BED row per window in each accepted form: a 1-nt hexamer site (PTEN, +), the 6-nt hexamer (TP53, −) and
  the whole 205-nt window (F2, +). Cut through the core dataloader they must give back the reference windows;
- ``expected_pas_windows.tsv``: the port's own predictions for ``pas_windows.fa`` (no per-window numbers
  were published; the golden pairs guard the published ones). Written by the same code as ``zoo predict``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parents[1]
EXAMPLES = HERE / "src" / "zoo_aparent2" / "examples"
SHARED = HERE.parents[1] / ".." / "shared" / "data" / "published" / "aparent2"
GOLDEN = "golden_aparent2_example_variants.tsv"
HEXAMER_INDEX = 70
WINDOW = 205
CONTIG = "pas_contig"
PUBLISHED_COLUMNS = {"delta_logodds_narrow_77_127": "delta_logodds_77_127", "delta_logodds_0_205": "delta_logodds_0_205"}


def revcomp(s: str) -> str:
    return s.translate(str.maketrans("ACGTN", "TGCAN"))[::-1]


def golden(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / GOLDEN, sep="\t", dtype=str).rename(columns={"gene": "id"})


def write_pairs(g: pd.DataFrame) -> None:
    g.rename(columns={"ref_seq": "ref", "var_seq": "alt"})[["id", "ref", "alt"]].to_csv(
        EXAMPLES / "variant_pairs.tsv", sep="\t", index=False)
    # strings, so the published 6 decimals are copied as they are
    g.rename(columns=PUBLISHED_COLUMNS)[["id", *PUBLISHED_COLUMNS.values()]].to_csv(
        EXAMPLES / "variant_pairs_published.tsv", sep="\t", index=False)


def write_windows(g: pd.DataFrame) -> None:
    with open(EXAMPLES / "pas_windows.fa", "w") as fa:
        for _, r in g.iterrows():
            (pos,) = [i for i, (a, b) in enumerate(zip(r.ref_seq, r.var_seq, strict=True)) if a != b]
            change = f"{r.ref_seq[pos]}>{r.var_seq[pos]} at index {pos}"
            fa.write(f">{r.id}_ref {r.id} reference window, PAS hexamer at index {HEXAMER_INDEX}\n{r.ref_seq}\n")
            fa.write(f">{r.id}_alt {r.id} variant window ({change}), PAS hexamer at index {HEXAMER_INDEX}\n{r.var_seq}\n")


def write_contig(g: pd.DataFrame) -> None:
    refs = dict(zip(g["id"], g["ref_seq"], strict=True))
    contig = refs["PTEN"] + revcomp(refs["TP53"]) + refs["F2"]
    with open(EXAMPLES / "pas_contig.fa", "w") as fa:
        fa.write(f">{CONTIG} PTEN ref window, TP53 ref window reverse-complemented, F2 ref window\n")
        fa.write("".join(contig[i: i + 60] + "\n" for i in range(0, len(contig), 60)))
    tp53_end = 2 * WINDOW  # TP53 occupies [205, 410) on the minus strand: its index i lies at 409 - i
    hexamer_5p = tp53_end - 1 - HEXAMER_INDEX
    rows = [
        (CONTIG, HEXAMER_INDEX, HEXAMER_INDEX + 1, "PTEN_site", 0, "+"),          # 1 nt: the hexamer's first nt
        (CONTIG, hexamer_5p - 5, hexamer_5p + 1, "TP53_hexamer", 0, "-"),         # 6 nt: the hexamer itself
        (CONTIG, 2 * WINDOW, 3 * WINDOW, "F2_window", 0, "+"),                     # 205 nt: used as it is
    ]
    with open(EXAMPLES / "pas_sites.bed", "w") as bed:
        bed.writelines("\t".join(map(str, row)) + "\n" for row in rows)
    import pyfaidx

    pyfaidx.Faidx(str(EXAMPLES / "pas_contig.fa")).close()


def write_expected() -> None:
    import zoo
    from zoo_core.output import write_table

    model = zoo.get_model("aparent2-resnet")
    write_table(EXAMPLES / "expected_pas_windows.tsv", model.predict_iter(EXAMPLES / "pas_windows.fa"))


def main(argv: list[str]) -> None:
    g = golden(Path(argv[0]) if argv else SHARED.resolve())
    EXAMPLES.mkdir(exist_ok=True)
    write_pairs(g)
    write_windows(g)
    write_contig(g)
    write_expected()
    print(f"wrote {', '.join(sorted(p.name for p in EXAMPLES.iterdir()))}")


if __name__ == "__main__":
    main(sys.argv[1:])
