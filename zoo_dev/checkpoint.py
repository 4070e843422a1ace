"""Resumable training state without pickle: every tensor in one safetensors file, the rest as JSON in its metadata.

    save_state(path, model=net, optimizer=opt, info={"update": 1200, "scheduler": sched.state_dict()})
    info = load_state(path, model=net, optimizer=opt)
    info = read_info(path)            # the same, without touching a model (None when there is no state yet)

``torch.save``/``torch.load`` would pickle the optimizer state; the project reads no pickle, not even its own.
The file is written next to ``path`` and renamed over it, so a run killed mid-save keeps its previous state.
``info`` must be JSON-serialisable (the epoch, the RNG seed, the scheduler's ``state_dict()``, …).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

MODEL, OPTIMIZER, EXTRA = "model.", "optimizer.", "extra."


def save_state(path: str | Path, *, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
               info: dict[str, Any], extra: dict[str, torch.Tensor] | None = None) -> None:
    """Write the model's and optimizer's state, ``extra`` tensors (e.g. the best weights so far) and ``info``."""
    path = Path(path)
    tensors = {MODEL + k: _own(v) for k, v in model.state_dict().items()}
    tensors.update({EXTRA + k: _own(v) for k, v in (extra or {}).items()})
    opt = optimizer.state_dict()
    scalars: dict[str, Any] = {}
    for index, per_param in opt["state"].items():
        for key, value in per_param.items():
            if torch.is_tensor(value):
                tensors[f"{OPTIMIZER}{index}.{key}"] = _own(value)
            else:
                scalars[f"{index}.{key}"] = value
    meta = {"info": info, "param_groups": opt["param_groups"], "optimizer_scalars": scalars}
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata={"state": json.dumps(meta)})
    tmp.replace(path)


def load_state(path: str | Path, *, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
               device: str | torch.device = "cpu") -> dict[str, Any]:
    """Restore what :func:`save_state` wrote into ``model`` and ``optimizer``; return ``info``."""
    with safe_open(str(path), framework="pt", device=str(device)) as fh:
        meta = json.loads(fh.metadata()["state"])
        tensors = {k: fh.get_tensor(k) for k in fh.keys()}
    model.load_state_dict({k[len(MODEL):]: v for k, v in tensors.items() if k.startswith(MODEL)})
    state: dict[int, dict[str, Any]] = {}
    for key, value in [*tensors.items(), *meta["optimizer_scalars"].items()]:
        if key.startswith(OPTIMIZER):
            key = key[len(OPTIMIZER):]
        elif key.startswith((MODEL, EXTRA)):
            continue
        index, name = key.split(".", 1)
        state.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    return meta["info"]


def read_info(path: str | Path) -> dict[str, Any] | None:
    """The ``info`` of a state file without loading its tensors (e.g. to decide whether to resume); None if absent."""
    if not Path(path).is_file():
        return None
    with safe_open(str(path), framework="pt") as fh:
        return json.loads(fh.metadata()["state"])["info"]


def load_extra(path: str | Path, device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    """The ``extra`` tensors of a state file."""
    with safe_open(str(path), framework="pt", device=str(device)) as fh:
        return {k[len(EXTRA):]: fh.get_tensor(k) for k in fh.keys() if k.startswith(EXTRA)}


def _own(t: torch.Tensor) -> torch.Tensor:
    # safetensors refuses tensors that share storage (views, tied weights); a private contiguous copy never does
    return t.detach().to("cpu").contiguous().clone()
