"""`zoo explain MODEL INPUT --method METHOD -o OUT.h5 [the model's own options]`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from zoo.cli.model_options import ModelCommand, split_options
from zoo.cli.predict import existing, progress

LONG_RUN_HOURS = 1.0


def _duration(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


@click.command("explain", cls=ModelCommand)
@click.argument("model_id")
@click.argument("inputs", nargs=-1, required=True, type=existing)
@click.option("-o", "--output", required=True, type=existing, help="HDF5 file of (L, 4) attributions.")
@click.option("--method", default=None, help="Attribution method; `zoo info MODEL` lists the model's "
                                             "(default: its first).")
@click.option("--target", default=None, help="Numeric output to explain (default: the model's).")
@click.option("--png-dir", type=click.Path(file_okay=False, path_type=Path), help="Also save one PNG per sequence.")
@click.option("--genome", type=existing, help="Genome FASTA for BED/GTF inputs.")
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(1))
@click.option("--device", default=None)
@click.option("--weights-dir", type=click.Path(file_okay=False, path_type=Path), help="Use weights from this folder.")
@click.option("-q", "--quiet", is_flag=True)
@click.option("-y", "--yes", is_flag=True, help=f"Run even when the estimate exceeds {LONG_RUN_HOURS:g} hour(s).")
@click.pass_context
def command(ctx: click.Context, model_id: str, inputs: tuple[Path, ...], output: Path, method: str | None,
            target: str | None, png_dir: Path | None, genome: Path | None, batch_size: int, device: str | None,
            weights_dir: Path | None, quiet: bool, yes: bool, **params: Any) -> None:
    """Per-position x base attributions for each input sequence (sign: + raises the output)."""
    from zoo_core.api import get_model
    from zoo_core.explain import target_name
    from zoo_core.output import check_output, write_attributions

    options = split_options(params, ctx.command.model_options)
    check_output(output, [*inputs, genome, *options.values()])
    if output.suffix.lower() not in {".h5", ".hdf5"}:
        raise click.BadParameter("must end in .h5 or .hdf5", param_hint="--output")
    if png_dir is not None:
        from zoo_core.plot import require_plot

        require_plot()  # before any compute: a missing zoo[plot] is one line, not a crash after the first record
    model = get_model(model_id)
    method = method or model.info.explain.methods[0]
    impl = model.load(device=device, weights_dir=weights_dir)
    cost = model.explain_cost(list(inputs), method=method, batch_size=batch_size, genome=genome, **options)
    if cost is not None:
        eta = f"{cost.passes:,} model evaluations for {cost.records:,} sequences, about {_duration(cost.seconds)}"
        if cost.seconds > LONG_RUN_HOURS * 3600 and not yes:
            raise click.UsageError(f"--method {method}: {eta} on this machine; rerun with --yes to start it")
        if not quiet and cost.seconds > 10:
            click.echo(f"{model_id}: --method {method}: {eta}", err=True)
    attrs = model.explain(list(inputs), method=method, target=target, batch_size=batch_size, device=device,
                          genome=genome, **options)
    n = write_attributions(output, progress(attrs, quiet=quiet, count=lambda _: 1), model=model.name, method=method,
                           target=target_name(impl, target), png_dir=png_dir)
    if not quiet:
        click.echo(f"{model_id}: {method} attributions for {n} sequences -> {output}", err=True)
