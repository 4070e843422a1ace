"""`zoo vep MODEL variants.vcf --genome G --annotation A -o OUT`, or `zoo vep MODEL --pairs pairs.tsv -o OUT`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from zoo.cli.model_options import ModelCommand, split_options
from zoo.cli.predict import existing, progress
from zoo.cli.scale import OUTPUT, in_parts, run_in_parts, scale_options

VCF_SUFFIXES = (".vcf", ".vcf.gz", ".vcf.bgz")


@click.command("vep", cls=ModelCommand)
@click.argument("model_id")
@click.argument("vcf", required=False, type=existing)
@click.option("--genome", type=existing, help="Genome FASTA (plain or bgzip) of the VCF; REF is checked against it.")
@click.option("--annotation", type=existing,
              help="Where the model's inputs lie: a BED (window models: each interval's 5' end, e.g. TSSs) or a "
                   "GTF/GFF3 (transcripts). `zoo info MODEL` says which.")
@click.option("--pairs", type=existing,
              help="Instead of a VCF: a TSV with columns id, ref, alt (the two sequences of each variant).")
@click.option("-o", "--output", required=True, type=OUTPUT,
              help="Output: .tsv, .tsv.gz, .csv, .parquet, .h5, .vcf/.vcf.gz (the input VCF with one INFO field), or DIR/ "
                   "(Parquet parts and a manifest; zoo merge).")
@click.option("--shard", metavar="K/N",
              help="Score only the chunks of --chunk-size records whose ordinal is K-1 modulo N (deterministic; "
                   "the shards' rows together are the whole run's, to the bit).")
@click.option("--chunk-size", default=5000, show_default=True, type=click.IntRange(1),
              help="VCF records per chunk: memory stays flat in the number of variants.")
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(1))
@click.option("--device", default=None, help="cpu, cuda, gpu:0 … (default: the framework's choice).")
@click.option("--weights-dir", type=click.Path(file_okay=False, path_type=Path), help="Use weights from this folder.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
@scale_options
@click.pass_context
def command(ctx: click.Context, model_id: str, vcf: Path | None, genome: Path | None, annotation: Path | None,
            pairs: Path | None, output: Path, shard: str | None, chunk_size: int, batch_size: int, device: str | None,
            weights_dir: Path | None, quiet: bool, engine: str, num_workers: int, gpus_per_worker: float,
            threads_per_worker: int | None, part_size: int | None, resume: bool, **params: Any) -> None:
    """Score variants with MODEL: the scores its model.yaml declares (`zoo info MODEL`, variant_scores).

    From a VCF, each ALT allele is placed in every model input it changes (the model's anchor: a window at a
    TSS or PAS, a 5'UTR, a transcript), reference and alternative inputs are built on their strand and scored.
    Table rows: chrom, pos, ref, alt, id, gene_id, transcript_id, strand, model, output, ref_value, alt_value,
    score_name, score, flag. Flags: ref_mismatch (REF differs from the genome), symbolic_alt / breakend_alt /
    spanning_deletion / missing_alt / invalid_alt (not scored), exon_boundary, cds_boundary, frameshift, rejected
    (the model refused the input). Variants outside every input are counted, not written.

    Nothing is written unless the whole run succeeds.
    """
    from zoo_core.api import get_model
    from zoo_core.errors import InputError
    from zoo_core.output import check_output, table_format, write_table

    options = split_options(params, ctx.command.model_options)
    if (vcf is None) == (pairs is None):
        raise InputError("<arguments>", "give a VCF (with --genome and --annotation) or --pairs, not both or neither")
    to_vcf = str(output).lower().endswith(VCF_SUFFIXES)
    if not in_parts(output, engine):
        check_output(output, [vcf, pairs, genome, annotation, *options.values()])
    model = get_model(model_id)
    if pairs is not None:
        table_format(output)
        model.load(device=device, weights_dir=weights_dir)
        chunks = model.score_pairs_iter(pairs, batch_size=batch_size, device=device, **options)
        n = write_table(output, progress(chunks, quiet=quiet))
        if not quiet:
            click.echo(f"{model_id}: {n} variant effects -> {output}", err=True)
        return
    if genome is None or annotation is None:
        raise InputError(vcf, "a VCF needs --genome (its assembly's FASTA) and --annotation (BED or GTF/GFF3)")
    model.load(device=device, weights_dir=weights_dir)
    if in_parts(output, engine):
        if to_vcf:
            raise InputError(output, "VCF output is written by a run with --engine local into one file; give a table "
                                     "or a directory")
        run_in_parts("vep", model_id, [vcf], output, genome=genome, annotation=annotation, options=options,
                     batch_size=batch_size, part_size=part_size, default_part=chunk_size, shard=shard, device=device,
                     weights_dir=weights_dir,
                     engine=engine, num_workers=num_workers, gpus_per_worker=gpus_per_worker,
                     threads_per_worker=threads_per_worker, resume=resume, quiet=quiet)
        return
    if not to_vcf:
        table_format(output)
    run = model.score_vcf_iter(vcf, genome=genome, annotation=annotation, batch_size=batch_size, device=device,
                               shard=shard, chunk_size=chunk_size, **options)
    start = time.perf_counter()
    if to_vcf:
        from zoo_core.vep import write_vcf

        write_vcf(output, run, progress=lambda tables: _variants_bar(tables, run, quiet))
    else:
        write_table(output, _variants_bar(run, run, quiet), allow_empty=True)
    if not quiet:
        s = run.summary
        rate = s.alleles / max(time.perf_counter() - start, 1e-9)
        click.echo(f"{s.line(model_id)}; {rate:,.0f} variants/s -> {output}", err=True)
        for reason in s.reasons:
            click.echo(f"zoo: rejected input, e.g.: {reason}", err=True)


def _variants_bar(tables: Iterator[Any], run: Any, quiet: bool) -> Iterator[Any]:
    """Pass tables through, counting ALT alleles (not rows) on a stderr bar with variants/s."""
    if quiet:
        yield from tables
        return
    from tqdm import tqdm

    with tqdm(unit="variant", disable=None, leave=False) as bar:
        done = 0
        for table in tables:
            yield table
            bar.update(run.summary.alleles - done)
            done = run.summary.alleles
