"""What the installed plugins provide, as plain JSON, cached so that `zoo list`, `zoo info` and `--help`
import no plugin and validate no model.yaml.

The cache is valid while nothing it was built from changed (and is not written while a plugin fails, since
installing a missing dependency would not change it): the ``zoo`` entry points (distribution,
version, target), ``ZOO_LOAD_PLUGINS``, and the size and modification time of every plugin's module file,
model.yaml and models folder (a new model folder changes its parent's time). Anything else rebuilds it
from the live :mod:`zoo_core.registry`, which imports the plugins with the usual per-plugin isolation, and
writes it atomically to ``$ZOO_CACHE_DIR`` (default ``$XDG_CACHE_HOME/zoo``, i.e. ``~/.cache/zoo``). A
folder that cannot be written only costs the speed-up.

This module imports neither pydantic, numpy nor any plugin on a cache hit.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from zoo_core.errors import DuplicateModelError, UnknownModelError, warn

FORMAT = 2


class Catalog:
    """Models (spec as JSON, options, plugin), plugin commands, broken plugins and warnings."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @property
    def models(self) -> list[dict[str, Any]]:
        """Every model, sorted by id then plugin."""
        return sorted(self.data["models"], key=lambda m: (m["spec"]["name"], m["plugin"]))

    @property
    def commands(self) -> dict[str, dict[str, str]]:
        """Plugin commands: ``{name: {plugin, help}}``."""
        return {c["name"]: c for c in self.data["commands"]}

    @property
    def errors(self) -> list[dict[str, str]]:
        """Broken plugins: ``{plugin, error}`` (the error's type and message)."""
        return list(self.data["errors"])

    @property
    def warnings(self) -> list[str]:
        return list(self.data["warnings"])

    @property
    def ambiguous(self) -> dict[str, list[str]]:
        return dict(self.data["ambiguous"])

    def get(self, model_id: str) -> dict[str, Any]:
        """The model ``model_id`` (id, alias or ``PLUGIN:ID``).

        Raises
        ------
        UnknownModelError, DuplicateModelError
        """
        if model_id in self.data["ambiguous"]:
            raise DuplicateModelError(ambiguity_message(model_id, self.data["ambiguous"][model_id]))
        qualified = self.data["names"].get(model_id, model_id)
        for m in self.data["models"]:
            if m["qualified"] == qualified:
                return m
        raise UnknownModelError(model_id, [*self.data["names"], *self.data["ambiguous"]])


def _cache_path() -> Path:
    root = os.environ.get("ZOO_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "zoo")
    env = hashlib.sha256(sys.prefix.encode()).hexdigest()[:12]  # one file per environment
    return Path(root) / f"catalog-{env}.json"


def ambiguity_message(name: str, owners: list[str]) -> str:
    """The error for an id that several plugins register: both plugins, and how to select one."""
    plugins = " and ".join(f"'{q.partition(':')[0]}'" for q in owners)
    return f"model '{name}' is registered by both {plugins}; select one as {' or '.join(owners)}"


def allowed_entry_points() -> list[Any]:
    """The ``zoo`` entry points that ``ZOO_LOAD_PLUGINS`` allows, in a stable order."""
    from importlib.metadata import entry_points

    allow = os.environ.get("ZOO_LOAD_PLUGINS")
    allowed = None if allow is None else {a.strip() for a in allow.split(",") if a.strip()}
    eps = []
    installed: set[str] = set()
    for ep in entry_points(group="zoo"):
        dist = ep.dist.name if ep.dist else ep.name
        installed |= {dist, ep.name}
        if allowed is None or allowed & {dist, ep.name}:
            eps.append(ep)
    for name in sorted((allowed or set()) - installed):  # a typo would otherwise load nothing, silently
        plugins = ", ".join(sorted({ep.dist.name for ep in entry_points(group="zoo") if ep.dist})) or "none"
        warn(f"ZOO_LOAD_PLUGINS names '{name}', which is not an installed zoo plugin (installed: {plugins})")
    return sorted(eps, key=lambda ep: (ep.dist.name if ep.dist else ep.name, ep.name))


def _entry_point_key() -> list[list[str]]:
    return [[ep.dist.name if ep.dist else "", ep.dist.version if ep.dist else "", ep.name, ep.value]
            for ep in allowed_entry_points()]


def _stat(path: str) -> list[int]:
    try:
        st = os.stat(path)
    except OSError:
        return [-1, -1]
    return [st.st_mtime_ns, st.st_size]


def _fresh(data: dict[str, Any], eps: list[list[str]]) -> bool:
    return (data.get("format") == FORMAT and data.get("allow") == os.environ.get("ZOO_LOAD_PLUGINS")
            and data.get("entry_points") == eps
            and all(_stat(p) == s for p, s in data.get("files", {}).items()))


def load_catalog(reserved: set[str]) -> Catalog:
    """The catalog of the installed plugins: from the cache when it is fresh, else rebuilt and cached.

    ``reserved`` are the core's command names, which no plugin command may take. When this process already
    holds a loaded registry (a program or a test that registered plugins itself), that registry is described
    instead and nothing is cached.
    """
    module = sys.modules.get("zoo_core.registry")  # not imported = no registry in this process, and none imported here
    live = module.current_registry() if module else None
    if live is not None and live.loaded:
        return Catalog(describe_registry(live, reserved))
    eps = _entry_point_key()
    path = _cache_path()
    try:
        data = json.loads(path.read_text())
        if _fresh(data, eps):
            for message in [*(e["message"] for e in data["errors"]), *data["warnings"]]:
                warn(message)
            return Catalog(data)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    from zoo_core.registry import registry

    reg = registry()
    reg.ensure_loaded()
    data = describe_registry(reg, reserved)
    data.update(format=FORMAT, allow=os.environ.get("ZOO_LOAD_PLUGINS"), entry_points=eps,
                files={p: _stat(p) for files in reg.files.values() for p in files})
    if not reg.errors:  # a failure may be the environment's (a missing dependency): never keep it past this call
        _write(path, data)
    return Catalog(data)


def describe_registry(reg: Any, reserved: set[str]) -> dict[str, Any]:
    """The JSON-able description of a loaded :class:`~zoo_core.registry.Registry`."""
    from zoo_core.options import describe

    commands = reg.load_commands(reserved)
    models = []
    for q, e in reg.models.items():
        dataloader_options: list[dict[str, Any]] = []
        try:
            dataloader_options = describe(reg.dataloader(e).options_for(e.spec))
        except Exception:  # a missing dataloader is reported when the model runs
            pass
        models.append({"qualified": q, "plugin": e.plugin, "spec_path": str(e.spec_path),
                       "loader": e.loader if isinstance(e.loader, str) else None,
                       "spec": e.spec.model_dump(mode="json", exclude_none=True),
                       "options": dataloader_options + describe(e.options)})
    return {
        "models": models,
        "names": dict(reg.names),
        "ambiguous": {k: list(v) for k, v in reg.ambiguous.items()},
        "commands": [{"name": n, "plugin": p, "help": (c.get_short_help_str(80) if hasattr(c, "get_short_help_str")
                                                       else "")} for n, (c, p) in sorted(commands.items())],
        "errors": [{"plugin": e.plugin, "error": f"{type(e.error).__name__}: {e.error}", "message": str(e)}
                   for e in reg.errors],
        "warnings": list(reg.warnings),
        "plugins": dict(reg.plugins),
    }


def _write(path: Path, data: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".catalog.", dir=path.parent)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
    except OSError:
        pass
