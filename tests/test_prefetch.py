"""Background prefetch of batches in Model.predict_iter: order, errors at their place, clean stop."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from zoo_core.api import prefetched
from zoo_core.errors import InputError


def test_order_is_kept() -> None:
    assert list(prefetched(iter(range(100)))) == list(range(100))


def test_an_error_is_raised_after_the_items_before_it() -> None:
    def items() -> Iterator[int]:
        yield from range(5)
        raise InputError("x.fa", "invalid nucleotide letter 'J'", record="r6")

    got = []
    with pytest.raises(InputError, match="record 'r6'"):
        for i in prefetched(items()):
            got.append(i)
    assert got == [0, 1, 2, 3, 4]


def test_an_abandoned_consumer_stops_the_producer() -> None:
    produced = []

    def items() -> Iterator[int]:
        for i in range(10_000):
            produced.append(i)
            yield i

    it = prefetched(items(), depth=2)
    assert next(it) == 0
    it.close()
    time.sleep(0.5)
    n = len(produced)
    time.sleep(0.3)
    assert len(produced) == n < 10  # it stopped a few items ahead, not at the end
    assert not any(t.name == "zoo-prefetch" and t.is_alive() for t in threading.enumerate())
