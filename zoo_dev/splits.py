"""Committed train/validation/test id lists, the way every plugin's dataset build records its split."""

from __future__ import annotations

from pathlib import Path

SPLITS = ("train", "valid", "test")


def read_split_lists(folder: str | Path, names: tuple[str, ...] = SPLITS) -> dict[str, str]:
    """``{id: split}`` from ``<folder>/<split>.txt`` files (whitespace-separated ids).

    Raises
    ------
    ValueError
        An id listed in two splits, named with both files.
    """
    folder = Path(folder)
    split: dict[str, str] = {}
    for name in names:
        for rid in (folder / f"{name}.txt").read_text().split():
            if rid in split:
                raise ValueError(f"{rid} is in both {split[rid]}.txt and {name}.txt under {folder}")
            split[rid] = name
    return split
