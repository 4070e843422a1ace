"""`zoo vep` with Xpresso: variants/s, forward passes per scored variant, the speed-up over scoring the same
variants as ref/alt FASTA pairs with `zoo predict`, and peak memory on a 1,000,000-variant VCF streamed.

Inputs (all real sequence): the bundled 300-kb hg38 chr22 piece and the four Kipoi TSSs in its tss.bed (one on
the + strand, three on −).

1. Dense VCF, ``--n`` variants (default 10,000) inside the four 10,500-nt TSS windows: 80 % SNVs, 20 % 1-20 nt
   indels, REF from the genome, positions drawn uniformly in the windows (seed 0). A fresh subprocess runs the CLI
   entry point in-process (`zoo vep xpresso-human-median dense.vcf --genome … --annotation tss.bed -o x.parquet`)
   and reports wall time (model load excluded: it is timed apart), forward passes and peak RSS (after a warm-up
   forward pass at every batch size 1-32, so that TensorFlow's per-shape allocations are not counted as growth).
2. The same variants as ref/alt sequences: the ref and the alt window of each variant written to two FASTAs
   (by the documented rule, with the core's own builder so the inputs are identical), then `zoo predict` on each,
   in one subprocess; its time is the baseline of the speed-up (2 forward passes per variant).
   Then the same VCF in chunks of 100 records, with the RSS after every 10th chunk: memory over time.
3. Sparse VCF, ``--sparse`` records (default 1,000,000) over the whole piece, 0.1 % inside a window: peak RSS
   of the run against the same VCF cut to a tenth, to show memory is flat in the number of variants.

Run from the repository root:  .venv/bin/python benchmarks/vep_throughput.py [--n 10000] [--sparse 1000000]
Figures vary with the machine and its load: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _windows import current_rss_mb

REPO = Path(__file__).resolve().parents[1]
EX = REPO / "plugins/zoo-xpresso/src/zoo_xpresso/examples"
GENOME = EX / "chr22_32000000_32300000.fa"
TSS = EX / "tss.bed"
CONTIG = "chr22_32000000_32300000"
MODEL = "xpresso-human-median"
LENGTH, TSS_INDEX = 10_500, 7_000


def windows() -> list[tuple[int, int]]:
    out = []
    for line in TSS.read_text().splitlines():
        _, start, _, _, _, strand = line.split("\t")
        tss = int(start)
        lo = tss - TSS_INDEX if strand == "+" else tss + TSS_INDEX + 1 - LENGTH
        out.append((lo, lo + LENGTH))
    return out


def write_vcf(path: Path, seq: str, positions: list[int], rng: random.Random) -> None:
    with open(path, "w") as fh:
        fh.write(f"##fileformat=VCFv4.2\n##contig=<ID={CONTIG},length={len(seq)}>\n"
                 "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for k, p in enumerate(positions):
            r = rng.random()
            if r < 0.8:
                ref, alt = seq[p], rng.choice([b for b in "ACGT" if b != seq[p]])
            elif r < 0.9:
                n = rng.randint(1, 20)
                ref, alt = seq[p: p + n + 1], seq[p]
            else:
                ref, alt = seq[p], seq[p] + "".join(rng.choice("ACGT") for _ in range(rng.randint(1, 20)))
            fh.write(f"{CONTIG}\t{p + 1}\tv{k}\t{ref}\t{alt}\t.\t.\t.\n")


def child_vep(vcf: str, out: str) -> None:
    """In a fresh process: load the model, then time the CLI entry point on the VCF."""
    import resource

    import numpy as np

    from zoo.cli import main
    from zoo_core.api import get_model

    t0 = time.perf_counter()
    model = get_model(MODEL)
    model.load()
    load = time.perf_counter() - t0
    # every batch size once, so that the framework's per-shape allocations are made before the run is measured
    for k in range(1, 33):
        model.predict_array(np.zeros((k, LENGTH, 4), np.float32), batch_size=k)
    warm_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    warm_now = current_rss_mb()
    from zoo_core import vep

    passes = {"n": 0, "scored": 0}
    original = vep.score_chunk

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        table, summary = original(*args, **kwargs)
        passes["n"] += summary.forward_passes
        passes["scored"] += summary.scored
        return table, summary

    vep.score_chunk = counted
    t0 = time.perf_counter()
    try:
        main(["vep", MODEL, vcf, "--genome", str(GENOME), "--annotation", str(TSS), "-o", out, "-q"])
    except SystemExit as e:
        if e.code:
            raise
    wall = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"load_s": load, "wall_s": wall, "passes": passes["n"], "scored": passes["scored"],
                      "peak_rss_mib": rss, "warm_rss_mib": warm_rss, "warm_now_mib": warm_now,
                      "end_now_mib": current_rss_mb()}))


def child_trace(vcf: str) -> None:
    """In a fresh process: the current RSS after every 10th chunk of 100 records (Python API, same code path)."""
    import numpy as np

    from zoo_core.api import get_model

    model = get_model(MODEL)
    model.load()
    for k in range(1, 33):
        model.predict_array(np.zeros((k, LENGTH, 4), np.float32), batch_size=k)
    run = model.score_vcf_iter(vcf, genome=GENOME, annotation=TSS, chunk_size=100)
    trace = [(run.summary.records, current_rss_mb()) for i, _ in enumerate(run) if i % 10 == 0]
    print(json.dumps({"trace": trace}))


def child_pairs(ref_fa: str, alt_fa: str, out: str) -> None:
    """In a fresh process: `zoo predict` on the ref FASTA and on the alt FASTA (the pairs baseline)."""
    from zoo.cli import main
    from zoo_core.api import get_model

    get_model(MODEL).load()
    t0 = time.perf_counter()
    for fa in (ref_fa, alt_fa):
        try:
            main(["predict", MODEL, fa, "-o", out, "-q"])
        except SystemExit as e:
            if e.code:
                raise
    print(json.dumps({"wall_s": time.perf_counter() - t0}))


def run_child(*args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if proc.returncode:
        sys.exit(f"child {args[0]} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def pair_fastas(vcf: Path, ref_fa: Path, alt_fa: Path) -> int:
    """The ref and alt window of every (variant, window) pair, built by the core's anchor code."""
    from zoo_core.anchors import FeatureIndex, features
    from zoo_core.api import get_model
    from zoo_core.intervals import Genome
    from zoo_core.variants import read_vcf

    genome = Genome(GENOME)
    index = FeatureIndex(features(get_model(MODEL).info, TSS, genome))
    n = 0
    with open(ref_fa, "w") as rf, open(alt_fa, "w") as af:
        for chunk in read_vcf(vcf, genome):
            for v in chunk.variants:
                for f in index.overlapping(v.contig, v.start, v.end):
                    if f.touches(v):
                        alt, _, _ = f.alternative(genome, v)
                        rf.write(f">p{n}\n{f.reference(genome)[0]}\n")
                        af.write(f">p{n}\n{alt}\n")
                        n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000, help="variants in the dense VCF")
    ap.add_argument("--sparse", type=int, default=1_000_000, help="records in the sparse VCF")
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()}")
    seq = GENOME.read_text().split("\n", 1)[1].replace("\n", "").upper()
    wins = windows()
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        rng = random.Random(0)
        dense = sorted(rng.randrange(lo + 25, hi - 25) for lo, hi in (rng.choice(wins) for _ in range(args.n)))
        write_vcf(t / "dense.vcf", seq, dense, random.Random(1))
        r = run_child("vep", str(t / "dense.vcf"), str(t / "dense.parquet"))
        print(f"\n1. dense VCF: {args.n:,} variants in the 4 TSS windows (80 % SNV, 20 % 1-20 nt indels)")
        print(f"   zoo vep: {r['wall_s']:.1f} s (model load {r['load_s']:.1f} s apart) = {args.n / r['wall_s']:.1f} "
              f"variants/s; {r['passes']:,} forward passes for {r['scored']:,} scored (variant, window) pairs = "
              f"{r['passes'] / r['scored']:.4f} per scored variant (goal <= 1.05); peak RSS {r['peak_rss_mib']:.0f} MiB")
        n_pairs = pair_fastas(t / "dense.vcf", t / "ref.fa", t / "alt.fa")
        b = run_child("pairs", str(t / "ref.fa"), str(t / "alt.fa"), str(t / "pairs.tsv"))
        print(f"2. the same {n_pairs:,} pairs as ref/alt FASTAs through zoo predict: {b['wall_s']:.1f} s "
              f"({2 * n_pairs:,} forward passes) -> zoo vep is {b['wall_s'] / r['wall_s']:.2f}x faster")

        tr = run_child("trace", str(t / "dense.vcf"))["trace"]
        print(f"   RSS while scoring it in chunks of 100 records (every 10th chunk): "
              f"{', '.join(f'{n:,}: {mb:.1f}' for n, mb in tr)} MiB; after the first chunk "
              f"{tr[-1][1] - tr[0][1]:+.1f} MiB over {tr[-1][0] - tr[0][0]:,} records")

        inside = max(1, args.sparse // 1000)
        outside_pos = [p for p in range(25, len(seq) - 25) if not any(lo <= p < hi for lo, hi in wins)]
        rng = random.Random(2)
        sparse = sorted([rng.choice(outside_pos) for _ in range(args.sparse - inside)]
                        + [rng.randrange(lo + 25, hi - 25) for lo, hi in (rng.choice(wins) for _ in range(inside))])
        write_vcf(t / "sparse.vcf", seq, sparse, random.Random(3))
        tenth = sorted(rng.sample(sparse, args.sparse // 10))
        write_vcf(t / "tenth.vcf", seq, tenth, random.Random(3))
        small = run_child("vep", str(t / "tenth.vcf"), str(t / "tenth.parquet"))
        big = run_child("vep", str(t / "sparse.vcf"), str(t / "sparse.parquet"))
        print(f"3. sparse VCF: {args.sparse:,} records, {inside:,} inside a window ({inside / args.sparse:.1%})")
        for label, n, r in ((f"{args.sparse // 10:,}", args.sparse // 10, small), (f"{args.sparse:,}", args.sparse, big)):
            print(f"   {label} records: {r['wall_s']:.1f} s, {n / r['wall_s']:,.0f} records/s; peak RSS {r['peak_rss_mib']:.1f} "
                  f"MiB ({r['peak_rss_mib'] - r['warm_rss_mib']:+.1f} over the peak after model load and a warm-up at every "
                  f"batch size 1-32); RSS after the run {r['end_now_mib'] - r['warm_now_mib']:+.1f} MiB over after warm-up")
        growth = (big["end_now_mib"] - big["warm_now_mib"]) - (small["end_now_mib"] - small["warm_now_mib"])
        print(f"   growth of the run for 10x the records: {growth:+.1f} MiB (flat: a few MiB, not proportional)")
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "vep":
        child_vep(sys.argv[2], sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "trace":
        child_trace(sys.argv[2])
    elif len(sys.argv) > 1 and sys.argv[1] == "pairs":
        child_pairs(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()
