"""The CUDA path of zoo-aparent2: the published variant effects and the bundled example on a GPU, and throughput.

    python plugins/zoo-aparent2/scripts/device_check.py [--device cuda] [--n 20000]

Runs without the plugin being pip-installed (registers it like ``zoo_dev.fixtures.use_plugins``), so it works
on a bare accelerator machine with torch, pandas, pyyaml, pluggy, click, safetensors and pydantic. Prints the
largest difference from the published scores and from the CPU predictions, and windows/s of ``Model.predict``
at batch 256 and 1024 on ``--n`` copies of the bundled windows (random SNVs, seeded).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(HERE / "src"), str(HERE.parents[1])]
EXAMPLES = HERE / "src" / "zoo_aparent2" / "examples"


def main() -> None:
    import torch

    import zoo
    import zoo_aparent2
    from zoo_core import registry as registry_mod
    from zoo_core.default_plugins import core
    from zoo_core.seqio import read_fasta

    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--n", type=int, default=20000)
    args = ap.parse_args()
    reg = registry_mod.reset_registry()
    reg.loaded = True
    reg.add_plugin(core, registry_mod.CORE_PLUGIN)
    reg.add_plugin(zoo_aparent2, "zoo-aparent2")
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name() if torch.cuda.is_available() else 'no GPU'}")

    published = pd.read_csv(EXAMPLES / "variant_pairs_published.tsv", sep="\t")
    pairs = EXAMPLES / "variant_pairs.tsv"
    cpu = zoo.get_model("aparent2-resnet").score_pairs(str(pairs), device="cpu")
    gpu = zoo.get_model("aparent2-resnet").score_pairs(str(pairs), device=args.device)
    for col in ("delta_logodds_77_127", "delta_logodds_0_205"):
        print(f"{col}: max |{args.device} - published| = {np.abs(gpu[col] - published[col]).max():.2e}, "
              f"max |{args.device} - cpu| = {np.abs(gpu[col] - cpu[col]).max():.2e}")
    fa = EXAMPLES / "pas_windows.fa"
    a = zoo.get_model("aparent2-resnet").predict(fa, device="cpu")
    b = zoo.get_model("aparent2-resnet").predict(fa, device=args.device, library=5)
    c = zoo.get_model("aparent2-resnet").predict(fa, device=args.device)
    print(f"iso_prob max |{args.device} - cpu| = {np.abs(a['iso_prob'] - c['iso_prob']).max():.2e}; "
          f"cleavage max = {np.abs(np.stack(a['cleavage']) - np.stack(c['cleavage'])).max():.2e}; "
          f"library 5 differs by {np.abs(b['iso_prob'] - c['iso_prob']).max():.3f}")
    impl = zoo.get_model("aparent2-resnet").load(device=args.device)
    g = impl.gradient({"pas_window": np.stack([np.eye(4, dtype=np.float32)[[0] * 205]])}, target="iso_prob",
                      name="pas_window")
    print(f"gradient on {args.device}: shape {g.shape}, finite {bool(np.isfinite(g).all())}")

    rng = np.random.default_rng(0)
    seqs = [r.seq for r in read_fasta(fa)]
    big = Path("/tmp/aparent2_windows.fa")
    with big.open("w") as fh:
        for i in range(args.n):
            s = list(seqs[i % len(seqs)])
            s[int(rng.integers(0, 205))] = "ACGT"[int(rng.integers(0, 4))]
            fh.write(f">w{i}\n{''.join(s)}\n")
    model = zoo.get_model("aparent2-resnet")
    model.load(device=args.device)
    for bs in (256, 1024):
        model.predict(big, batch_size=bs, device=args.device)  # warm-up
        t0 = time.perf_counter()
        model.predict(big, batch_size=bs, device=args.device)
        dt = time.perf_counter() - t0
        print(f"Model.predict on {args.device}, batch {bs}: {args.n} windows in {dt:.2f} s = {args.n / dt:,.0f} windows/s")


if __name__ == "__main__":
    main()
