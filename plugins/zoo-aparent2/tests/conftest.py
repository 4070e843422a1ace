"""Fixtures shared by the zoo-aparent2 tests: the core's isolation, and only this plugin loaded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from zoo_dev.fixtures import isolated_home, use_plugins, zoo_cli  # noqa: F401


@pytest.fixture(autouse=True)
def _aparent2_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "zoo-aparent2")


@pytest.fixture(autouse=True)
def _few_threads() -> Iterator[None]:
    # the test machine's other cores are busy with other suites; 2 threads keep ISM/IG quick and stable
    before = torch.get_num_threads()
    torch.set_num_threads(min(2, before))
    yield
    torch.set_num_threads(before)
