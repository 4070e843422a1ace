"""`zoo explain MODEL INPUT --method ism|grad|ig -o OUT.h5`."""

from __future__ import annotations

from pathlib import Path

import click

from zoo.cli.predict import existing, progress


@click.command("explain")
@click.argument("model_id")
@click.argument("inputs", nargs=-1, required=True, type=existing)
@click.option("-o", "--output", required=True, type=existing, help="HDF5 file of (L, 4) attributions.")
@click.option("--method", default="ism", show_default=True, help="ism, grad, ig, or the model's own (mdig).")
@click.option("--target", default=None, help="Output to explain (default: the first).")
@click.option("--png-dir", type=click.Path(file_okay=False, path_type=Path), help="Also save one PNG per sequence.")
@click.option("--genome", type=existing, help="Genome FASTA for BED/GTF inputs.")
@click.option("--features", type=existing, help="TSV of numeric inputs by id.")
@click.option("--gff", type=existing, help="GFF3/GTF transcript annotation: cut transcripts from --genome.")
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(1))
@click.option("--device", default=None)
@click.option("-q", "--quiet", is_flag=True)
def command(model_id: str, inputs: tuple[Path, ...], output: Path, method: str, target: str | None,
            png_dir: Path | None, genome: Path | None, features: Path | None, gff: Path | None, batch_size: int,
            device: str | None, quiet: bool) -> None:
    """Per-position x base attributions for each input sequence (sign: + raises the output)."""
    from zoo_core.api import get_model
    from zoo_core.output import write_attributions

    if output.suffix.lower() not in {".h5", ".hdf5"}:
        raise click.BadParameter("must end in .h5 or .hdf5", param_hint="--output")
    model = get_model(model_id)
    attrs = model.explain(list(inputs), method=method, target=target, batch_size=batch_size, device=device,
                          genome=genome, features=features, gff=gff)
    target_name = target or model.info.explain.target or model.info.outputs[0].name
    n = write_attributions(output, progress(attrs, quiet=quiet, count=lambda _: 1), model=model_id, method=method,
                           target=target_name, png_dir=png_dir)
    if not quiet:
        click.echo(f"{model_id}: {method} attributions for {n} sequences -> {output}", err=True)

