"""The hooks a zoo plugin implements. Each receives a callback owned by the host.

A plugin implements any of them with ``@zoo_core.hookimpl``; the registry calls each plugin's hooks on
their own, so a hook that raises costs only that plugin (or, for ``register_commands``, its commands).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("zoo")
hookimpl = HookimplMarker("zoo")


@hookspec
def register_models(register: Callable[..., None]) -> None:
    """Register models: ``register(spec_path, loader, options=None)`` for each model.yaml the plugin ships.

    ``loader`` is ``"package.module:Class"`` (imported on first use) or a callable ``(spec, weights) -> ZooModel``;
    ``options`` is the model's :class:`zoo_core.options.Options` subclass, if it takes any.
    """


@hookspec
def register_dataloaders(register: Callable[..., None]) -> None:
    """Register dataloaders: ``register(name, factory, options=None)``.

    ``factory(spec, sources, *, batch_size, genome, options)`` yields :class:`zoo_core.model.Batch` es;
    ``options`` is an instance of the given :class:`zoo_core.options.Options` subclass (or None). Instead of a class,
    ``options`` may be a function of the model's spec returning the class or None, for options only some models use.
    """


@hookspec
def register_explainers(register: Callable[..., None]) -> None:
    """Register attribution methods: ``register(name, fn, doc="", passes=None)``.

    ``fn(model, inputs, name, *, target, batch_size, lengths) -> np.ndarray (N, L, 4)`` attributes the output
    ``target`` to the sequence input ``name``; zero past ``lengths``. A model offers a method by listing it in
    its model.yaml ``explain.methods``. ``passes(L)``, if given, is the number of model evaluations the method
    needs for one sequence of length L, from which ``zoo explain`` estimates the run's time before it starts.
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add click subcommands to the ``zoo`` command group."""
