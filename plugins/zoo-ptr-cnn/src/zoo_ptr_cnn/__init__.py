"""zoo-ptr-cnn: protein-to-mRNA ratio CNNs (Schwehn & Falter-Braun 2025) for A. thaliana and H. sapiens.

Importing this module imports no framework: models are registered from their model.yaml and built
on first use by :class:`zoo_ptr_cnn.model.PTRModel`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import Field

from zoo_core import hookimpl
from zoo_core.options import Options

MODELS_DIR = Path(__file__).parent / "models"


class TranscriptOptions(Options):
    gff: Path | None = Field(
        None, description="GFF3/GTF transcript annotation: the inputs are then files of transcript ids (one per "
                          "line), cut from --genome.")


class PTROptions(Options):
    tpm: Path | None = Field(
        None, description="TSV of mRNA levels: 'id' + one column of linear TPM per sample. Adds, per sample, the "
                          "log2 TPM used, the predicted log2 protein and log2 protein/mRNA (TPM < 1 gives NaN).")


def transcript_regions(spec: Any, sources: Any, *, batch_size: int = 32, genome: Any = None,
                       options: TranscriptOptions | None = None) -> Iterator[Any]:
    """See :func:`zoo_ptr_cnn.dataloader.transcript_regions` (imported on first use: it needs numpy)."""
    from zoo_ptr_cnn.dataloader import transcript_regions as impl

    return impl(spec, sources, batch_size=batch_size, genome=genome, gff=options.gff if options else None)


@hookimpl
def register_models(register: Callable[..., None]) -> None:
    for spec in sorted(MODELS_DIR.glob("*/model.yaml")):
        register(spec, "zoo_ptr_cnn.model:PTRModel", options=PTROptions)


@hookimpl
def register_dataloaders(register: Callable[..., None]) -> None:
    register("transcript-regions", transcript_regions, options=TranscriptOptions)


@hookimpl
def register_commands(cli: Any) -> None:
    import click

    @cli.command("ptr-weights")
    @click.argument("model_id")
    @click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
                  help="Folder for the tables, heatmaps, filter motifs (MEME) and logos.")
    def ptr_weights(model_id: str, output: Path) -> None:
        """The paper's global view of a PTR-CNN: each codon, amino acid, start/stop-context position and
        conv filter's weight on the slope a (heatmaps, TSV, MEME motifs, logos)."""
        from zoo_core.api import get_model
        from zoo_core.errors import InputError
        from zoo_ptr_cnn.global_view import write_global_view

        model = get_model(model_id)
        impl = model.load()
        if not hasattr(impl, "members"):
            raise InputError(model_id, "ptr-weights works on the ptr-cnn-* models only")
        files = write_global_view(impl.members, output, title=model_id)
        click.echo(f"{model_id}: {len(files)} files -> {output}", err=True)
