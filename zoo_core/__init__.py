"""zoo_core: the interfaces, model.yaml spec, registry and I/O every zoo plugin builds on.

A plugin imports only what it needs from here: ``hookimpl``, ``ZooModel``, ``Batch``. The model
classes (and numpy) load on first access, so `zoo list` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zoo_core.hookspecs import hookimpl

if TYPE_CHECKING:
    from zoo_core.model import Batch, ZooModel

__all__ = ["Batch", "ZooModel", "hookimpl"]


def __getattr__(name: str) -> Any:
    if name in {"Batch", "ZooModel"}:
        from zoo_core import model

        return getattr(model, name)
    raise AttributeError(f"module 'zoo_core' has no attribute {name!r}")
