"""`zoo publish MODEL --repo-id OWNER/NAME`: upload a model to the Hugging Face hub and pin the commit."""

from __future__ import annotations

import click


@click.command("publish")
@click.argument("model")
@click.option("--repo-id", required=True, metavar="OWNER/NAME", help="Hugging Face model repository (created if missing).")
@click.option("--private", is_flag=True, help="Create the repository as private (an existing one keeps its visibility).")
@click.option("--token", metavar="TOKEN", help="Hub token with write access; default HF_TOKEN or the saved login.")
def command(model: str, repo_id: str, private: bool, token: str | None) -> None:
    """Upload MODEL's model.yaml, model card and weights to the hub and write the commit into its model.yaml.

    MODEL is an installed model id, or a model.yaml (or its folder). Weights are sha256-checked before
    the upload; HF_ENDPOINT chooses the hub. Afterwards `weights.repo_id` and `weights.revision` in the
    local model.yaml pin that commit: commit the file so users download exactly these bytes.
    """
    from zoo_dev.publish import hub_endpoint, model_yaml_path, publish_model

    commit = publish_model(model, repo_id, private=private, token=token)
    click.echo(f"{model}: published {hub_endpoint()}/{repo_id} at {commit}; pinned in {model_yaml_path(model)}")
