"""`zoo predict MODEL INPUT... -o OUT [the model's own options]`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from zoo.cli.model_options import ModelCommand, split_options
from zoo.cli.scale import OUTPUT, in_parts, run_in_parts, scale_options

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
@click.option("-o", "--output", required=True, type=OUTPUT,
              help="Output table: .tsv (default), .csv, .parquet or .h5; or DIR/ (Parquet parts and a manifest).")
@click.option("--genome", type=existing, help="Genome FASTA (plain or bgzip) for BED/GTF inputs.")
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(1))
@click.option("--device", default=None, help="cpu, cuda, gpu:0 … (default: the framework's choice).")
@click.option("--weights-dir", type=click.Path(file_okay=False, path_type=Path), help="Use weights from this folder.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
@click.option("--shard", metavar="K/N",
              help="Predict only the parts (of --part-size records) whose ordinal is K-1 modulo N (deterministic).")
@scale_options
@click.pass_context
def command(ctx: click.Context, model_id: str, inputs: tuple[Path, ...], output: Path, genome: Path | None,
            batch_size: int, device: str | None, weights_dir: Path | None, quiet: bool, shard: str | None, engine: str,
            num_workers: int, gpus_per_worker: float, threads_per_worker: int | None, part_size: int | None,
            resume: bool, **params: Any) -> None:
    """Predict with MODEL from FASTA files, or BED/GTF files plus --genome.

    Nothing is written unless every record succeeds.
    """
    from zoo_core.api import get_model
    from zoo_core.output import check_output, table_format, write_table

    options = split_options(params, ctx.command.model_options)
    if in_parts(output, engine, shard):
        from zoo_core.parts import DEFAULT_PART

        get_model(model_id).load(device=device, weights_dir=weights_dir)  # a bad model or device stops here, once
        run_in_parts("predict", model_id, list(inputs), output, genome=genome, options=options, batch_size=batch_size,
                     part_size=part_size, default_part=DEFAULT_PART, shard=shard, device=device,
                     weights_dir=weights_dir, engine=engine,
                     num_workers=num_workers, gpus_per_worker=gpus_per_worker, threads_per_worker=threads_per_worker,
                     resume=resume, quiet=quiet)
        return
    check_output(output, [*inputs, genome, *options.values()])
    table_format(output)
    model = get_model(model_id)
    model.load(device=device, weights_dir=weights_dir)
    chunks = model.predict_iter(list(inputs), batch_size=batch_size, device=device, genome=genome, **options)
    n = write_table(output, progress(chunks, quiet=quiet))
    if not quiet:
        click.echo(f"{model_id}: {n} predictions -> {output}", err=True)
