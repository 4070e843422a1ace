"""Committed split lists: ids map to their split, and an id in two lists is refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from zoo_dev.splits import read_split_lists


def test_ids_map_to_their_split_and_overlap_is_refused(tmp_path: Path) -> None:
    (tmp_path / "train.txt").write_text("a\nb\n")
    (tmp_path / "valid.txt").write_text("c\n")
    (tmp_path / "test.txt").write_text("d\n")
    assert read_split_lists(tmp_path) == {"a": "train", "b": "train", "c": "valid", "d": "test"}
    (tmp_path / "test.txt").write_text("d\nb\n")
    with pytest.raises(ValueError, match=r"b is in both train\.txt and test\.txt"):
        read_split_lists(tmp_path)
