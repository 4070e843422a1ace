"""`zoo test`: run a model's bundled example and compare with its expected outputs."""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from zoo_core.api import Model
from zoo_core.errors import ModelSpecError


class TestResult(NamedTuple):
    """Outcome of :func:`run_model_test`: ``max_abs_diff`` per numeric column, ``mismatches`` per other column."""

    __test__ = False  # not a pytest class
    passed: bool
    n_records: int
    max_abs_diff: dict[str, float]
    tolerance: float
    mismatches: dict[str, int] = {}  # noqa: RUF012 (a NamedTuple default, never mutated)


def test_options(model: Model) -> dict[str, Any]:
    """model.yaml ``test.options``, with path options (and ``genome``) relative to the model.yaml folder."""
    root = model.entry.bundle_dir
    paths = {"genome"} | {o["name"] for o in model.options if o["type"] == "path"}
    return {k: root / v if k in paths and isinstance(v, str) else v for k, v in model.info.test.options.items()}


def run_model_test(model: Model) -> TestResult:
    """Predict the example inputs of model.yaml ``test`` and compare with ``test.expected``: numbers within
    ``test.tolerance``, strings and flags exactly, every column the expected table has.

    Raises
    ------
    ModelSpecError
        If the expected table lacks ids or a required output, or names a column the model did not write.
    """
    from zoo_core.output import flat_columns

    spec, root = model.info, model.entry.bundle_dir
    t = spec.test
    got = flat_columns(model.predict([root / p for p in t.inputs], **test_options(model)))
    expected_path = root / t.expected
    expected = pd.read_csv(expected_path, sep="\t", dtype={"id": str}, keep_default_na=False, na_values=[""])
    required = []
    for o in spec.outputs:
        if not o.optional:
            required += [f"{o.name}.{j}" for j in range(o.shape[0])] if o.shape else [o.name]
    missing = [c for c in ["id", *required] if c not in expected.columns]
    if missing:
        raise ModelSpecError(expected_path, "test.expected", f"missing columns {missing}")
    unknown = [c for c in expected.columns if c not in got.columns]
    if unknown:
        raise ModelSpecError(expected_path, "test.expected", f"columns the model did not write: {unknown[:5]}")
    with warnings.catch_warnings():  # hundreds of vector columns make pandas warn about its own merge internals
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        merged = expected.merge(got, on="id", how="outer", suffixes=("_expected", ""), indicator=True)
    if (merged["_merge"] != "both").any():
        odd = merged.loc[merged["_merge"] != "both", "id"].tolist()
        raise ModelSpecError(expected_path, "test.expected", f"ids differ from the predictions: {odd[:5]}")
    diffs: dict[str, float] = {}
    mismatches: dict[str, int] = {}
    for c in expected.columns.drop("id"):
        a, b = merged[c], merged[f"{c}_expected"]
        if pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a):
            both = a.notna() & b.notna()  # NaN matches NaN (e.g. a sample below the TPM threshold), nothing else
            diff = np.abs(a[both].astype(float) - b[both].astype(float))
            diffs[c] = float(diff.max()) if len(diff) else 0.0
            if (a.isna() != b.isna()).any():
                diffs[c] = float("inf")
        else:
            mismatches[c] = int((a.fillna("").astype(str) != b.fillna("").astype(str)).sum())
    for o in spec.outputs:  # a vector is reported once, as the largest difference over its elements
        parts = [f"{o.name}.{j}" for j in range(o.shape[0])] if o.shape else []
        if parts and all(p in diffs for p in parts):
            diffs[o.name] = max(diffs.pop(p) for p in parts)
    passed = all(d <= t.tolerance for d in diffs.values()) and not any(mismatches.values())
    return TestResult(passed, len(merged), diffs, t.tolerance, mismatches)
