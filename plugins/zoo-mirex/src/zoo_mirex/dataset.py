"""The tables ``scripts/build_dataset.py`` writes, as arrays for training, selection and evaluation (numpy, pandas).

    data = load("build/mirex")
    x_mirna = mirna_matrix(data, "lung", ["hsa-miR-23a-3p", ...])   # (N, K) target × log10(mean count + 0.1)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zoo_mirex.tissues import HALF_LIFE, PSEUDO, TISSUES

CODES = np.full(256, 4, np.uint8)
for _i, _c in enumerate("ACGT"):
    CODES[ord(_c)] = CODES[ord(_c.lower())] = _i
_EYE = np.vstack([np.eye(4, dtype=np.float32), np.zeros((1, 4), np.float32)])
SCORES = ("binary", "validated", "cwcs")


@dataclass
class Data:
    genes: np.ndarray  # (N,) ENSG
    symbols: np.ndarray  # (N,)
    split: np.ndarray  # (N,) train / valid / test
    codes: np.ndarray  # (N, 2048) uint8, A C G T N = 0..4
    half_life: np.ndarray  # (N, 8) float32, z-scored
    labels: dict[str, np.ndarray]  # tissue -> (N,) log10(nTPM + 0.1)
    profiles: dict[str, dict[str, float]]  # "<tissue>_<class>" -> {miRNA: mean count per sample}
    profile_meta: dict[str, dict]  # "<tissue>_<class>" -> samples, library_size, source
    targets: dict[str, set[str]]  # miRNA -> ENSG of the table's genes it targets (TargetScan 7.0)
    validated: set[tuple[str, str]]  # (ENSG, miRNA) also experimentally validated
    folder: Path
    cwcs: dict[tuple[str, str], float] | None = None  # (ENSG, miRNA) -> TargetScan CWCS, from --targetscan-context

    def rows(self, split: str) -> np.ndarray:
        return np.flatnonzero(self.split == split)


def load(folder: str | Path) -> Data:
    """The tables of ``folder`` (``build_dataset.py --out``)."""
    import pandas as pd

    folder = Path(folder)
    genes = pd.read_csv(folder / "mirex_genes.tsv", sep="\t", dtype={"symbol": str}, keep_default_na=False,
                        na_values=["NaN"])
    seqs: dict[str, str] = {}
    name = ""
    for line in (folder / "mirex_promoters.fa").read_text().splitlines():
        if line.startswith(">"):
            name = line[1:]
        else:
            seqs[name] = line
    codes = np.stack([CODES[np.frombuffer(seqs[g].encode(), np.uint8)] for g in genes["gene"]])
    prof = pd.read_csv(folder / "mirex_mirna_profiles.tsv", sep="\t", keep_default_na=False, na_values=["NaN"])
    profiles = {c: {m: float(v) for m, v in zip(prof["mirna"], prof[c], strict=True) if v == v}
                for c in prof.columns if c != "mirna"}
    tg = pd.read_csv(folder / "mirex_targets.tsv", sep="\t", keep_default_na=False)
    targets: dict[str, set[str]] = {}
    for g, m in zip(tg["gene"], tg["mirna"], strict=True):
        targets.setdefault(m, set()).add(g)
    validated = {(g, m) for g, m, v in zip(tg["gene"], tg["mirna"], tg["validated"], strict=True) if v}
    cwcs = None
    if (folder / "mirex_cwcs.tsv").is_file():
        cw = pd.read_csv(folder / "mirex_cwcs.tsv", sep="\t", keep_default_na=False)
        cwcs = {(g, m): float(v) for g, m, v in zip(cw["gene"], cw["mirna"], cw["cwcs"], strict=True)}
    return Data(genes["gene"].to_numpy(), genes["symbol"].to_numpy(), genes["split"].to_numpy(), codes,
                genes[list(HALF_LIFE)].to_numpy(np.float32), {t: genes[f"label_{t}"].to_numpy(np.float32) for t in TISSUES},
                profiles, json.loads((folder / "mirex_mirna_profiles.json").read_text()), targets, validated, folder,
                cwcs)


def one_hot(codes: np.ndarray) -> np.ndarray:
    """``(n, L)`` uint8 codes → ``(n, L, 4)`` float32 one-hot (N = zeros)."""
    return _EYE[codes]


def candidate_mirnas(data: Data, tissue: str, cls: str = "normal", min_targets: int = 1) -> list[str]:
    """miRNAs the tissue's profile has and TargetScan says target at least ``min_targets`` **training** genes: the
    AllMirna set and the selection's candidates (spec §2.3: "only 243 had known gene targets")."""
    profile = data.profiles[f"{tissue}_{cls}"]
    train = set(data.genes[data.rows("train")])
    return sorted(m for m, gs in data.targets.items() if m in profile and len(gs & train) >= min_targets)


def indicator(data: Data, mirnas: list[str]) -> np.ndarray:
    """``(N, K)`` float32 0/1 TargetScan target indicator."""
    index = {g: i for i, g in enumerate(data.genes)}
    out = np.zeros((len(data.genes), len(mirnas)), np.float32)
    for j, m in enumerate(mirnas):
        for g in data.targets.get(m, ()):
            out[index[g], j] = 1.0
    return out


def expression(data: Data, tissue: str, mirnas: list[str], cls: str = "normal") -> np.ndarray:
    """``(K,)`` log10(mean count + 0.1) of the tissue class's profile (spec §2.3)."""
    profile = data.profiles[f"{tissue}_{cls}"]
    return np.log10(np.array([profile[m] for m in mirnas], np.float64) + PSEUDO).astype(np.float32)


def mirna_matrix(data: Data, tissue: str, mirnas: list[str], cls: str = "normal") -> np.ndarray:
    """``(N, K)`` the network's miRNA features: target indicator × log10(mean count + 0.1)."""
    return indicator(data, mirnas) * expression(data, tissue, mirnas, cls)[None, :]


def score_matrix(data: Data, mirnas: list[str], score: str = "binary") -> np.ndarray:
    """``(N, K)`` the target score (lower = stronger predicted repression; 0 = not a target): ``cwcs`` TargetScan's
    own, when the build had a context-score file; otherwise a stand-in, since the offline data have no context++
    scores: ``binary`` −1 for a TargetScan target; ``validated`` −1 for a predicted target and −2
    for one also experimentally validated (miRTarBase / TarBase / miRWalk)."""
    if score not in SCORES:
        raise ValueError(f"score must be one of {SCORES}")
    if score == "cwcs":  # the paper's own score, where build_dataset.py --targetscan-context wrote it
        if data.cwcs is None:
            raise ValueError(f"{data.folder} has no mirex_cwcs.tsv: build it with --targetscan-context")
        index, col = {g: i for i, g in enumerate(data.genes)}, {m: j for j, m in enumerate(mirnas)}
        out = np.zeros((len(data.genes), len(mirnas)), np.float32)
        for (g, m), v in data.cwcs.items():
            if m in col and g in index:
                out[index[g], col[m]] = v
        return out
    out = -indicator(data, mirnas)
    if score == "validated":
        index = {g: i for i, g in enumerate(data.genes)}
        col = {m: j for j, m in enumerate(mirnas)}
        for g, m in data.validated:
            if m in col and out[index[g], col[m]] < 0:  # a validated pair TargetScan does not predict stays 0
                out[index[g], col[m]] -= 1.0
    return out
