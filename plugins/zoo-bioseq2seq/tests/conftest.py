"""Fixtures shared by the bioseq2seq tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from zoo_dev.fixtures import isolated_home, ray_local, use_plugins, zoo_cli  # noqa: F401


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    # the test machine's other cores are busy; one thread also keeps timings comparable
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
