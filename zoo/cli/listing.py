"""`zoo list`: installed models, without importing any framework."""

from __future__ import annotations

import json

import click


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def command(as_json: bool) -> None:
    """List installed models."""
    from zoo_core.registry import registry

    reg = registry()
    reg.ensure_loaded()
    rows = [(e.spec.name, e.spec.task, e.spec.organism, e.plugin, e.spec.aliases) for _, e in sorted(reg.models.items())]
    if as_json:
        keys = ("name", "task", "organism", "plugin", "aliases")
        click.echo(json.dumps([dict(zip(keys, r, strict=True)) for r in rows], indent=2))
    else:
        width = max([len(r[0]) for r in rows] + [5])
        for name, task, organism, plugin, aliases in rows:
            also = f"  (also: {', '.join(aliases)})" if aliases else ""
            click.echo(f"{name:<{width}}  {task}  [{organism}; {plugin}]{also}")
        if not rows:
            click.echo("No models installed. Install a plugin, e.g. `pip install zoo-xpresso`.")
    for err in reg.errors:
        click.echo(f"broken plugin: {err}", err=True)
