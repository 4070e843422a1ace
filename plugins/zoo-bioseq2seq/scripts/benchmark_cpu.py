"""CPU cost of bioseq2seq: training step (forward + backward) and encoder-only inference per transcript.

    python plugins/zoo-bioseq2seq/scripts/benchmark_cpu.py --threads 1 --steps 5

A 1 kb transcript with a 200-aa protein target (the training data are 200-1200 nt); random weights, since
cost does not depend on them. Prints seconds per transcript, the median over ``--steps`` timed repetitions.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

import torch

from zoo_bioseq2seq.decoding import classify, encode_batch
from zoo_bioseq2seq.network import Bioseq2Seq, Bioseq2SeqConfig, count_parameters, pad_sequences, sequence_loss
from zoo_bioseq2seq.vocab import AMINO_ACIDS, encode_target


def _median_seconds(fn: Callable[[], object], steps: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--protein-length", type=int, default=200)
    parser.add_argument("--batch", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = random.Random(0)
    seqs = ["".join(rng.choice("ACGT") for _ in range(args.length)) for _ in range(args.batch)]
    proteins = ["M" + "".join(rng.choice(AMINO_ACIDS[:20]) for _ in range(args.protein_length - 1)) for _ in seqs]
    src, lengths = encode_batch(seqs)
    tgt, _ = pad_sequences([encode_target(p) for p in proteins])

    variants = {"paper (d_ff 2048)": Bioseq2SeqConfig.bioseq2seq(), "d_ff 256": Bioseq2SeqConfig.bioseq2seq(d_ff=256)}
    for name, config in variants.items():
        torch.manual_seed(0)
        model = Bioseq2Seq(config)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)

        def train_step(model: Bioseq2Seq = model, optimizer: torch.optim.Optimizer = optimizer) -> None:
            loss = sequence_loss(model(src, lengths, tgt[:, :-1]), tgt[:, 1:])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        def encode_only(model: Bioseq2Seq = model) -> None:
            with torch.inference_mode():
                model.encode(src, lengths)

        def class_only(model: Bioseq2Seq = model) -> None:
            with torch.inference_mode():
                classify(model, src, lengths)

        model.train()
        train = _median_seconds(train_step, args.steps) / args.batch
        model.eval()
        encode = _median_seconds(encode_only, args.steps) / args.batch
        cls = _median_seconds(class_only, args.steps) / args.batch
        print(f"{name}: {count_parameters(model):,} params | {args.length} nt, target {tgt.shape[1]} tokens, "
              f"batch {args.batch}, {args.threads} thread(s) | train step {train * 1e3:.0f} ms/transcript | "
              f"encoder {encode * 1e3:.0f} ms/transcript ({args.length / encode:,.0f} nt/s) | "
              f"classify {cls * 1e3:.0f} ms/transcript")


if __name__ == "__main__":
    main()
