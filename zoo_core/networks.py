"""Build a PyTorch network from a model folder's ``config.json`` and load its safetensors weights.

Most torch plugins keep their architecture's arguments in ``config.json`` next to ``model.safetensors``. This
helper does the part every one of them repeats, with the errors a user can act on: a config that does not build a
network, or weights that do not fit it, stop with one line naming the file. Nothing is unpickled.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo_core.errors import ModelSpecError

if TYPE_CHECKING:
    from torch import nn


def load_network(build: Callable[[dict[str, Any]], nn.Module], config_path: str | Path,
                 weights_path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """Return ``(network, config)``: ``build(config)`` with the weights loaded strictly, in eval mode, on the CPU.

    Raises
    ------
    ModelSpecError
        ``config.json`` is not a JSON object, ``build`` fails on it (a missing key or a bad argument), or the
        safetensors file has missing, extra or wrongly shaped tensors for the network.
    """
    from safetensors.torch import load_file

    config_path, weights_path = Path(config_path), Path(weights_path)
    try:
        config = json.loads(config_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelSpecError(config_path, "config.json", f"is not readable JSON: {e}") from None
    if not isinstance(config, dict):
        raise ModelSpecError(config_path, "config.json", "must be a JSON object")
    try:
        net = build(config)
    except (KeyError, TypeError, ValueError) as e:
        raise ModelSpecError(config_path, "network", f"does not build a network: {e}") from None
    try:
        net.load_state_dict(load_file(str(weights_path)), strict=True)
    except RuntimeError as e:  # torch's message lists every missing/unexpected/mis-shaped key; the first line says which
        raise ModelSpecError(weights_path, "weights",
                             f"do not fit config.json's network: {str(e).splitlines()[0]}") from None
    return net.eval(), config
