"""The three tissues of the zoo-mirex models and where their data come from (``../shared/data``). No framework."""

from __future__ import annotations

from typing import NamedTuple


class Tissue(NamedTuple):
    name: str  # the model suffix, e.g. lung -> mirex-lung
    hpa: str  # column of the HPA tissue-consensus nTPM table (the mRNA label)
    project: str  # TCGA project of the miRNA profiles
    normal: str  # mirna/human file of the adjacent-normal samples (the training profile)
    tumour: str  # mirna/human file of the tumour samples (a valid user profile)


TISSUES: dict[str, Tissue] = {
    "lung": Tissue("lung", "lung", "TCGA-LUAD", "mnmo_tcga_luad_normal_mirna_counts.tsv.gz",
                   "mnmo_tcga_luad_cancer_mirna_counts.tsv.gz"),
    "prostate": Tissue("prostate", "prostate", "TCGA-PRAD", "mnmo_tcga_prad_normal_mirna_counts.tsv.gz",
                       "mnmo_tcga_prad_cancer_mirna_counts.tsv.gz"),
    "breast": Tissue("breast", "breast", "TCGA-BRCA", "mnmo_tcga_brca_normal_mirna_counts.tsv.gz",
                     "mnmo_tcga_brca_tumor_mirna_counts.tsv.gz"),
}
CLASSES = ("normal", "tumour")
PSEUDO = 0.1  # log10(x + 0.1) on mRNA and miRNA levels (spec §1)
HALF_LIFE = ("UTR5LEN", "CDSLEN", "INTRONLEN", "UTR3LEN", "UTR5GC", "CDSGC", "UTR3GC", "ORFEXONDENSITY")
LOGGED = frozenset({"UTR5LEN", "CDSLEN", "INTRONLEN", "UTR3LEN", "ORFEXONDENSITY"})
GC = ("UTR5GC", "CDSGC", "UTR3GC")
WINDOW, TSS_INDEX = 2048, 1024
CONFIGS = ("xpresso", "allmirna", "mirex", "abscorr")  # spec §1: no miRNA, all, 10 selected, 10 by |residual|
