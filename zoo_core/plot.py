"""Sequence-logo style attribution plots (matplotlib, imported only when a PNG is asked for)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

COLORS = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839", "U": "#D62839"}


def position_scores(attr: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    """One score per position: the observed base's attribution, or for ISM (observed entry 0)
    minus the mean effect of mutating it, so both read 'how much this base supports the output'."""
    observed = (attr * onehot).sum(axis=1)
    if np.allclose(observed, 0) and not np.allclose(attr, 0):
        return -attr.sum(axis=1) / 3.0
    return observed


def _draw_letter(ax: Any, letter: str, x: float, y: float, height: float) -> None:
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import PathPatch
    from matplotlib.textpath import TextPath
    from matplotlib.transforms import Affine2D

    path = TextPath((0, 0), letter, size=1, prop=FontProperties(family="DejaVu Sans", weight="bold"))
    ext = path.get_extents()
    t = Affine2D().translate(-ext.x0, -ext.y0).scale(0.9 / ext.width, height / ext.height).translate(x + 0.05, y)
    ax.add_patch(PathPatch(t.transform_path(path), color=COLORS.get(letter, "#555"), lw=0))


def draw_logo(ax: Any, heights: np.ndarray, alphabet: str) -> None:
    """Stack letters of ``heights`` ``(L, len(alphabet))`` per position, positive up, negative down,
    smallest nearest the axis (a weight logo for filters and PWMs)."""
    for i, row in enumerate(heights):
        up = down = 0.0
        for j in np.argsort(np.abs(row)):
            h = float(row[j])
            if h > 0:
                _draw_letter(ax, alphabet[j], i, up, h)
                up += h
            elif h < 0:
                down += h
                _draw_letter(ax, alphabet[j], i, down, -h)
    top = max(float(np.clip(heights, 0, None).sum(axis=1).max()), 1e-6)
    bottom = min(float(np.clip(heights, None, 0).sum(axis=1).min()), 0.0)
    ax.set(xlim=(0, len(heights)), ylim=(bottom * 1.05, top * 1.05))
    ax.axhline(0, color="#999", lw=0.5)


def plot_attribution(a: Any, path: str | Path, *, title: str = "", window: int = 80) -> None:
    """Save a two-panel PNG: the whole-sequence score track, and a logo of the strongest window."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = position_scores(a.attr, a.onehot)
    length = len(scores)
    w = min(window, length)
    smooth = np.convolve(np.abs(scores), np.ones(w), mode="valid")
    start = int(smooth.argmax())
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 4.5), gridspec_kw={"height_ratios": [1, 1.4]})
    top.plot(np.arange(length), scores, lw=0.5, color="#333")
    top.axvspan(start, start + w, color="orange", alpha=0.3)
    top.set(xlim=(0, length), ylabel="score", title=title)
    bases = "ACGT"
    for i in range(start, start + w):
        b = int(a.onehot[i].argmax()) if a.onehot[i].sum() else None
        if b is not None and scores[i] != 0:
            h = float(scores[i])
            _draw_letter(bottom, bases[b], i, min(h, 0.0), abs(h))
    lim = float(np.abs(scores[start:start + w]).max() or 1.0)
    bottom.set(xlim=(start, start + w), ylim=(-lim * 1.1, lim * 1.1), xlabel="position (0-based)", ylabel="score")
    bottom.axhline(0, color="#999", lw=0.5)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
