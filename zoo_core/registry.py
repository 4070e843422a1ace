"""Plugin discovery and the registry of models, dataloaders, explainers and commands.

Plugins are found through the ``zoo`` entry-point group and loaded once, lazily (``import zoo`` loads
nothing). Every hook is called through pluggy for one plugin at a time, so a hook that raises costs only
what that plugin was registering: a broken plugin is reported by name and every other model keeps working.

Ids are first come, first served only within a plugin. When two plugins register the same model id (or
alias), that id becomes ambiguous: both models stay reachable as ``PLUGIN:ID`` (e.g.
``zoo-xpresso:xpresso-human-median``), every other model of both plugins is untouched, and a warning names
both plugins. Dataloaders and explainers are looked up in the model's own plugin first, then in the core.

``ZOO_LOAD_PLUGINS`` restricts loading: empty disables all entry-point plugins, ``zoo-xpresso,zoo-other``
(distribution or entry-point names) loads only those. ``ZOO_DEBUG=1`` re-raises plugin errors.

``zoo list``, ``zoo info`` and ``--help`` read :mod:`zoo_core.catalog`, a cache of what this module
registers, and import no plugin at all.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from zoo_core import hookspecs
from zoo_core.catalog import allowed_entry_points, ambiguity_message
from zoo_core.errors import DuplicateModelError, PluginLoadError, UnknownModelError, reset_warnings, warn
from zoo_core.options import check_names
from zoo_core.spec import ModelSpec, load_spec

if TYPE_CHECKING:
    from zoo_core.options import Options

Loader = Callable[[ModelSpec, dict[str, Path]], Any] | str
CORE_PLUGIN = "zoo-core"


@dataclass(frozen=True)
class ModelEntry:
    """A registered model: its validated spec, where the spec lives, how to build it, and its options."""

    spec: ModelSpec
    spec_path: Path
    loader: Loader
    plugin: str
    options: type[Options] | None = None

    @property
    def bundle_dir(self) -> Path:
        return self.spec_path.parent

    @property
    def qualified(self) -> str:
        return f"{self.plugin}:{self.spec.name}"


@dataclass(frozen=True)
class Provided:
    """A dataloader or an explainer: its name, the callable, the plugin, and its options class or doc."""

    name: str
    obj: Callable[..., Any]
    plugin: str
    options: type[Options] | Callable[[ModelSpec], type[Options] | None] | None = None
    doc: str = ""
    passes: Callable[[int], int] | None = None  # explainers: forward/backward passes for one sequence of length L

    def options_for(self, spec: ModelSpec) -> type[Options] | None:
        """The options class for one model: ``options`` itself, or what it returns for the model's spec (a
        dataloader whose options only some models use, e.g. a table of numeric inputs)."""
        if self.options is None or isinstance(self.options, type):
            return self.options
        cls = self.options(spec)
        check_names(cls, f"dataloader '{self.name}'")
        return cls


@dataclass
class Registry:
    """What the loaded plugins registered. One process-wide instance: :func:`registry`."""

    pm: pluggy.PluginManager = field(default_factory=lambda: _new_pm())
    models: dict[str, ModelEntry] = field(default_factory=dict)  # PLUGIN:ID -> entry
    names: dict[str, str] = field(default_factory=dict)  # unambiguous id or alias -> PLUGIN:ID
    ambiguous: dict[str, list[str]] = field(default_factory=dict)  # id or alias -> every PLUGIN:ID claiming it
    aliases: set[str] = field(default_factory=set)  # the keys of ``names`` that are aliases
    dataloaders: dict[tuple[str, str], Provided] = field(default_factory=dict)  # (plugin, name)
    explainers: dict[tuple[str, str], Provided] = field(default_factory=dict)
    errors: list[PluginLoadError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    plugins: dict[str, str] = field(default_factory=dict)  # name -> version
    files: dict[str, list[str]] = field(default_factory=dict)  # plugin -> files whose change invalidates the catalog
    loaded: bool = False
    _objects: dict[str, object] = field(default_factory=dict)
    _commands: dict[str, tuple[Any, str]] | None = None

    # ---- loading ------------------------------------------------------------------------------------------------

    def add_plugin(self, plugin: object, name: str, version: str = "") -> None:
        """Register one plugin object (module or class instance) and collect what it provides.

        A hook that raises is recorded in ``errors`` against this plugin (re-raised with ZOO_DEBUG=1), and
        what its other hooks registered stays.
        """
        try:
            self.pm.register(plugin, name=name)
        except Exception as e:
            self._fail(name, e)
            return
        self.plugins[name] = version
        self._objects[name] = plugin
        self.files[name] = _source_files(plugin)
        self._call(name, "register_models", self._model_callback(name))
        self._call(name, "register_dataloaders", self._provider_callback(name, self.dataloaders, "dataloader"))
        self._call(name, "register_explainers", self._provider_callback(name, self.explainers, "explainer"))

    def _call(self, plugin_name: str, hook: str, callback: Callable[..., None]) -> bool:
        """Call one plugin's implementation of ``hook`` (through pluggy, the other plugins left out)."""
        plugin = self._objects[plugin_name]
        others = [p for p in self.pm.get_plugins() if p is not plugin]
        try:
            caller = self.pm.subset_hook_caller(hook, remove_plugins=others)
            caller(**{_ARG[hook]: callback})
        except Exception as e:
            self._fail(plugin_name, e, hook)
            return False
        return True

    def _model_callback(self, plugin: str) -> Callable[..., None]:
        def register_model(spec_path: str | Path, loader: Loader, options: type[Options] | None = None) -> None:
            spec_path = Path(spec_path)
            self.files[plugin] += [str(spec_path), str(spec_path.parent.parent)]
            try:
                spec = load_spec(spec_path)
                check_names(options, f"{spec_path}")
            except Exception as e:  # one bad model.yaml costs that model only
                self._fail(plugin, e)
                return
            entry = ModelEntry(spec, spec_path, loader, plugin, options)
            if entry.qualified in self.models:
                self._fail(plugin, DuplicateModelError(f"model '{spec.name}' is registered twice by '{plugin}'"))
                return
            self.models[entry.qualified] = entry
            self._claim(spec.name, entry.qualified)
            for alias in spec.aliases:
                self._claim_alias(alias, entry.qualified)

        return register_model

    def _claim(self, name: str, qualified: str) -> None:
        """Map a model id to its model; an id two plugins register becomes ambiguous (both stay as PLUGIN:ID)."""
        if name in self.aliases:  # an id outranks another model's alias
            self._warn(f"alias '{name}' of '{self.names[name]}' is dropped: it is the id of '{qualified}'")
            self.aliases.discard(name)
            self.names.pop(name)
        if name in self.ambiguous:
            self.ambiguous[name].append(qualified)
        elif name in self.names:
            self.ambiguous[name] = [self.names.pop(name), qualified]
        else:
            self.names[name] = qualified
            return
        self._warn(ambiguity_message(name, self.ambiguous[name]))

    def _claim_alias(self, alias: str, qualified: str) -> None:
        """Map an alias to its model; an alias that is another model's id is dropped, two alike are ambiguous."""
        if alias in self.names and alias not in self.aliases:
            self._warn(f"alias '{alias}' of '{qualified}' is dropped: it is the id of '{self.names[alias]}'")
            return
        if alias in self.ambiguous:
            self.ambiguous[alias].append(qualified)
        elif alias in self.names:
            self.aliases.discard(alias)
            self.ambiguous[alias] = [self.names.pop(alias), qualified]
        else:
            self.names[alias] = qualified
            self.aliases.add(alias)
            return
        self._warn(ambiguity_message(alias, self.ambiguous[alias]))

    def _provider_callback(self, plugin: str, table: dict[tuple[str, str], Provided], what: str) -> Callable[..., None]:
        def register(name: str, obj: Callable[..., Any], options: Any = None, doc: str = "",
                     passes: Callable[[int], int] | None = None) -> None:
            if (plugin, name) in table:
                self._fail(plugin, DuplicateModelError(f"{what} '{name}' is registered twice by '{plugin}'"))
                return
            try:
                if options is None or isinstance(options, type):  # a per-model callable is checked when called
                    check_names(options, f"{what} '{name}'")
            except ValueError as e:
                self._fail(plugin, e)
                return
            table[(plugin, name)] = Provided(name, obj, plugin, options, doc or (obj.__doc__ or "").strip().split("\n")[0],
                                             passes)

        return register

    def load_commands(self, reserved: set[str]) -> dict[str, tuple[Any, str]]:
        """Each plugin's ``register_commands``, isolated: ``{command name: (click command, plugin)}`` (once).

        A plugin whose hook raises, or whose command takes a name already in use, is reported and loses only
        that command.
        """
        import click

        if self._commands is not None:
            return self._commands
        out: dict[str, tuple[Any, str]] = {}
        self._commands = out
        for name in list(self._objects):
            staging = click.Group(name="zoo")
            if not self._call(name, "register_commands", staging):
                continue
            for cmd_name, cmd in staging.commands.items():
                if cmd_name in reserved or cmd_name in out:
                    owner = out[cmd_name][1] if cmd_name in out else "zoo"
                    self._fail(name, DuplicateModelError(f"command '{cmd_name}' is already provided by '{owner}'"))
                    continue
                out[cmd_name] = (cmd, name)
        return out

    def _fail(self, name: str, e: BaseException, hook: str | None = None) -> None:
        err = PluginLoadError(name, e, hook)
        if os.environ.get("ZOO_DEBUG"):
            raise err from e
        self.errors.append(err)
        warn(str(err))

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        warn(message)

    def load_entry_points(self) -> None:
        """Import and register every ``zoo`` entry point allowed by ``ZOO_LOAD_PLUGINS``."""
        for ep in allowed_entry_points():
            dist = ep.dist.name if ep.dist else ep.name
            if dist in self.plugins:
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

            self.add_plugin(core, CORE_PLUGIN, "")
            self.load_entry_points()

    # ---- lookups ------------------------------------------------------------------------------------------------

    def get(self, model_id: str) -> ModelEntry:
        """The entry for ``model_id``, one of its aliases, or ``PLUGIN:ID``.

        Raises
        ------
        UnknownModelError
            With a close-match suggestion.
        DuplicateModelError
            Two plugins register ``model_id``; the message names both and their ``PLUGIN:ID`` forms.
        """
        self.ensure_loaded()
        if model_id in self.ambiguous:
            raise DuplicateModelError(ambiguity_message(model_id, self.ambiguous[model_id]))
        qualified = self.names.get(model_id, model_id)
        if qualified in self.models:
            return self.models[qualified]
        raise UnknownModelError(model_id, [*self.names, *self.ambiguous, *self.models])

    def dataloader(self, entry: ModelEntry) -> Provided:
        """The dataloader ``entry``'s model.yaml names: its own plugin's, else the core's, else the only one."""
        return self._provider(self.dataloaders, entry, entry.spec.dataloader.name, "dataloader")

    def explainer(self, entry: ModelEntry, method: str) -> Provided:
        """The attribution method ``method`` as ``entry``'s plugin (or the core) registered it."""
        return self._provider(self.explainers, entry, method, "explainer")

    def _provider(self, table: dict[tuple[str, str], Provided], entry: ModelEntry, name: str, what: str) -> Provided:
        from zoo_core.errors import ModelSpecError

        for plugin in (entry.plugin, CORE_PLUGIN):
            if (plugin, name) in table:
                return table[(plugin, name)]
        others = [p for (p, n) in table if n == name]
        if len(others) == 1:
            return table[(others[0], name)]
        why = f"registered by {', '.join(others)}" if others else "not registered by any loaded plugin"
        raise ModelSpecError(entry.spec_path, what, f"{what} '{name}' is {why}")


_ARG = {"register_models": "register", "register_dataloaders": "register", "register_explainers": "register",
        "register_commands": "cli"}


def _source_files(plugin: object) -> list[str]:
    """The plugin's Python files: its options and commands live there, so an edit must refresh the catalog."""
    module = plugin if hasattr(plugin, "__file__") else sys.modules.get(type(plugin).__module__)
    path = getattr(module, "__file__", None)
    if not path:
        return []
    if Path(path).name == "__init__.py":  # a package: any of its modules may declare what the hooks register
        return sorted(str(p) for p in Path(path).parent.glob("*.py"))
    return [path]


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
    reset_warnings()
    _REGISTRY = Registry()
    return _REGISTRY


def current_registry() -> Registry | None:
    """The registry if one was created in this process, without creating it."""
    return _REGISTRY
