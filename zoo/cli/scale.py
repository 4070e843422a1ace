"""The flags of runs in parts, shared by `zoo predict` and `zoo vep`: --engine, --num-workers, --gpus-per-worker,
--part-size, --resume (see zoo_core/parts.py and zoo_core/ray_engine.py)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


class OutputPath(click.ParamType):
    """``-o``: a file, or with a trailing '/' a directory of parts; kept as text, since Path() drops the '/'."""

    name = "path"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        if Path(text).is_dir() and not text.endswith(("/", os.sep)):
            self.fail(f"'{text}' is a directory; end it with '/' to write a directory of parts there", param, ctx)
        return text


OUTPUT = OutputPath()


def scale_options(f: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed([
        click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
                     help="local: this process. ray: a Ray actor pool (pip install 'zoo[ray]'), local or RAY_ADDRESS's "
                          "cluster."),
        click.option("--num-workers", default=1, show_default=True, type=click.IntRange(1),
                     help="Ray actors, each with the model loaded once."),
        click.option("--gpus-per-worker", default=0.0, show_default=True, type=click.FloatRange(0),
                     help="GPUs Ray gives each actor (with --device cuda)."),
        click.option("--threads-per-worker", type=click.IntRange(1),
                     help="CPUs (framework threads) per Ray actor; default the cluster's CPUs / --num-workers."),
        click.option("--part-size", type=click.IntRange(1),
                     help="Records per part of a run in parts (default: 4096 for predict, the chunk size for vep)."),
        click.option("--resume", is_flag=True, help="Continue the run in the output directory: skip finished parts."),
    ]):
        f = opt(f)
    return f


def in_parts(output: Path, engine: str, shard: str | None = None) -> bool:
    """Whether a run goes through parts: an output directory, a Ray engine, or (predict) a shard."""
    from zoo_core.parts import is_directory_output

    return engine == "ray" or is_directory_output(output) or shard is not None


def run_in_parts(command: str, model_id: str, inputs: list[Path], output: Path, *, genome: Path | None,
                 annotation: Path | None = None, options: dict[str, Any], batch_size: int, part_size: int | None,
                 default_part: int, shard: str | None, device: str | None, weights_dir: Path | None, engine: str,
                 num_workers: int,
                 gpus_per_worker: float, threads_per_worker: int | None, resume: bool, quiet: bool) -> None:
    from zoo.cli.predict import progress  # here: predict imports this module
    from zoo_core.parts import Job, part_size_for, run_job
    from zoo_core.vep import parse_shard

    size = part_size_for(command, part_size or default_part, batch_size)
    job = Job(command, model_id, tuple(str(p) for p in inputs), str(genome) if genome else None,
              str(annotation) if annotation else None, {k: str(v) if isinstance(v, Path) else v for k, v in options.items()},
              batch_size, size, parse_shard(shard), device, str(weights_dir) if weights_dir else None)
    rows = run_job(job, output, engine=engine, num_workers=num_workers, gpus_per_worker=gpus_per_worker,
                   threads_per_worker=threads_per_worker, resume=resume,
                   progress=lambda counts: progress(counts, quiet=quiet, count=lambda n: n))
    if not quiet:
        click.echo(f"{model_id}: {rows} rows -> {output} ({engine} engine, parts of {size} records)", err=True)
