"""The dataloaders zoo_core ships, registered through the same hook as any plugin's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from zoo_core.hookspecs import hookimpl


def dna_window(spec: Any, sources: Any, *, batch_size: int = 32, genome: Any = None, features: Any = None,
               crop: Any = None) -> Iterator[Any]:
    """See :func:`zoo_core.dataloaders.dna_window` (imported on first use: it needs numpy).

    The options are spelled out so that a CLI option this dataloader does not take is refused by name.
    """
    from zoo_core.dataloaders import dna_window as impl

    return impl(spec, sources, batch_size=batch_size, genome=genome, features=features, crop=crop)


@hookimpl
def register_dataloaders(register: Callable[[str, Callable[..., Any]], None]) -> None:
    register("dna-window", dna_window)
