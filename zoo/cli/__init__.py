"""The ``zoo`` command: one thin module per subcommand over the zoo_core API.

Plugin commands (the ``register_commands`` hook) are listed from the catalog (:mod:`zoo_core.catalog`) and
their plugin is imported only when one of them runs, so `zoo list` and `zoo --help` import no plugin.

Errors are translated in one place, :func:`main`: any ``ZooError`` becomes a one-line message on
stderr and exit code 1; set ``ZOO_DEBUG=1`` to see the traceback instead.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

import click

from zoo import __version__
from zoo_core.errors import ZooError


class ZooGroup(click.Group):
    """The core commands, plus the installed plugins' commands, loaded on first use."""

    def _plugin_commands(self) -> dict[str, dict[str, str]]:
        from zoo_core.catalog import load_catalog

        return load_catalog(set(self.commands)).commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self._plugin_commands()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in self._plugin_commands():
            return None
        from zoo_core.registry import registry

        reg = registry()
        reg.ensure_loaded()
        found = reg.load_commands(set(self.commands)).get(cmd_name)
        return found[0] if found else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        plugin = self._plugin_commands()
        rows = [(n, self.commands[n].get_short_help_str(60)) for n in sorted(self.commands)]
        extra = [(n, f"{c['help']} [{c['plugin']}]") for n, c in sorted(plugin.items()) if n not in self.commands]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
        if extra:
            with formatter.section("Plugin commands"):
                formatter.write_dl(extra)


@click.group(cls=ZooGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zoo")
def cli() -> None:
    """zoo: predict gene-expression phenotypes from sequence with published models.

    \b
    zoo list                                   installed models
    zoo predict MODEL INPUT... -o out.tsv      predictions (FASTA, or BED/GTF + --genome)
    zoo predict MODEL --help                   the model's own options
    zoo explain MODEL INPUT --method ism -o attr.h5
    zoo vep MODEL --pairs pairs.tsv -o effects.tsv
    """


def _add_commands() -> None:
    from zoo.cli import explain, info, init, listing, merge, plugins, predict, publish, pull, test, vep

    for mod in (listing, info, predict, explain, vep, merge, pull, publish, test, init, plugins):
        cli.add_command(mod.command)


_add_commands()


class _Terminated(BaseException):  # not Exception: no broad `except Exception` may swallow it
    """SIGTERM (a scheduler's walltime kill), raised like Ctrl-C so that every temporary output is removed."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the ``zoo`` script."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if in_main_thread else None
    try:
        cli.main(args=argv, prog_name="zoo", standalone_mode=False)
    except ZooError as e:
        if os.environ.get("ZOO_DEBUG"):
            raise
        click.echo(f"Error: {e}", err=True)
        click.echo("(set ZOO_DEBUG=1 for a traceback)", err=True)
        sys.exit(1)
    except _Terminated:
        click.echo("Terminated: nothing was written.", err=True)
        sys.exit(143)
    except click.exceptions.Abort:
        click.echo("Aborted: nothing was written.", err=True)
        sys.exit(130)
    except OSError as e:  # an OS refusal no zoo code anticipated (e.g. in a plugin's command): one line, not a traceback
        if os.environ.get("ZOO_DEBUG"):
            raise
        where = f"{e.filename}: " if e.filename else ""
        click.echo(f"Error: {where}{e.strerror or e}", err=True)
        sys.exit(1)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
