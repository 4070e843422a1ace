"""The ``zoo`` command: one thin module per subcommand over the zoo_core API.

Errors are translated in one place, :func:`main`: any ``ZooError`` becomes a one-line message on
stderr and exit code 1; set ``ZOO_DEBUG=1`` to see the traceback instead.
"""

from __future__ import annotations

import os
import sys

import click

from zoo import __version__
from zoo_core.errors import ZooError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zoo")
def cli() -> None:
    """zoo: predict gene-expression phenotypes from sequence with published models.

    \b
    zoo list                                   installed models
    zoo predict MODEL INPUT... -o out.tsv      predictions (FASTA, or BED/GTF + --genome)
    zoo explain MODEL INPUT --method ism -o attr.h5
    """


def _add_commands() -> None:
    from zoo.cli import explain, info, init, listing, plugins, predict, pull, test

    for mod in (listing, info, predict, explain, pull, test, init, plugins):
        cli.add_command(mod.command)


_add_commands()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``zoo`` script."""
    from zoo_core.registry import registry

    reg = registry()
    try:
        reg.ensure_loaded()
        reg.pm.hook.register_commands(cli=cli)
        cli.main(args=argv, prog_name="zoo", standalone_mode=False)
    except ZooError as e:
        if os.environ.get("ZOO_DEBUG"):
            raise
        click.echo(f"Error: {e}", err=True)
        click.echo("(set ZOO_DEBUG=1 for a traceback)", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
