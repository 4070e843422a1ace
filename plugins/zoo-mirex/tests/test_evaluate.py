"""scripts/evaluate.py's README update."""

from __future__ import annotations

from pathlib import Path

import pytest

from zoo_dev.scripts import load_script

evaluate = load_script(Path(__file__).resolve().parents[1] / "scripts" / "evaluate.py", "mirex_evaluate_block")


def test_the_readme_block_is_replaced_between_its_markers_only() -> None:
    readme = "intro\n<!-- results:start -->\n| old |\n<!-- results:end -->\nafter\n"
    assert evaluate.with_table(readme, "| new |\n|---|\n") == (
        "intro\n<!-- results:start -->\n| new |\n|---|\n<!-- results:end -->\nafter\n")
    with pytest.raises(SystemExit, match="no <!-- results:start -->"):
        evaluate.with_table("no markers\n", "| new |")
