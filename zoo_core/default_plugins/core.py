"""The dataloaders zoo_core ships, registered through the same hook as any plugin's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from zoo_core.hookspecs import hookimpl


def dna_window(*args: Any, **kwargs: Any) -> Iterator[Any]:
    """See :func:`zoo_core.dataloaders.dna_window` (imported on first use: it needs numpy)."""
    from zoo_core.dataloaders import dna_window as impl

    return impl(*args, **kwargs)


@hookimpl
def register_dataloaders(register: Callable[[str, Callable[..., Any]], None]) -> None:
    register("dna-window", dna_window)
