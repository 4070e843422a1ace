"""`zoo info MODEL`: the model card fields from model.yaml, its options and attribution methods."""

from __future__ import annotations

import click


@click.command("info")
@click.argument("model_id")
@click.pass_context
def command(ctx: click.Context, model_id: str) -> None:
    """Show a model's model.yaml (inputs, outputs, weights, metrics), its own options and explain methods."""
    import yaml

    from zoo_core.catalog import load_catalog

    m = load_catalog(set(getattr(ctx.find_root().command, "commands", {}))).get(model_id)
    options = {o["name"]: {k: v for k, v in o.items() if k != "name" and v is not None} for o in m["options"]}
    data = {"plugin": m["plugin"], "spec_file": m["spec_path"], **m["spec"], "options": options}
    click.echo(yaml.safe_dump(data, sort_keys=False, width=100, allow_unicode=True).rstrip())
