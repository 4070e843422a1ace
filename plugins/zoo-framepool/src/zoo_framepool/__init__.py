"""zoo-framepool: Framepool (Karollus, Avsec & Gagneur 2021), a 5'UTR of any length -> mean ribosome load.

Importing this module imports no framework: the model is registered from its model.yaml and built on
first use by :class:`zoo_framepool.model.FramepoolModel`; the ``utr5`` dataloader imports numpy on call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from zoo_core import hookimpl
from zoo_core.options import Options

MODELS_DIR = Path(__file__).parent / "models"


class FramepoolOptions(Options):
    library: Literal["kipoi", "random", "egfp_unmod_1"] = Field(
        "kipoi",
        description="Library indicator of the final scaling layer, i.e. on which MPRA's MRL scale to report. "
                    "'kipoi' (default) = [0, 1], what Kipoi's Framepool uses and what its published variant effects "
                    "were computed with; 'random' = [0, 1] too, the paper's name for it (the variable-length "
                    "25-100 nt random library); 'egfp_unmod_1' = [1, 0], the fixed-length 50-nt eGFP library "
                    "(the paper notebooks' default). MRL = a*y + b either way, so rankings and Pearson R do "
                    "not change; log2 fold changes do. Attributions always use [0, 1].")


def utr5(spec: Any, sources: Any, *, batch_size: int = 32, genome: Any = None, options: Any = None) -> Iterator[Any]:
    """See :func:`zoo_framepool.dataloader.utr5_batches` (imported on first use: it needs numpy)."""
    from zoo_framepool.dataloader import utr5_batches

    return utr5_batches(spec, sources, batch_size=batch_size, genome=genome)


@hookimpl
def register_models(register: Callable[..., None]) -> None:
    for spec in sorted(MODELS_DIR.glob("*/model.yaml")):
        register(spec, "zoo_framepool.model:FramepoolModel", options=FramepoolOptions)


@hookimpl
def register_dataloaders(register: Callable[..., None]) -> None:
    register("utr5", utr5)
