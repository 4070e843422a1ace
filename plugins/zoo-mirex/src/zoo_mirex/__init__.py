"""zoo-mirex: miREx (Pianfetti et al. 2023), a gene's mRNA level in a tissue from its promoter, its 8 half-life
features and which of the tissue's miRNAs target it, trained here on HPA lung, prostate and breast.

Importing this module imports no framework. Models are registered from ``models/*/model.yaml`` and built on first
use by :class:`zoo_mirex.model.MirexModel`; the ``mirex-promoter`` dataloader is in :mod:`zoo_mirex.dataloader`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import Field

from zoo_core import hookimpl
from zoo_core.options import Options

MODELS_DIR = Path(__file__).parent / "models"


class MirexOptions(Options):
    mirna: Path | None = Field(
        None, description="miRNA expression profile: TSV with a header, column 1 the miRNA (miRBase mature name, e.g. "
                          "hsa-miR-23a-3p; a v21 name without arm matches too), column 2 named 'count' (mean read count "
                          "per sample, the training unit) or 'rpm' (reads per million miRNA reads). A GDC "
                          "mirbase21.mirnas.quantification.txt is read too (hairpins, approximate). Missing miRNAs count "
                          "as 0. Default: the training tissue's adjacent-normal TCGA profile.")
    halflife: Path | None = Field(
        None, description="TSV of 'id' + the 8 raw Xpresso half-life features UTR5LEN, CDSLEN, INTRONLEN, UTR3LEN, "
                          "UTR5GC, CDSGC, UTR3GC, ORFEXONDENSITY (any column order), log-transformed and z-scored as in "
                          "training. Default: zeros (the mean training gene).")


def mirex_promoter(spec: Any, sources: Any, *, batch_size: int = 32, genome: Any = None,
                   options: MirexOptions | None = None, mirnas: list[str] | None = None) -> Iterator[Any]:
    """Promoter windows + gene ids + the --mirna profile: :func:`zoo_mirex.dataloader.mirex_batches`."""
    from zoo_mirex.dataloader import mirex_batches

    return mirex_batches(spec, sources, batch_size=batch_size, genome=genome, mirnas=mirnas or [],
                         profile=options.mirna if options else None, halflife=options.halflife if options else None)


@hookimpl
def register_models(register: Callable[..., None]) -> None:
    for spec in sorted(MODELS_DIR.glob("*/model.yaml")):
        register(spec, "zoo_mirex.model:MirexModel")


@hookimpl
def register_dataloaders(register: Callable[..., None]) -> None:
    register("mirex-promoter", mirex_promoter, options=MirexOptions)
