"""`zoo plugins`: loaded plugins and the ones that failed, as JSON (from the catalog)."""

from __future__ import annotations

import json

import click


@click.command("plugins")
@click.pass_context
def command(ctx: click.Context) -> None:
    """List plugins (JSON), including any that failed to load and why."""
    from zoo_core.catalog import load_catalog

    catalog = load_catalog(set(getattr(ctx.find_root().command, "commands", {})))
    out = [{"name": n, "version": v,
            "models": sorted(m["spec"]["name"] for m in catalog.models if m["plugin"] == n),
            "commands": sorted(c for c, d in catalog.commands.items() if d["plugin"] == n)}
           for n, v in catalog.data["plugins"].items()]
    out += [{"name": e["plugin"], "error": e["error"]} for e in catalog.errors]
    click.echo(json.dumps(out, indent=2))
