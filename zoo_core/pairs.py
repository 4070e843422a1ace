"""Sequence pairs (``id``, ``ref``, ``alt``): the input of variant-effect scoring (``zoo vep --pairs``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from zoo_core.errors import InputError
from zoo_core.seqio import read_tsv, source_name

COLUMNS = ("id", "ref", "alt")


def read_pairs(pairs: str | Path | pd.DataFrame) -> pd.DataFrame:
    """The pairs of a TSV file (header ``id  ref  alt``; other columns ignored) or a DataFrame, checked.

    Raises
    ------
    InputError
        A missing file or column, no rows, an empty cell, or a duplicate id; naming the file, and the record
        where there is one.
    """
    source: object = "<pairs>"
    if not isinstance(pairs, pd.DataFrame):
        source = source_name(Path(pairs))
        pairs = read_tsv(pairs, "columns id, ref, alt")  # plain or gzip, a pipe or standard input
    missing = [c for c in COLUMNS if c not in pairs.columns]
    if missing:
        raise InputError(source, f"no column {missing[0]!r}; a pairs table has columns id, ref, alt "
                                 f"(found {', '.join(map(str, pairs.columns))})")
    if pairs.empty:
        raise InputError(source, "no pairs")
    df = pairs[list(COLUMNS)].astype(str)
    for col in COLUMNS:
        empty = df[col].str.strip() == ""
        if empty.any():
            row = int(empty.to_numpy().argmax())
            raise InputError(source, f"empty {col}", record=df["id"].iloc[row] or f"row {row + 2}")
    dup = df["id"].duplicated()
    if dup.any():
        raise InputError(source, "duplicate id", record=df["id"][dup].iloc[0])
    return df.reset_index(drop=True)
