"""Train a PTR-CNN ensemble on a dataset built by build_dataset.py (CPU or GPU, resumable).

    python plugins/zoo-ptr-cnn/scripts/train.py --data build/ptr/athaliana.tsv --out build/ptr/athaliana

Each ensemble member trains on the train split with its own seed: batch 32, NaN-masked MSE of
a * log2 TPM + b against log2 protein over each gene's (tissue) points, as the paper's combined model. The
paper's optimiser (SGD without momentum, lr 1e-4) is the default; on these features it diverges in
the first epoch, so the shipped models use ``--optimizer adam --lr 1e-3`` (see the model card). Each
member keeps the weights of its epoch with the lowest validation MSE. After every epoch a member's
state is saved (one safetensors file with JSON metadata, ``zoo_dev.checkpoint``; no pickle), so a killed run
resumes where it stopped. ``--modules`` trains an ablated model.
Writes ``member<k>.safetensors`` and ``log.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from zoo_ptr_cnn.dataloader import encode
from zoo_ptr_cnn.network import MODULES, PTRCNN
from zoo_ptr_cnn.regions import Regions


def load_split(path: Path, split: str) -> tuple[list[Regions], np.ndarray, np.ndarray]:
    """Regions, log2 TPM ``(N, S)`` (NaN = below threshold) and log2 protein ``(N, S)`` (NaN = unmeasured) of one
    split; S samples (tissues), in the table's column order."""
    df = pd.read_csv(path, sep="\t", keep_default_na=False, na_values=["NaN"], dtype={"utr5": str, "utr3": str})
    df = df[df["split"] == split]
    regions = [Regions(t, u5, c, u3) for t, u5, c, u3 in zip(df["transcript"], df["utr5"], df["cds"], df["utr3"],
                                                                strict=True)]
    tpm = df[[c for c in df.columns if c.startswith("log2_tpm_")]].to_numpy(np.float32)
    protein = df[[c for c in df.columns if c.startswith("log2_protein_")]].to_numpy(np.float32)
    return regions, tpm, protein


def points(tpm: np.ndarray, protein: np.ndarray) -> np.ndarray:
    """The (gene, sample) points with both a protein level and an mRNA level above threshold."""
    return ~(np.isnan(tpm) | np.isnan(protein))


def masked_mse(ab: torch.Tensor, tpm: torch.Tensor, protein: torch.Tensor) -> torch.Tensor:
    """Mean squared error of ``a * log2 TPM + b`` against log2 protein over the points where both are known."""
    ok = ~(torch.isnan(tpm) | torch.isnan(protein))
    pred = ab[:, :1] * torch.nan_to_num(tpm) + ab[:, 1:]
    err = (pred - torch.nan_to_num(protein)) ** 2
    return (err * ok).sum() / ok.sum().clamp(min=1)


def tensors(regions: list[Regions], device: torch.device) -> list[torch.Tensor]:
    b = encode(regions).inputs
    return [torch.as_tensor(b[k], device=device) for k in ("utr5", "cds", "utr3", "lengths")]


def evaluate(net: PTRCNN, regions: list[Regions], tpm: np.ndarray, protein: np.ndarray, device: torch.device,
             batch: int = 64) -> dict[str, float]:
    """Masked MSE and pooled r² of predicted log2 protein over all (gene, sample) points."""
    net.eval()
    preds = []
    with torch.no_grad():
        for s in range(0, len(regions), batch):
            preds.append(net(*tensors(regions[s: s + batch], device)).cpu().numpy())
    ab = np.concatenate(preds)
    y_hat = ab[:, :1] * tpm + ab[:, 1:]
    ok = points(tpm, protein)
    y = protein[ok]
    sse = float(((y_hat[ok] - y) ** 2).sum())
    return {"mse": sse / ok.sum(), "r2": 1 - sse / float(((y - y.mean()) ** 2).sum())}


