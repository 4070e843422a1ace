"""Train bioseq2seq or EDC on the dataset from build_dataset.py: GPU when there is one, else CPU; resumable.

    python plugins/zoo-bioseq2seq/scripts/train.py --out build/bioseq2seq/run-small --enc-layers 4 --d-ff 256

The recipe is the paper's (spec §4): summed token NLL per sequence, AdamW (weight decay 0.01), base lr 1
with Noam decay (d^-0.5 · min(step^-0.5, step · warmup^-1.5)), batches of at most ``--max-tokens``
nucleotides binned by length, ``--accum`` batches per update, validation every ``--valid-every`` updates
(class accuracy and token accuracy), early stopping after ``--patience`` validations without a better
score, and the checkpoint with the best class + token accuracy kept. ``--edc`` trains the class-token-only
EDC. Smaller CPU variants change ``--enc-layers`` / ``--d-ff``; the log says which. A killed run resumes
from ``state.safetensors`` (weights, AdamW moments, scheduler and progress; ``zoo_dev.checkpoint``, no pickle)
at a fresh epoch.

GPU runs: ``--device cuda`` (default: cuda when available), ``--max-minutes`` stops after a fixed wall time with a
last validation and checkpoint (``last.safetensors`` beside ``best.safetensors``), ``--tf32`` lets float32 matrix
products use TF32 on NVIDIA GPUs. The log (``log.json``) holds the validation curve and the mean training loss
per sequence since the previous validation. ``--data`` may hold ``train.tsv.gz``/``valid.tsv.gz`` instead.
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
from safetensors.torch import save_file

from zoo_bioseq2seq.network import PRESETS, Bioseq2Seq, count_parameters, pad_sequences, sequence_loss
from zoo_bioseq2seq.vocab import PAD, encode_rna, encode_target
from zoo_dev.checkpoint import load_state, save_state


def load(path: Path, class_only: bool) -> list[tuple[list[int], list[int]]]:
    if not path.exists() and Path(f"{path}.gz").exists():
        path = Path(f"{path}.gz")
    df = pd.read_csv(path, sep="\t", keep_default_na=False, dtype=str)
    return [(encode_rna(r), encode_target(p if c == "PC" else None, class_only=class_only))
            for r, c, p in zip(df["rna"], df["class"], df["protein"], strict=True)]


def batches(data: list, max_tokens: int, rng: np.random.Generator | None) -> list[list[int]]:
    """Index batches of similar length with at most ``max_tokens`` padded nucleotides each (shuffled if rng)."""
    order = np.argsort([len(s) for s, _ in data], kind="stable")
    out, cur, longest = [], [], 0
    for i in order:
        n = len(data[i][0])
        if cur and max(longest, n) * (len(cur) + 1) > max_tokens:
            out.append(cur)
            cur, longest = [], 0
        cur.append(int(i))
        longest = max(longest, n)
    if cur:
        out.append(cur)
    if rng is not None:
        out = [out[i] for i in rng.permutation(len(out))]
    return out


def tensors(data: list, idx: list[int], device: torch.device) -> tuple[torch.Tensor, ...]:
    src, lengths = pad_sequences([data[i][0] for i in idx])
    tgt, _ = pad_sequences([data[i][1] for i in idx])
    return src.to(device), lengths.to(device), tgt.to(device)


@torch.no_grad()
def validate(model: Bioseq2Seq, data: list, device: torch.device, max_tokens: int) -> dict[str, float]:
    """Class accuracy (first decoded token, teacher forced = greedy at step 1) and token accuracy."""
    model.eval()
    right_class = total = right_tok = n_tok = 0
    loss = 0.0
    for idx in batches(data, max_tokens, None):
        src, lengths, tgt = tensors(data, idx, device)
        logits = model(src, lengths, tgt[:, :-1])
        gold = tgt[:, 1:]
        loss += float(sequence_loss(logits, gold)) * len(idx)
        pred = logits.argmax(dim=-1)
        right_class += int((pred[:, 0] == gold[:, 0]).sum())
        total += len(idx)
        ok = gold != PAD
        right_tok += int(((pred == gold) & ok).sum())
        n_tok += int(ok.sum())
    model.train()
    return {"class_acc": right_class / total, "token_acc": right_tok / n_tok, "loss": loss / total}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("build/bioseq2seq"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--edc", action="store_true", help="class-token-only EDC (EDC-large sizes unless changed)")
    ap.add_argument("--preset", choices=sorted(PRESETS),
                    help="network preset (edc_small: EDC at bioseq2seq's sizes); --edc means edc_large")
    ap.add_argument("--init", type=Path, help="start from these weights (safetensors of the same network), fresh optimizer")
    ap.add_argument("--enc-layers", type=int)
    ap.add_argument("--d-ff", type=int)
    ap.add_argument("--attention-dropout", type=float,
                    help="dropout on the encoder-decoder attention weights (paper: 0.1); 0 lets the fused attention "
                         "kernel run, ~5x faster on CPU for 3 kb transcripts")
    ap.add_argument("--warmup", type=int, help="Noam warm-up updates (default: the config's, 2000 / 4000 for EDC)")
    ap.add_argument("--peak-lr", type=float,
                    help="scale the Noam curve to peak here (default: the paper's peak for the paper's warm-up, "
                         "2.8e-3 bioseq2seq / 1.4e-3 EDC-large, kept when --warmup shortens it)")
    ap.add_argument("--max-tokens", type=int, default=9000)
    ap.add_argument("--accum", type=int, default=8)
    ap.add_argument("--valid-every", type=int, default=500)
    ap.add_argument("--patience", type=int, default=5)
    ap.add_argument("--max-updates", type=int, default=20000)
    ap.add_argument("--max-hours", type=float, default=0, help="stop (resumably) after this much wall time")
    ap.add_argument("--seed", type=int, default=114)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--device", help="cpu, cuda, cuda:1 … (default: cuda when available)")
    ap.add_argument("--max-minutes", type=float, default=0,
                    help="stop after this much wall time of this invocation, after a last validation and checkpoint")
    ap.add_argument("--tf32", action="store_true", help="TF32 matrix products on NVIDIA GPUs")
    ap.add_argument("--valid-minutes", type=float, default=0,
                    help="also validate (and checkpoint) whenever this much wall time passed since the last validation")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if args.tf32:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    changes = {k: v for k, v in (("n_enc_layers", args.enc_layers), ("d_ff", args.d_ff), ("lr_warmup_steps", args.warmup),
                                 ("attention_dropout", args.attention_dropout)) if v is not None}
    preset = args.preset or ("edc_large" if args.edc else "bioseq2seq")
    config = PRESETS[preset](**changes)
    args.out.mkdir(parents=True, exist_ok=True)
    train = load(args.data / "train.tsv", config.class_only)
    valid = load(args.data / "valid.tsv", config.class_only)

    torch.manual_seed(args.seed)
    model = Bioseq2Seq(config).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1.0, weight_decay=0.01)
    d, warm = config.model_dim, config.lr_warmup_steps
    peak = args.peak_lr or PRESETS[preset]().model_dim ** -0.5 * PRESETS[preset]().lr_warmup_steps ** -0.5
    scale = peak / (d ** -0.5 * warm ** -0.5)  # 1.0 for the paper's own sizes and warm-up
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: scale * d ** -0.5 * min((s + 1) ** -0.5, (s + 1) * warm ** -1.5))
    state_path, log_path = args.out / "state.safetensors", args.out / "log.json"
    log = {"config": config.to_dict(), "preset": preset, "parameters": count_parameters(model), "peak_lr": peak,
           "args": {k: str(v) for k, v in vars(args).items()},
           "device": str(device), "torch": torch.__version__, "train": len(train), "valid": len(valid), "history": [],
           "wall_seconds": 0.0}
    update, epoch, best, bad = 0, 0, -1.0, 0
    rng = np.random.default_rng(args.seed)
    if state_path.exists():
        st = load_state(state_path, model=model, optimizer=opt, device=device)
        sched.load_state_dict(st["sched"])
        update, epoch, best, bad = int(st["update"]), int(st["epoch"]), float(st["best"]), int(st["bad"])
        rng = np.random.default_rng(int(st["rng"]))
        log = json.loads(log_path.read_text())
    elif args.init:
        from safetensors.torch import load_file

        model.load_state_dict(load_file(str(args.init), device=str(device)))
        log["init"] = str(args.init)
    print(f"{log['parameters']:,} parameters on {device}; {len(train)} train / {len(valid)} valid; update {update}",
          file=sys.stderr)
    t0, start_wall = time.time(), log["wall_seconds"]
    done = False
    train_loss, train_sents = torch.zeros((), device=device), 0
    last_valid = t0
    while not done:
        sents = 0
        for k, idx in enumerate(batches(train, args.max_tokens, rng)):
            src, lengths, tgt = tensors(train, idx, device)
            # summed NLL; the update divides by the sequences of all its batches (OpenNMT norm_method "sents")
            loss = sequence_loss(model(src, lengths, tgt[:, :-1]), tgt[:, 1:]) * len(idx)
            loss.backward()
            train_loss += loss.detach()
            train_sents += len(idx)
            sents += len(idx)
            if (k + 1) % args.accum:
                continue
            for prm in model.parameters():
                if prm.grad is not None:
                    prm.grad /= sents
            opt.step()
            sched.step()
            opt.zero_grad()
            sents = 0
            update += 1
            out_of_time = bool(args.max_minutes) and time.time() - t0 > args.max_minutes * 60
            due = bool(args.valid_minutes) and time.time() - last_valid > args.valid_minutes * 60
            if update % args.valid_every == 0 or update >= args.max_updates or out_of_time or due:
                last_valid = time.time()
                scores = validate(model, valid, device, args.max_tokens)
                wall = start_wall + time.time() - t0
                mean_train = float(train_loss) / max(train_sents, 1)
                train_loss, train_sents = torch.zeros((), device=device), 0
                log["history"].append({"update": update, "epoch": epoch, "wall_seconds": round(wall),
                                       "train_loss": mean_train, **scores})
                log["wall_seconds"] = wall
                score = scores["class_acc"] + scores["token_acc"]
                if score > best:
                    best, bad = score, 0
                    save_file({n: t.detach().cpu().contiguous() for n, t in model.state_dict().items()},
                              str(args.out / "best.safetensors"))
                    log["best_update"] = update
                else:
                    bad += 1
                save_file({n: t.detach().cpu().contiguous() for n, t in model.state_dict().items()},
                          str(args.out / "last.safetensors"))
                log["last_update"] = update
                print(f"update {update} epoch {epoch}: train loss {mean_train:.2f} valid class acc {scores['class_acc']:.4f} "
                      "token acc "
                      f"{scores['token_acc']:.4f} loss {scores['loss']:.2f} ({wall / 60:.0f} min)", file=sys.stderr, flush=True)
                # a resumed run starts a fresh epoch from this seed; finished updates are kept
                seed = int(rng.integers(2**31))
                rng = np.random.default_rng(seed)
                save_state(state_path, model=model, optimizer=opt, info={
                    "sched": sched.state_dict(), "update": update, "epoch": epoch, "best": best, "bad": bad, "rng": seed})
                log_path.write_text(json.dumps(log, indent=1))
                over_time = args.max_hours and time.time() - t0 > args.max_hours * 3600
                if bad >= args.patience or update >= args.max_updates or over_time or out_of_time:
                    done = True
                    break
        opt.zero_grad()  # a partial accumulation at the epoch's end is dropped
        epoch += 1
    print(f"stopped at update {update}; best class+token accuracy {best:.4f} at update {log.get('best_update')}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
