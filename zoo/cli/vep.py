"""`zoo vep MODEL --pairs pairs.tsv -o OUT [the model's own options]`: variant effects of sequence pairs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from zoo.cli.model_options import ModelCommand, split_options
from zoo.cli.predict import existing, progress


@click.command("vep", cls=ModelCommand)
@click.argument("model_id")
@click.option("--pairs", required=True, type=existing,
              help="TSV with columns id, ref, alt: the reference and alternative sequence of each variant.")
@click.option("-o", "--output", required=True, type=existing,
              help="Output table: .tsv (default), .csv, .parquet or .h5.")
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(1))
@click.option("--device", default=None, help="cpu, cuda, gpu:0 … (default: the framework's choice).")
@click.option("--weights-dir", type=click.Path(file_okay=False, path_type=Path), help="Use weights from this folder.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
@click.pass_context
def command(ctx: click.Context, model_id: str, pairs: Path, output: Path, batch_size: int, device: str | None,
            weights_dir: Path | None, quiet: bool, **params: Any) -> None:
    """Score variants given as ref/alt sequence pairs with MODEL: the scores its model.yaml declares
    (`zoo info MODEL`, variant_scores), by default alt - ref of each numeric output.

    Nothing is written unless every pair succeeds.
    """
    from zoo_core.api import get_model
    from zoo_core.output import check_output, table_format, write_table

    options = split_options(params, ctx.command.model_options)
    check_output(output, [pairs, *options.values()])
    table_format(output)
    model = get_model(model_id)
    model.load(device=device, weights_dir=weights_dir)
    chunks = model.score_pairs_iter(pairs, batch_size=batch_size, device=device, **options)
    n = write_table(output, progress(chunks, quiet=quiet))
    if not quiet:
        click.echo(f"{model_id}: {n} variant effects -> {output}", err=True)
