"""`zoo test`: run a model's bundled example and compare with its expected outputs; helpers for plugin tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

import numpy as np
import pandas as pd

from zoo_core.api import Model
from zoo_core.errors import ModelSpecError


class TestResult(NamedTuple):
    """Outcome of :func:`run_model_test`: ``max_abs_diff`` per output column."""

    __test__ = False  # not a pytest class
    passed: bool
    n_records: int
    max_abs_diff: dict[str, float]
    tolerance: float


def run_model_test(model: Model) -> TestResult:
    """Predict the example inputs of model.yaml ``test`` and compare with ``test.expected``.

    Raises
    ------
    ModelSpecError
        If the expected table lacks ids or output columns.
    """
    spec, root = model.info, model.entry.bundle_dir
    t = spec.test
    options = {k: root / v for k, v in t.options.items()}
    got = model.predict([root / p for p in t.inputs], **options)
    expected_path = root / t.expected
    expected = pd.read_csv(expected_path, sep="\t", dtype={"id": str})
    names = [o.name for o in spec.outputs]
    missing = [c for c in ["id", *names] if c not in expected.columns]
    if missing:
        raise ModelSpecError(expected_path, "test.expected", f"missing columns {missing}")
    merged = expected.merge(got, on="id", how="outer", suffixes=("_expected", ""), indicator=True)
    if (merged["_merge"] != "both").any():
        odd = merged.loc[merged["_merge"] != "both", "id"].tolist()
        raise ModelSpecError(expected_path, "test.expected", f"ids differ from the predictions: {odd[:5]}")
    diffs = {n: float(np.max(np.abs(merged[n] - merged[f"{n}_expected"]))) for n in names}
    return TestResult(all(d <= t.tolerance for d in diffs.values()), len(merged), diffs, t.tolerance)


def load_script(path: Path, name: str) -> ModuleType:
    """Import a plugin's script (e.g. ``scripts/build_dataset.py``, not a package module) as module ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
