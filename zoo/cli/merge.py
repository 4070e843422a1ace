"""`zoo merge DIR [DIR…] -o OUT`: the parts of a run (or of its shards) as one table, in record order."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("merge")
@click.argument("folders", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output table: .tsv, .tsv.gz, .csv, .parquet or .h5.")
@click.option("-q", "--quiet", is_flag=True, help="No summary.")
def command(folders: tuple[Path, ...], output: Path, quiet: bool) -> None:
    """Combine the Parquet parts of `zoo predict/vep -o DIR/` (one folder, or one per --shard) into one table.

    Parts are taken in part order, which is the input's record order; a missing part, or folders of different
    runs, stop with one line and no output.
    """
    from zoo_core.output import table_format, write_table
    from zoo_core.parts import merge_tables

    table_format(output)
    n = write_table(output, merge_tables(list(folders)), allow_empty=True)
    if not quiet:
        click.echo(f"{n} rows from {len(folders)} folder(s) -> {output}", err=True)
