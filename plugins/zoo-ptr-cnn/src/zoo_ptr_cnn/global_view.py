"""The paper's global view of a trained model: what each feature does to the slope a.

The dense head has no activations, so each feature's weight on a is exact: the product of the three
dense matrices, averaged over the ensemble members (the paper averaged over its CV folds). Written:

- ``slope_weights.tsv``: every feature (codons, amino acids, nucleotide counts, start/stop-context
  positions, conv filters) with its mean weight on a and the SD over members;
- ``amino_acids.png``, ``codons.png``, ``start_context.png``, ``stop_context.png``: heatmaps as in Fig. 2C-E;
- ``filters.meme``: every conv filter as a motif (each position's positive weights normalised to sum
  to 1; uniform where none is positive), named ``<module>.m<member>.f<filter>``, with its slope weight;
- ``filters/<module>.png``: weight logos of the 8 filters with the largest |weight on a| per module.

The paper's OPTICS clustering of filters into motif families is not done here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from zoo_ptr_cnn.network import AMINO_ACIDS, CODONS, GENETIC_CODE, NUCLEOTIDES


def slope_table(members: list[Any]) -> Any:
    """DataFrame ``feature, weight_on_slope, sd`` (mean and SD over members)."""
    import pandas as pd
    import torch

    with torch.no_grad():
        w = np.stack([m.slope_weights().cpu().numpy() for m in members])
    return pd.DataFrame({"feature": members[0].feature_names(), "weight_on_slope": w.mean(axis=0),
                         "sd": w.std(axis=0)})


def write_global_view(members: list[Any], out: Path, *, title: str) -> list[Path]:
    """Write the files listed in the module docstring into ``out``; returns them."""
    from zoo_core.plot import require_plot

    require_plot(None)  # the one-line 'zoo[plot]' error, before any file is written, rather than an ImportError
    # Figure, not pyplot: a library must not switch the caller's matplotlib backend
    from matplotlib.figure import Figure

    out.mkdir(parents=True, exist_ok=True)
    table = slope_table(members)
    written = [out / "slope_weights.tsv"]
    table.to_csv(written[0], sep="\t", index=False, float_format="%.6g")
    weight = dict(zip(table["feature"], table["weight_on_slope"], strict=True))

    def heatmap(name: str, matrix: np.ndarray, rows: list[str], cols: list[str], xlabel: str) -> None:
        fig = Figure(figsize=(max(4, 0.35 * len(cols) + 2), max(2, 0.35 * len(rows) + 1.2)))
        ax = fig.subplots()
        lim = float(np.abs(matrix).max()) or 1.0
        im = ax.imshow(matrix, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
        ax.set(xticks=range(len(cols)), yticks=range(len(rows)), xlabel=xlabel, title=f"{title}: {name} weight on slope a")
        ax.set_xticklabels(cols, rotation=90, fontsize=7)
        ax.set_yticklabels(rows, fontsize=7)
        fig.colorbar(im, ax=ax, shrink=0.8)
        fig.tight_layout()
        path = out / f"{name}.png"
        fig.savefig(path, dpi=110)
        written.append(path)

    if "amino_acids:A" in weight:
        heatmap("amino_acids", np.array([[weight[f"amino_acids:{a}"] for a in AMINO_ACIDS]]), ["a"], list(AMINO_ACIDS),
                "amino acid")
    if "codons:AAA" in weight:
        order = sorted(CODONS, key=lambda c: (GENETIC_CODE[c], c))
        heatmap("codons", np.array([[weight[f"codons:{c}"] for c in order]]), ["a"],
                [f"{c.replace('T', 'U')} {GENETIC_CODE[c]}" for c in order], "codon (amino acid)")
    for ctx in ("start_context", "stop_context"):
        names = [f for f in table["feature"] if f.startswith(ctx + ":")]
        if names:
            positions = list(dict.fromkeys(n.split(":")[1] for n in names))
            m = np.array([[weight[f"{ctx}:{p}:{b}"] for p in positions] for b in NUCLEOTIDES])
            heatmap(ctx, m, list("ACGU"), positions, "position (paper numbering: +1 = first nt after the codon)")
    written += _filters(members, out, weight)
    return written


def _filters(members: list[Any], out: Path, weight: dict[str, float]) -> list[Path]:
    from matplotlib.figure import Figure

    from zoo_core.plot import draw_logo

    lines = ["MEME version 4", "", "ALPHABET= ACGT", "", "strands: +", ""]
    pep_lines: list[str] = []
    written: list[Path] = []
    for module in members[0].convs:
        ranked = []
        for k, member in enumerate(members):
            w = member.convs[module].conv.weight.detach().cpu().numpy()  # (filters, depth, width)
            slope = member.slope_weights().detach().cpu().numpy()
            names = member.feature_names()
            for f in range(w.shape[0]):
                mat = w[f].T  # (width, depth)
                s = float(slope[names.index(f"{module}:filter{f}")])
                pos = np.clip(mat, 0, None)
                pwm = np.where(pos.sum(axis=1, keepdims=True) > 0, pos / np.maximum(pos.sum(axis=1, keepdims=True), 1e-12),
                               1.0 / mat.shape[1])
                block = [f"MOTIF {module}.m{k}.f{f} slope_weight={s:.4g}",
                         f"letter-probability matrix: alength= {mat.shape[1]} w= {mat.shape[0]}",
                         *(" ".join(f"{v:.4f}" for v in row) for row in pwm), ""]
                (pep_lines if module == "conv_pep" else lines).extend(block)
                ranked.append((abs(s), f"m{k}.f{f}\na {s:+.3g}", mat))
        ranked.sort(key=lambda r: -r[0])
        top = ranked[:8]
        fig = Figure(figsize=(6, 1.2 * len(top)))
        axes = fig.subplots(len(top), 1, squeeze=False)
        alphabet = AMINO_ACIDS if module == "conv_pep" else "ACGU"
        for ax, (_, label, mat) in zip(axes[:, 0], top, strict=True):
            peak = float(np.abs(mat).max()) or 1.0
            scaled = mat / peak
            draw_logo(ax, np.where(np.abs(scaled) > 0.1, scaled, 0.0), alphabet)  # the paper's display rule
            ax.set_ylabel(label, fontsize=7)
            ax.set_xticks([])
        axes[0, 0].set_title(f"{module}: filters with the largest weight on slope a")
        fig.tight_layout()
        path = out / "filters" / f"{module}.png"
        path.parent.mkdir(exist_ok=True)
        fig.savefig(path, dpi=110)
        written.append(path)
    (out / "filters.meme").write_text("\n".join(lines) + "\n")
    written.append(out / "filters.meme")
    if pep_lines:
        header = ["MEME version 4", "", f"ALPHABET= {AMINO_ACIDS}", "", ""]
        (out / "filters_protein.meme").write_text("\n".join(header + pep_lines) + "\n")
        written.append(out / "filters_protein.meme")
    return written
