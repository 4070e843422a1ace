"""`zoo init NAME`: scaffold a new model plugin."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("init")
@click.argument("name")
@click.option("--dir", "dest", default=".", type=click.Path(file_okay=False, path_type=Path),
              help="Where to create zoo-NAME/.", show_default=True)
def command(name: str, dest: Path) -> None:
    """Create zoo-NAME/, a plugin that installs and passes `zoo test NAME` as is."""
    from zoo_core.scaffold import init_plugin

    root = init_plugin(name, dest)
    target = root if root.is_absolute() else f"./{root}"  # pip reads a bare name as a package on the index
    click.echo(f"Created {root}\nNext: pip install {target} && zoo test {name}")
