"""zoo-perceiver: DNAPerceiver, ProteinPerceiver and DNA&ProteinPerceiver (Stefanini et al. 2023), with an Xpresso
baseline, trained here on A. thaliana. Importing this module imports no framework.

Models are registered from ``models/*/model.yaml`` and built on first use by
:class:`zoo_perceiver.model.PerceiverModel`. The dataloaders ``perceiver-dna``, ``perceiver-protein`` and
``perceiver-dna-protein`` are in :mod:`zoo_perceiver.dataloader`, the ``attention`` explainer (the Perceiver's input
cross-attention map) in :mod:`zoo_perceiver.model`, and the ``zoo perceiver-features`` command, which computes the
8 raw half-life features of ``--halflife``, in :mod:`zoo_perceiver.halflife`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import Field

from zoo_core import hookimpl
from zoo_core.options import Options

MODELS_DIR = Path(__file__).parent / "models"


class HalfLifeOptions(Options):
    halflife: Path | None = Field(
        None, description="TSV of 'id' + the 8 raw Xpresso half-life features UTR5LEN, CDSLEN, INTRONLEN, UTR3LEN, "
                          "UTR5GC, CDSGC, UTR3GC, ORFEXONDENSITY (any column order; `zoo perceiver-features` writes "
                          "it). Log-transformed and z-scored as in training. Default: zeros, the mean training gene.")


class DNAProteinOptions(HalfLifeOptions):
    proteins: Path = Field(
        description="Protein FASTA with one record per promoter, named like it (required). Longer than 6,000 aa: "
                    "the first 6,000 residues.")


def perceiver_dna(spec: Any, sources: Any, *, batch_size: int = 32, genome: Any = None,
                  options: HalfLifeOptions | None = None, crop: dict[int, int] | None = None) -> Iterator[Any]:
    """Promoter windows (+ raw half-life features): :func:`zoo_perceiver.dataloader.dna_batches`."""
    from zoo_perceiver.dataloader import dna_batches

    return dna_batches(spec, sources, batch_size=batch_size, genome=genome,
                       halflife=options.halflife if options else None, crop=crop)


def perceiver_protein(spec: Any, sources: Any, *, batch_size: int = 32, genome: Any = None,
                      options: None = None) -> Iterator[Any]:
    """Protein FASTA or sequences: :func:`zoo_perceiver.dataloader.protein_batches`."""
    from zoo_perceiver.dataloader import protein_batches

    return protein_batches(spec, sources, batch_size=batch_size, genome=genome)


def perceiver_dna_protein(spec: Any, sources: Any, *, batch_size: int = 32, genome: Any = None,
                          options: DNAProteinOptions | None = None, crop: dict[int, int] | None = None) -> Iterator[Any]:
    """Promoter windows with their proteins (``--proteins``): :func:`zoo_perceiver.dataloader.dna_protein_batches`."""
    from zoo_core.errors import InputError
    from zoo_perceiver.dataloader import dna_protein_batches

    if options is None:
        raise InputError("<options>", f"{spec.name} needs --proteins, a protein FASTA named like the promoters")
    return dna_protein_batches(spec, sources, proteins=options.proteins, batch_size=batch_size, genome=genome,
                               halflife=options.halflife, crop=crop)


def attention_map(*args: Any, **kwargs: Any) -> Any:
    """The Perceiver's input cross-attention, averaged over its 128 latents: :func:`zoo_perceiver.model.attention`."""
    from zoo_perceiver.model import attention

    return attention(*args, **kwargs)


@hookimpl
def register_models(register: Callable[..., None]) -> None:
    for spec in sorted(MODELS_DIR.glob("*/model.yaml")):
        register(spec, "zoo_perceiver.model:PerceiverModel")


@hookimpl
def register_dataloaders(register: Callable[..., None]) -> None:
    register("perceiver-dna", perceiver_dna, options=HalfLifeOptions)
    register("perceiver-protein", perceiver_protein)
    register("perceiver-dna-protein", perceiver_dna_protein, options=DNAProteinOptions)


@hookimpl
def register_explainers(register: Callable[..., None]) -> None:
    register("attention", attention_map, passes=lambda length: 1,
             doc="the Perceiver's input cross-attention weights (softmax, 1 head) averaged over its 128 latents: one "
                 "value per position, summing to 1 over the sequence; given at the observed letter")


@hookimpl
def register_commands(cli: Any) -> None:
    import click

    @cli.command("perceiver-features")
    @click.argument("annotation", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.argument("genome", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="TSV: 'id' + the 8 raw half-life features, one row per coding transcript.")
    def perceiver_features(annotation: Path, genome: Path, output: Path) -> None:
        """The 8 raw Xpresso half-life features (UTR/CDS lengths, intron length, GC, CDS exon density) of every
        coding transcript of a GFF3/GTF, for the perceiver models' --halflife. Ids are those `zoo predict` gives
        the same annotation's transcripts with --genome."""
        from zoo_perceiver.halflife import write_feature_table

        n = write_feature_table(annotation, genome, output)
        click.echo(f"{n} coding transcripts -> {output}", err=True)
