"""What zoo_core itself provides, registered through the same hooks as any plugin's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import Field

from zoo_core.hookspecs import hookimpl
from zoo_core.options import Options


class WindowOptions(Options):
    features: Path | None = Field(
        None, description="TSV of the model's numeric inputs by id (id + one column per value), e.g. half-life "
                          "features; optional numeric inputs are zeros without it.")


def dna_window(spec: Any, sources: Any, *, batch_size: int = 32, genome: Any = None,
               options: WindowOptions | None = None, crop: Any = None) -> Iterator[Any]:
    """See :func:`zoo_core.dataloaders.dna_window` (imported on first use: it needs numpy)."""
    from zoo_core.dataloaders import dna_window as impl

    return impl(spec, sources, batch_size=batch_size, genome=genome, features=options.features if options else None,
                crop=crop)


def _explainer(name: str) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        from zoo_core import explain

        return getattr(explain, name)(*args, **kwargs)

    return run


@hookimpl
def register_dataloaders(register: Callable[..., None]) -> None:
    # --features only for models with numeric inputs: anyone else would be offered a flag that does nothing
    register("dna-window", dna_window,
             options=lambda spec: WindowOptions if any(i.kind == "numeric" for i in spec.inputs) else None)


@hookimpl
def register_explainers(register: Callable[..., None]) -> None:
    register("ism", _explainer("ism"), doc="in-silico saturation mutagenesis: f(mutant) - f(original)",
             passes=lambda length: 3 * length + 1)
    register("grad", _explainer("grad_x_input"), doc="gradient x input", passes=lambda length: 1)
    register("ig", _explainer("integrated_gradients"), doc="integrated gradients from the model's baseline, 32 steps",
             passes=lambda length: 32)
