"""`zoo pull MODEL`: fill the Hugging Face cache ahead of time for offline nodes."""

from __future__ import annotations

import click


@click.command("pull")
@click.argument("model_ids", nargs=-1, required=True)
def command(model_ids: tuple[str, ...]) -> None:
    """Download MODEL's weights into the Hugging Face cache (HF_HOME), sha256-checked."""
    from zoo_core.registry import registry
    from zoo_core.weights import pull

    for model_id in model_ids:
        for name, path in pull(registry().get(model_id).spec).items():
            click.echo(f"{model_id}: {name} -> {path}")
