"""Sequence-logo attribution plots (matplotlib + logomaker, imported only when a PNG is asked for).

Figures are built with :class:`matplotlib.figure.Figure`, never through pyplot, so drawing a plot
neither switches the caller's backend nor leaves figures in pyplot's global registry.
"""

from __future__ import annotations

import importlib
import importlib.util
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from zoo_core.errors import InputError, ZooError

PACKAGES = ("matplotlib", "logomaker")  # the 'zoo[plot]' extra
COLORS = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839", "U": "#D62839"}
FONT = "DejaVu Sans"  # ships with matplotlib, so letters look the same on every machine


def require_plot(source: str | None = "--png-dir") -> None:
    """Check that the plotting packages are installed, without importing them; call it before any work.

    Raises
    ------
    InputError
        Naming ``source`` (the option that asked for plots), the missing packages and the ``zoo[plot]``
        extra that installs them; a plain :class:`ZooError` when ``source`` is None.
    """
    missing = [name for name in PACKAGES if not _installed(name)]
    if missing:
        reason = f"plots need {' and '.join(missing)}, not installed: pip install 'zoo[plot]'"
        raise InputError(source, reason) if source else ZooError(reason)


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a module set to None in sys.modules, or a broken parent package
        return False


def _import(name: str) -> Any:
    """``import name``, or the one-line ``zoo[plot]`` error (also for an installed package that fails to import):
    plotting is reached from several commands (``--png-dir``, plugin commands), so no option is named."""
    require_plot(None)
    try:
        return importlib.import_module(name)
    except ImportError as e:
        raise ZooError(f"plots need matplotlib and logomaker ({e}): pip install 'zoo[plot]'") from None


def position_scores(attr: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    """One score per position: the observed base's attribution, or for ISM (observed entry 0)
    minus the mean effect of mutating it, so both read 'how much this base supports the output'."""
    observed = (attr * onehot).sum(axis=1)
    if np.allclose(observed, 0) and not np.allclose(attr, 0):
        return -attr.sum(axis=1) / 3.0
    return observed


def _logo(ax: Any, heights: np.ndarray, alphabet: str, positions: Any = None) -> None:
    import pandas as pd

    logomaker = _import("logomaker")

    df = pd.DataFrame(np.asarray(heights, dtype=float), columns=list(alphabet), index=positions)
    # logomaker's own scheme for anything our palette does not cover (amino acids); a dict missing a letter fails
    colors = {c: COLORS[c] for c in alphabet} if set(alphabet) <= COLORS.keys() else None
    # upright letters below zero read as bases; 'big_on_top' puts the smallest magnitude next to the axis
    logomaker.Logo(df, ax=ax, color_scheme=colors, font_name=FONT, flip_below=False, stack_order="big_on_top",
                   baseline_width=0.5)


def draw_logo(ax: Any, heights: np.ndarray, alphabet: str) -> None:
    """Stack letters of ``heights`` ``(L, len(alphabet))`` per position, positive up, negative down,
    smallest nearest the axis (a weight logo for filters and PWMs)."""
    heights = np.asarray(heights, dtype=float)
    _logo(ax, heights, alphabet)
    top = max(float(np.clip(heights, 0, None).sum(axis=1).max()), 1e-6)
    bottom = min(float(np.clip(heights, None, 0).sum(axis=1).min()), 0.0)
    # an all-zero filter would give logomaker identical y limits
    ax.set_ylim(bottom * 1.05, top * 1.05)


def plot_attribution(a: Any, path: str | Path, *, title: str = "", window: int = 80) -> None:
    """Save a two-panel PNG to exactly ``path``: the whole-sequence score track, and a logo of the
    strongest ``window`` positions (each observed base at its position score)."""
    Figure = _import("matplotlib.figure").Figure

    scores = position_scores(a.attr, a.onehot)
    length = len(scores)
    w = min(window, length)
    smooth = np.convolve(np.abs(scores), np.ones(w), mode="valid")
    start = int(smooth.argmax())
    fig = Figure(figsize=(12, 4.5))
    top, bottom = fig.subplots(2, 1, gridspec_kw={"height_ratios": [1, 1.4]})
    top.plot(np.arange(length), scores, lw=0.5, color="#333")
    top.axvspan(start, start + w, color="orange", alpha=0.3)
    top.set(xlim=(0, length), ylabel="score", title=title)
    span = slice(start, start + w)
    _logo(bottom, a.onehot[span] * scores[span, None], "ACGT", positions=np.arange(start, start + w))
    lim = float(np.abs(scores[span]).max() or 1.0)
    bottom.set(xlim=(start - 0.5, start + w - 0.5), ylim=(-lim * 1.1, lim * 1.1), xlabel="position (0-based)",
               ylabel="score")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():  # an id in a script the font lacks is drawn as boxes, not warned about per PNG
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        fig.tight_layout()
        # the format is explicit because the caller may write to a temporary name without a .png suffix
        fig.savefig(path, dpi=100, format="png")
