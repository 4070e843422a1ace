"""`zoo list`: installed models, from the catalog cache (no plugin or framework import)."""

from __future__ import annotations

import json
import os

import click


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def command(ctx: click.Context, as_json: bool) -> None:
    """List installed models."""
    from zoo_core.catalog import load_catalog

    catalog = load_catalog(set(getattr(ctx.find_root().command, "commands", {})))
    ambiguous = {q for owners in catalog.ambiguous.values() for q in owners}
    rows = []
    for m in catalog.models:
        spec = m["spec"]
        name = m["qualified"] if m["qualified"] in ambiguous else spec["name"]
        rows.append((name, spec["task"], spec["organism"], m["plugin"], spec.get("aliases", [])))
    if as_json:
        keys = ("name", "task", "organism", "plugin", "aliases")
        click.echo(json.dumps([dict(zip(keys, r, strict=True)) for r in rows], indent=2))
    else:
        width = max([len(r[0]) for r in rows] + [5])
        for name, task, organism, plugin, aliases in rows:
            also = f"  (also: {', '.join(aliases)})" if aliases else ""
            click.echo(f"{name:<{width}}  {task}  [{organism}; {plugin}]{also}")
        if not rows and os.environ.get("ZOO_LOAD_PLUGINS") is not None:  # installed, maybe, but not allowed
            click.echo(f"No models loaded: ZOO_LOAD_PLUGINS='{os.environ['ZOO_LOAD_PLUGINS']}' restricts plugins; "
                       "unset it to load all.")
        elif not rows:
            click.echo("No models installed. Install a plugin, e.g. `pip install zoo-xpresso`.")