def bucketed(rng: np.random.Generator, lengths: np.ndarray, batch_size: int, pool: int = 8) -> list[np.ndarray]:
    """Shuffled batches of similar total length: shuffle, sort each pool of ``pool`` batches by length,
    cut, shuffle the batches. Less padding makes an epoch ~2x faster on CPU; batches stay random."""
    order = rng.permutation(len(lengths))
    batches = []
    for s in range(0, len(order), batch_size * pool):
        chunk = order[s: s + batch_size * pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i: i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def train_member(k: int, args: argparse.Namespace, data: dict, device: torch.device, log: dict) -> bool:
    """Train (or resume) member ``k``; False when ``--max-minutes`` stopped it (its state is saved)."""
    path = args.out / f"member{k}.safetensors"
    state_path = args.out / f"member{k}.state.safetensors"
    from safetensors.torch import save_file

    from zoo_dev.checkpoint import load_extra, load_state, save_state

    if path.exists():
        print(f"member {k}: done already", file=sys.stderr)
        return True
    torch.manual_seed(args.seed + k)
    net = PTRCNN(**log["config"]["network"]).to(device)
    net.init_offset(float(np.nanmean(data["train"][2])))
    opt = (torch.optim.SGD(net.parameters(), lr=args.lr) if args.optimizer == "sgd"
           else torch.optim.Adam(net.parameters(), lr=args.lr))
    rng = np.random.default_rng(args.seed + k)
    start, history = 0, []
    best = {k2: v.detach().clone() for k2, v in net.state_dict().items()}
    if state_path.exists():  # resume (zoo_dev.checkpoint: one safetensors file, the progress in its metadata)
        info = load_state(state_path, model=net, optimizer=opt, device=device)
        best = load_extra(state_path, device=device)
        rng = np.random.default_rng(info["rng_seed"])
        start, history = int(info["epoch"]), info["history"]
    train_r, train_tpm, train_p = data["train"]
    tpm_t = torch.as_tensor(train_tpm, device=device)
    p_t = torch.as_tensor(train_p, device=device)
    t0 = time.time()
    sizes = np.array([len(r.cds) + len(r.utr5) + len(r.utr3) for r in train_r])
    for epoch in range(start, args.epochs):
        net.train()
        total = 0.0
        for idx in bucketed(rng, sizes, args.batch_size):
            ab = net(*tensors([train_r[i] for i in idx], device))
            loss = masked_mse(ab, tpm_t[idx], p_t[idx])
            opt.zero_grad()
            loss.backward()
            if args.clip:
                torch.nn.utils.clip_grad_norm_(net.parameters(), args.clip)
            opt.step()
            total += float(loss.detach()) * len(idx)
        row = {"epoch": epoch + 1, "train_mse": total / len(train_r),
               **{f"valid_{k2}": v for k2, v in evaluate(net, *data["valid"], device).items()}}
        history.append(row)
        if row["valid_mse"] <= min(h["valid_mse"] for h in history):
            best = {k2: v.detach().clone() for k2, v in net.state_dict().items()}
        if (epoch + 1) % args.log_every == 0 or epoch + 1 == args.epochs:
            print(f"member {k} epoch {epoch + 1}: train mse {row['train_mse']:.3f}  valid mse {row['valid_mse']:.3f}  "
                  f"valid r2 {row['valid_r2']:.3f}  ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
        seed_next = int(rng.integers(2**31))
        rng = np.random.default_rng(seed_next)
        save_state(state_path, model=net, optimizer=opt, extra=best,
                   info={"epoch": epoch + 1, "rng_seed": seed_next, "history": history})
        if args.max_minutes is not None and epoch + 1 < args.epochs and time.time() - args.started > 60 * args.max_minutes:
            print(f"member {k}: stopped after epoch {epoch + 1} (--max-minutes); rerun to resume", file=sys.stderr)
            return False
    # the weights of the epoch with the lowest validation MSE (the test split is never looked at)
    save_file({n: t.cpu().contiguous() for n, t in best.items()}, str(path))
    best_epoch = min(history, key=lambda h: h["valid_mse"])["epoch"]
    log["members"][str(k)] = {"history": history, "best_epoch": best_epoch, "seconds_this_run": time.time() - t0}
    state_path.unlink()
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="TSV from build_dataset.py")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--members", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=512)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    ap.add_argument("--clip", type=float, default=0.0, help="clip the gradient norm (0 = off)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--width", type=int, default=12)
    ap.add_argument("--context", type=int, default=12)
    ap.add_argument("--modules", nargs="+", default=list(MODULES), choices=MODULES)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-center", dest="center", action="store_false",
                    help="the paper's head a * log2 TPM + b (default: centred log2 TPM, same model, converges)")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    ap.add_argument("--log-every", type=int, default=16)
    ap.add_argument("--max-minutes", type=float, help="stop after the epoch that crosses this (exit 3; rerun resumes)")
    args = ap.parse_args(argv)
    args.started = time.time()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    args.out.mkdir(parents=True, exist_ok=True)
    data = {s: load_split(args.data, s) for s in ("train", "valid")}
    log_path = args.out / "log.json"
    log = json.loads(log_path.read_text()) if log_path.exists() else {"members": {}}
    tpm = data["train"][1]
    center = float(np.nanmean(tpm)) if args.center else 0.0
    log["config"] = {"network": {"width": args.width, "filters": 16, "context": args.context, "hidden": [32, 16],
                                 "modules": args.modules, "tpm_center": round(center, 6)},
                     "training": {"optimizer": "SGD (no momentum)" if args.optimizer == "sgd" else "Adam",
                                  "clip_grad_norm": args.clip, "lr": args.lr, "batch_size": args.batch_size,
                                  "epochs": args.epochs, "seed": args.seed, "members": args.members,
                                  "data": str(args.data), "train_genes": len(data["train"][0]),
                                  "valid_genes": len(data["valid"][0]), "device": str(device),
                                  "torch": torch.__version__, "threads": torch.get_num_threads()}}
    for k in range(args.members):
        t0 = time.time()
        done = train_member(k, args, data, device, log)
        log.setdefault("wall_seconds", {})[str(k)] = log.get("wall_seconds", {}).get(str(k), 0) + time.time() - t0
        log_path.write_text(json.dumps(log, indent=1))
        if not done:
            return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
