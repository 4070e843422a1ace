"""CPU predict throughput: dnaperceiver-athaliana against its baseline xpresso-athaliana, in one run.

Both models read the same FASTA: the 8 bundled real A. thaliana windows (10,500 nt) repeated to ``--n`` records, with
the bundled raw half-life features. Each model is loaded and warmed up once; then the two are timed alternately
``--repeats`` times through ``Model.predict`` (FASTA reading, one-hot encoding, half-life normalisation, the forward
pass and the table), and the best rate of each is kept. The figure that carries over between machines is the ratio.

    .venv/bin/python benchmarks/perceiver_throughput.py [--n 256] [--threads 2] [--batch-size 32]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import zoo

EXAMPLES = Path(__file__).resolve().parents[1] / "plugins" / "zoo-perceiver" / "src" / "zoo_perceiver" / "examples"
MODELS = ("xpresso-athaliana", "dnaperceiver-athaliana")


def repeated_inputs(folder: Path, n: int) -> tuple[Path, Path]:
    records = (EXAMPLES / "promoters_athaliana.fa").read_text().split(">")[1:]
    features = (EXAMPLES / "halflife_athaliana.tsv").read_text().splitlines()
    fasta, table = folder / "windows.fa", folder / "halflife.tsv"
    with open(fasta, "w") as fa, open(table, "w") as tsv:
        tsv.write(features[0] + "\n")
        for k in range(n):
            head, _, seq = records[k % len(records)].partition("\n")
            gene = head.split()[0]
            fa.write(f">{gene}_{k}\n{seq}")
            tsv.write(f"{gene}_{k}\t" + features[1 + k % len(records)].split("\t", 1)[1] + "\n")
    return fasta, table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"load average before: {os.getloadavg()}; torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"{args.n} windows of 10,500 nt, batch {args.batch_size}")
    with tempfile.TemporaryDirectory() as tmp:
        fasta, table = repeated_inputs(Path(tmp), args.n)
        models = {name: zoo.get_model(name) for name in MODELS}
        for m in models.values():
            m.predict(str(fasta), batch_size=args.batch_size, halflife=table)  # load + warm up
        best: dict[str, float] = dict.fromkeys(MODELS, 0.0)
        for _ in range(args.repeats):
            for name, m in models.items():
                t0 = time.perf_counter()
                out = m.predict(str(fasta), batch_size=args.batch_size, halflife=table)
                rate = len(out) / (time.perf_counter() - t0)
                best[name] = max(best[name], rate)
    for name in MODELS:
        print(f"{name:28s} {best[name]:8.1f} windows/s (best of {args.repeats})")
    print(f"xpresso-athaliana / dnaperceiver-athaliana throughput ratio: {best[MODELS[0]] / best[MODELS[1]]:.2f}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
