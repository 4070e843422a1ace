"""``--engine ray``: the parts of a run (:mod:`zoo_core.parts`) scored on a Ray Data actor pool.

Ray Data reads the part list in blocks of one part; ``map_batches`` runs a pool of ``num_workers`` actors, each of
which loads the model once (and for vep the genome and the annotation's features) and scores the parts it is
given, writing each part's Parquet file itself, atomically, into the output directory (a shared filesystem on a
cluster). The driver records finished parts in the manifest as they stream back. Nothing here is imported unless
``--engine ray`` is asked for; Ray is the optional extra ``pip install 'zoo[ray]'``.

``ray.init()`` attaches to the cluster ``RAY_ADDRESS`` names, or starts a local instance. Ray's usage statistics
are off unless the user set ``RAY_USAGE_STATS_ENABLED`` himself.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from zoo_core.errors import InputError, ZooError
from zoo_core.parts import Job, input_kind, part_input, save_manifest, score_part, write_part


class PartWorker:
    """A Ray actor: the model loaded once, then parts scored one by one."""

    def __init__(self, job: Job, folder: str, threads: int) -> None:
        # one process per worker: keep each framework to the CPUs Ray gave this actor
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
            os.environ[var] = str(threads)
        os.environ["TF_NUM_INTEROP_THREADS"] = "1"
        if importlib.util.find_spec("torch") is not None:
            import torch

            torch.set_num_threads(threads)
        self.job, self.folder, self.cache = job, Path(folder), {}
        self.kind = input_kind(job.inputs[0], job.command)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[int]]:
        parts, rows = [], []
        for index in batch["part"]:
            index = int(index)
            table = score_part(self.job, part_input(self.folder, index, self.kind), self.cache)
            rows.append(write_part(self.folder, index, table))
            parts.append(index)
        return {"part": parts, "rows": rows}


def run_ray(job: Job, folder: Path, todo: Iterable[int], manifest: dict[str, Any], *, num_workers: int,
            gpus_per_worker: float = 0.0, threads_per_worker: int | None = None) -> Iterator[int]:
    """Score ``todo`` on a Ray actor pool; yields each part's rows as the driver learns it is written.

    Each actor asks Ray for ``threads_per_worker`` CPUs (default: the cluster's CPUs shared among the workers) and
    runs its framework on that many threads. Values equal a local run's to the bit when the thread counts are the
    same; TensorFlow's convolutions sum in another order on another number of threads (≤ 2e-7 on Xpresso here).

    Raises
    ------
    InputError
        Ray is not installed; or, re-raised as itself, the zoo error a worker met (a bad record, a bad option).
    """
    if importlib.util.find_spec("ray") is None:
        raise InputError("--engine", "ray is not installed: pip install 'zoo[ray]'")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray
    import ray.exceptions

    todo = list(todo)
    if not todo:
        return
    logging.getLogger("ray").setLevel(logging.ERROR)  # zoo prints its own progress, summary and errors
    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS")
        ray.init(address=address or None, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    import ray.data  # configures Ray Data's loggers: quieten them after it

    ray.data.DataContext.get_current().print_on_execution_start = False
    ray.data.DataContext.get_current().enable_progress_bars = False
    for name in ("ray.data", "ray"):  # zoo prints its own progress and summary
        logging.getLogger(name).setLevel(logging.ERROR)
    cpus = threads_per_worker or max(1, int(ray.cluster_resources().get("CPU", 1)) // num_workers)
    ds = ray.data.from_items([{"part": p} for p in todo], override_num_blocks=len(todo))
    with warnings.catch_warnings():  # max_restarts goes through ray_remote_args, deprecated in name only
        warnings.simplefilter("ignore")
        out = ds.map_batches(PartWorker, batch_size=1, compute=ray.data.ActorPoolStrategy(size=num_workers), num_cpus=cpus,
                             num_gpus=gpus_per_worker or None, fn_constructor_args=(replace(job), str(folder), cpus),
                             max_restarts=0)  # a lost actor's parts are scored again by --resume, not by a restart
    try:
        for row in out.iter_rows():
            manifest["parts"][str(int(row["part"]))] = {"rows": int(row["rows"])}
            save_manifest(folder, manifest)
            yield int(row["rows"])
    except ray.exceptions.RayError as e:
        cause = _zoo_cause(e)
        if cause is not None:
            raise cause from None
        raise


def _zoo_cause(e: BaseException) -> ZooError | None:
    """The ZooError a worker raised, found in Ray's wrapping exceptions (one line for the user, not a Ray trace)."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [e]
    while stack:
        x = stack.pop()
        if x is None or id(x) in seen:
            continue
        seen.add(id(x))
        if isinstance(x, ZooError):
            return x
        stack += [getattr(x, "cause", None), x.__cause__, x.__context__]
    return None
