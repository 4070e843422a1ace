"""zoo_core: the interfaces, model.yaml spec, registry and I/O every zoo plugin builds on.

A plugin imports only what it needs from here: ``hookimpl``, ``ZooModel``, ``Batch``.
"""

from zoo_core.hookspecs import hookimpl
from zoo_core.model import Batch, ZooModel

__all__ = ["Batch", "ZooModel", "hookimpl"]
