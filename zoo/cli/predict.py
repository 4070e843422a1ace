"""`zoo predict MODEL INPUT... -o OUT`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

existing = click.Path(exists=False, dir_okay=False, path_type=Path)


T = TypeVar("T")


def progress(chunks: Iterator[T], *, quiet: bool, count: Callable[[Any], int] = len) -> Iterator[T]:
    """Pass chunks through, counting records on a stderr progress bar (off when quiet or not a tty)."""
    if quiet:
        yield from chunks
        return
    from tqdm import tqdm

    with tqdm(unit="seq", disable=None, leave=False) as bar:
        for chunk in chunks:
            yield chunk
            bar.update(count(chunk))


@click.command("predict")
@click.argument("model_id")
@click.argument("inputs", nargs=-1, required=True, type=existing)
@click.option("-o", "--output", required=True, type=existing, help="Output table: .tsv (default), .csv or .parquet.")
@click.option("--genome", type=existing, help="Genome FASTA (plain or bgzip) for BED/GTF inputs.")
@click.option("--features", type=existing, help="TSV of numeric inputs by id (e.g. half-life features).")
@click.option("--gff", type=existing, help="GFF3/GTF transcript annotation: cut transcripts from --genome.")
@click.option("--tpm", type=existing, help="TSV of mRNA levels (id + one TPM column per sample), for models that use them.")
@click.option("--full-decode", is_flag=True, help="Sequence-to-sequence models: also decode the output sequence.")
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(1))
@click.option("--device", default=None, help="cpu, cuda, gpu:0 … (default: the framework's choice).")
@click.option("--weights-dir", type=click.Path(file_okay=False, path_type=Path), help="Use weights from this folder.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
def command(model_id: str, inputs: tuple[Path, ...], output: Path, genome: Path | None, features: Path | None,
            gff: Path | None, tpm: Path | None, full_decode: bool, batch_size: int, device: str | None, weights_dir: Path | None,
            quiet: bool) -> None:
    """Predict with MODEL from FASTA files, or BED/GTF files plus --genome.

    Transcript models take FASTA files of transcripts, or transcript ids plus --genome and --gff.

    Nothing is written unless every record succeeds.
    """
    from zoo_core.api import get_model
    from zoo_core.output import table_format, write_table

    table_format(output)
    model = get_model(model_id)
    model.load(device=device, weights_dir=weights_dir)
    chunks = model.predict_iter(list(inputs), batch_size=batch_size, device=device, genome=genome, features=features,
                                gff=gff, tpm=tpm, full_decode=full_decode or None)
    n = write_table(output, progress(chunks, quiet=quiet))
    if not quiet:
        click.echo(f"{model_id}: {n} predictions -> {output}", err=True)
