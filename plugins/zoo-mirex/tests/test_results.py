"""The committed protocol record (results/): consistent with itself, with the selection, and with the README's table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from zoo_dev.scripts import load_script

PLUGIN = Path(__file__).resolve().parents[1]
RESULTS = PLUGIN / "results"
RUNS = sorted(RESULTS.glob("*/*/seed*/result.json"))
pytestmark = pytest.mark.skipif(not RUNS, reason="no committed protocol runs yet")


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def test_each_record_is_the_run_its_path_names_on_the_full_split() -> None:
    for path in RUNS:
        r = _load(path)
        tissue, config, seed = path.parts[-4:-1]
        assert (r["tissue"], r["config"], f"seed{r['seed']}") == (tissue, config, seed), path
        assert r["limit"] is None, f"{path}: a smoke run (--limit-genes) in the record"
        assert r["test"]["genes"] == 223 and r["train_genes"] == 1781, path
        assert np.isfinite(r["test"]["r2_pearson"]), path


def test_selected_configurations_were_trained_on_the_committed_selection() -> None:
    selection = _load(RESULTS / "selection.json")["tissues"]
    for path in RUNS:
        r = _load(path)
        if r["config"] in ("mirex", "abscorr"):
            assert r["mirnas"] == selection[r["tissue"]][r["config"]], path
        elif r["config"] == "xpresso":
            assert r["mirnas"] == [], path


def test_the_readme_table_is_what_the_record_gives() -> None:
    evaluate = load_script(PLUGIN / "scripts" / "evaluate.py", "mirex_evaluate")
    results: dict = {}
    for path in RUNS:
        r = _load(path)
        results.setdefault(r["tissue"], {}).setdefault(r["config"], []).append(r)
    table = evaluate.summarise(results, keep=None)
    readme = (PLUGIN / "README.md").read_text()
    for line in evaluate.markdown(table).splitlines()[2:]:
        assert line in readme, f"README table out of date (rerun evaluate.py --finished-only): {line}"
