"""``--device``: one check, one spelling, one message, for every model.

:func:`check_device` runs once, when a model is loaded (:meth:`zoo_core.api.Model.load`), before the model
is moved. A device the model's framework cannot see is an error, never a silent run on the CPU, and a plugin's
``ZooModel.to`` receives only the canonical spellings: ``'cpu'``, ``'cuda:N'`` or ``'mps'``.

The framework is imported here only when a device other than the CPU is asked for, and only the model's own.
"""

from __future__ import annotations

import re

from zoo_core.errors import InputError

SPELLINGS = "cpu, cuda, cuda:N, gpu, gpu:N or mps"
_DEVICE = re.compile(r"(cpu|cuda|gpu|mps)(?::(\d+))?")


def check_device(device: str | None, framework: str) -> str | None:
    """The canonical form of ``device`` for a model of ``framework`` ('torch', 'tensorflow' or 'numpy').

    ``None`` (the framework's default) stays ``None``; ``'gpu'``, ``'gpu:N'`` and ``'cuda'`` become
    ``'cuda:N'`` (N = 0 when not given).

    Raises
    ------
    InputError
        (source ``--device``) An unknown spelling, or a device the framework cannot see: no GPU in this
        torch/TensorFlow build or machine, a GPU index past the last one, MPS outside torch, any device but
        the CPU for a numpy model.
    """
    if device is None:
        return None
    m = _DEVICE.fullmatch(device.strip().lower())
    if not m or (m.group(1) in {"cpu", "mps"} and m.group(2) is not None):
        raise InputError("--device", f"unknown device {device!r}; use {SPELLINGS}")
    kind, index = m.group(1), int(m.group(2) or 0)
    if kind == "cpu":
        return "cpu"
    canonical = "mps" if kind == "mps" else f"cuda:{index}"
    if framework == "torch":
        _check_torch(device, kind, index)
    elif framework == "tensorflow":
        _check_tensorflow(device, kind, index)
    elif framework == "numpy":
        raise InputError("--device", f"{device!r} is not available: this model runs on numpy, on the CPU only "
                                     "(use --device cpu, or leave --device out)")
    # another framework: the spelling is checked; that framework's plugin reports what it cannot see
    return canonical


def _check_torch(device: str, kind: str, index: int) -> None:
    import torch

    if kind == "mps":
        if not torch.backends.mps.is_available():
            raise InputError("--device", f"{device!r} is not available: torch {torch.__version__} sees no Apple "
                                         "MPS device (use --device cpu)")
        return
    if not torch.cuda.is_available():
        why = "is a CPU-only build" if torch.version.cuda is None else "sees no CUDA GPU"
        raise InputError("--device", f"{device!r} is not available: torch {torch.__version__} {why} "
                                     "(use --device cpu)")
    count = torch.cuda.device_count()
    if index >= count:
        raise InputError("--device", f"{device!r} is not available: torch sees {count} CUDA GPU(s), "
                                     f"cuda:0 to cuda:{count - 1}")


def _check_tensorflow(device: str, kind: str, index: int) -> None:
    if kind == "mps":  # TensorFlow's Metal plugin lists the Apple GPU as a GPU
        raise InputError("--device", f"{device!r} is a torch device; this model runs on TensorFlow "
                                     "(use --device gpu or cpu)")
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        why = "is a CPU-only build" if not tf.test.is_built_with_cuda() else "sees no GPU"
        raise InputError("--device", f"{device!r} is not available: TensorFlow {tf.__version__} {why} "
                                     "(use --device cpu)")
    if index >= len(gpus):
        raise InputError("--device", f"{device!r} is not available: TensorFlow sees {len(gpus)} GPU(s), "
                                     f"gpu:0 to gpu:{len(gpus) - 1}")
