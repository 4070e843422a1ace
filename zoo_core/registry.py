"""Plugin discovery and the model / dataloader registry.

Plugins are found through the ``zoo`` entry-point group, loaded once and lazily (``import zoo``
loads nothing). Each plugin is imported and asked to register inside its own try/except, so one
broken plugin is reported by name and every other model keeps working. ``ZOO_LOAD_PLUGINS``
restricts loading: empty disables all entry-point plugins, ``zoo-xpresso,zoo-other`` (distribution
or entry-point names) loads only those. ``ZOO_DEBUG=1`` re-raises plugin errors.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pluggy

from zoo_core import hookspecs
from zoo_core.errors import DuplicateModelError, PluginLoadError, UnknownModelError
from zoo_core.spec import ModelSpec, load_spec

Loader = Callable[[ModelSpec, dict[str, Path]], Any] | str


@dataclass(frozen=True)
class ModelEntry:
    """A registered model: its validated spec, where the spec lives, and how to build it."""

    spec: ModelSpec
    spec_path: Path
    loader: Loader
    plugin: str

    @property
    def bundle_dir(self) -> Path:
        return self.spec_path.parent


@dataclass
class Registry:
    """What the loaded plugins registered. One process-wide instance: :func:`registry`."""

    pm: pluggy.PluginManager = field(default_factory=lambda: _new_pm())
    models: dict[str, ModelEntry] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> model id
    dataloaders: dict[str, Callable[..., Any]] = field(default_factory=dict)
    errors: list[PluginLoadError] = field(default_factory=list)
    plugins: dict[str, str] = field(default_factory=dict)  # name -> version
    loaded: bool = False

    def add_plugin(self, plugin: object, name: str, version: str = "") -> None:
        """Register one plugin object (module or class instance) and collect what it provides.

        Raises
        ------
        PluginLoadError
            If any of its hooks fails (only with ZOO_DEBUG=1; otherwise it is recorded in ``errors``).
        """
        models: dict[str, ModelEntry] = {}
        aliases: dict[str, str] = {}
        loaders: dict[str, Callable[..., Any]] = {}

        def register_model(spec_path: str | Path, loader: Loader) -> None:
            spec_path = Path(spec_path)
            spec = load_spec(spec_path)
            if spec.name in self.aliases or spec.name in aliases:
                raise DuplicateModelError(f"model '{spec.name}' is already an alias of another model")
            if spec.name in self.models or spec.name in models:
                owner = self.models[spec.name].plugin if spec.name in self.models else name
                raise DuplicateModelError(f"model '{spec.name}' is registered by both '{owner}' and '{name}'")
            models[spec.name] = ModelEntry(spec, spec_path, loader, name)
            for alias in spec.aliases:
                if any(alias in ids for ids in (self.models, self.aliases, models, aliases)):
                    raise DuplicateModelError(f"alias '{alias}' of model '{spec.name}' is already an id or alias")
                aliases[alias] = spec.name

        def register_dataloader(dl_name: str, factory: Callable[..., Any]) -> None:
            loaders[dl_name] = factory

        registered = False
        try:
            self.pm.register(plugin, name=name)
            registered = True
            # each plugin's hooks are called on their own, so a failure is pinned on that plugin
            for hook, callback in ((self.pm.hook.register_models, register_model),
                                   (self.pm.hook.register_dataloaders, register_dataloader)):
                for impl in hook.get_hookimpls():
                    if impl.plugin is plugin:
                        impl.function(**dict.fromkeys(impl.argnames, callback))
        except Exception as e:
            if registered:
                self.pm.unregister(plugin)
            self._fail(name, e)
            return
        self.models.update(models)
        self.aliases.update(aliases)
        self.dataloaders.update(loaders)
        self.plugins[name] = version

    def _fail(self, name: str, e: BaseException) -> None:
        err = PluginLoadError(name, e)
        if os.environ.get("ZOO_DEBUG"):
            raise err from e
        self.errors.append(err)
        print(f"zoo: warning: {err}", file=sys.stderr)

    def load_entry_points(self) -> None:
        """Import and register every ``zoo`` entry point allowed by ``ZOO_LOAD_PLUGINS``."""
        allow = os.environ.get("ZOO_LOAD_PLUGINS")
        allowed = None if allow is None else {a.strip() for a in allow.split(",") if a.strip()}
        for ep in entry_points(group="zoo"):
            dist = ep.dist.name if ep.dist else ep.name
            if allowed is not None and not allowed & {dist, ep.name}:
                continue
            if ep.name in self.plugins:
                continue
            try:
                module = ep.load()
            except Exception as e:
                self._fail(dist, e)
                continue
            self.add_plugin(module, dist, ep.dist.version if ep.dist else "")

    def ensure_loaded(self) -> None:
        if not self.loaded:
            self.loaded = True
            from zoo_core.default_plugins import core

            self.add_plugin(core, "zoo-core", "")
            self.load_entry_points()

    def get(self, model_id: str) -> ModelEntry:
        """The entry for ``model_id`` or one of its aliases.

        Raises
        ------
        UnknownModelError
            With a close-match suggestion.
        """
        self.ensure_loaded()
        try:
            return self.models[self.aliases.get(model_id, model_id)]
        except KeyError:
            raise UnknownModelError(model_id, [*self.models, *self.aliases]) from None


def _new_pm() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("zoo")
    pm.add_hookspecs(hookspecs)
    return pm


_REGISTRY: Registry | None = None


def registry() -> Registry:
    """The process-wide registry (plugins are loaded on first :meth:`Registry.ensure_loaded`)."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = Registry()
    return _REGISTRY


def reset_registry() -> Registry:
    """Start over with an empty registry (tests)."""
    global _REGISTRY
    _REGISTRY = Registry()
    return _REGISTRY
