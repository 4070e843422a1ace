"""`zoo predict MODEL INPUT... -o OUT [the model's own options]`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from zoo.cli.model_options import ModelCommand, split_options

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


@click.command("predict", cls=ModelCommand)
@click.argument("model_id")
@click.argument("inputs", nargs=-1, required=True, type=existing)
@click.option("-o", "--output", required=True, type=existing,
              help="Output table: .tsv (default), .csv, .parquet or .h5.")
@click.option("--genome", type=existing, help="Genome FASTA (plain or bgzip) for BED/GTF inputs.")
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(1))
@click.option("--device", default=None, help="cpu, cuda, gpu:0 … (default: the framework's choice).")
@click.option("--weights-dir", type=click.Path(file_okay=False, path_type=Path), help="Use weights from this folder.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
@click.pass_context
def command(ctx: click.Context, model_id: str, inputs: tuple[Path, ...], output: Path, genome: Path | None,
            batch_size: int, device: str | None, weights_dir: Path | None, quiet: bool, **params: Any) -> None:
    """Predict with MODEL from FASTA files, or BED/GTF files plus --genome.

    Nothing is written unless every record succeeds.
    """
    from zoo_core.api import get_model
    from zoo_core.output import check_output, table_format, write_table

    options = split_options(params, ctx.command.model_options)
    check_output(output, [*inputs, genome, *options.values()])
    table_format(output)
    model = get_model(model_id)
    model.load(device=device, weights_dir=weights_dir)
    chunks = model.predict_iter(list(inputs), batch_size=batch_size, device=device, genome=genome, **options)
    n = write_table(output, progress(chunks, quiet=quiet))
    if not quiet:
        click.echo(f"{model_id}: {n} predictions -> {output}", err=True)
