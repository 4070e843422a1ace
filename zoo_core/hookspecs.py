"""The hooks a zoo plugin implements. Each receives a callback owned by the host."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("zoo")
hookimpl = HookimplMarker("zoo")


@hookspec
def register_models(register: Callable[..., None]) -> None:
    """Register models: ``register(spec_path, loader)`` for each model.yaml the plugin ships."""


@hookspec
def register_dataloaders(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Register dataloaders: ``register(name, factory)``."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add click subcommands to the ``zoo`` command group."""
