"""`zoo info MODEL`: the model card fields from model.yaml."""

from __future__ import annotations

import click
import yaml


@click.command("info")
@click.argument("model_id")
def command(model_id: str) -> None:
    """Show a model's model.yaml (inputs, outputs, weights, metrics)."""
    from zoo_core.registry import registry

    entry = registry().get(model_id)
    data = entry.spec.model_dump(mode="json", exclude_none=True)
    data = {"plugin": entry.plugin, "spec_file": str(entry.spec_path), **data}
    click.echo(yaml.safe_dump(data, sort_keys=False, width=100).rstrip())
