"""`zoo test MODEL`: validate model.yaml, run the bundled example, compare with expected outputs."""

from __future__ import annotations

import click


@click.command("test")
@click.argument("model_ids", nargs=-1, required=True)
def command(model_ids: tuple[str, ...]) -> None:
    """Check that MODEL reproduces its expected outputs (exit 1 if not)."""
    from zoo_core.api import get_model
    from zoo_core.testing import run_model_test

    failed = []
    for model_id in model_ids:
        r = run_model_test(get_model(model_id))
        diffs = ", ".join([*(f"{k} max|Δ|={v:.2e}" for k, v in r.max_abs_diff.items()),
                           *(f"{k} {v} mismatched" for k, v in r.mismatches.items())])
        click.echo(f"{model_id}: {'PASS' if r.passed else 'FAIL'} ({r.n_records} records; {diffs}; "
                   f"tolerance {r.tolerance:g})")
        if not r.passed:
            failed.append(model_id)
    if failed:
        raise click.ClickException(f"{len(failed)} model(s) failed: {', '.join(failed)}")
