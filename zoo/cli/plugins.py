"""`zoo plugins`: loaded plugins and the ones that failed, as JSON."""

from __future__ import annotations

import json

import click


@click.command("plugins")
def command() -> None:
    """List plugins (JSON), including any that failed to load and why."""
    from zoo_core.registry import registry

    reg = registry()
    reg.ensure_loaded()
    out = [{"name": n, "version": v, "models": sorted(m for m, e in reg.models.items() if e.plugin == n)}
           for n, v in reg.plugins.items()]
    out += [{"name": e.plugin, "error": f"{type(e.error).__name__}: {e.error}"} for e in reg.errors]
    click.echo(json.dumps(out, indent=2))
