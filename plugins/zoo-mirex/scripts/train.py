"""Train one miREx network (one tissue, one configuration, one seed) on the tables of build_dataset.py; resumable.

    .venv/bin/python plugins/zoo-mirex/scripts/train.py --data build/mirex --tissue lung --config mirex \\
        --selection build/mirex/selection.json --seed 0 --out build/mirex/runs/lung/mirex/seed0 [--max-minutes 30]

Recipe (spec §4, the paper's Table 2 and code): MSE on log10(nTPM + 0.1) (not z-scored); SGD, lr 0.0005, momentum
0.9, no Nesterov, no weight decay; batch 32, the training genes reshuffled every epoch; at most 100 epochs; early
stopping on the validation MSE with patience 20, the best epoch's weights kept. A run whose best validation r² (1 − RSS/TSS)
is below 0.01 (a dead 2-unit ReLU bottleneck gives a constant output) is restarted with seed + 1000 × attempt, at most
``--attempts`` times (spec §9.5 #16: the guard on validation, not test r²).

Configurations (spec §1): ``xpresso`` (no miRNA input), ``allmirna`` (every miRNA of the tissue's profile with a
TargetScan target among the training genes), ``mirex`` and ``abscorr`` (the 10 of ``--selection``, from
select_mirnas.py). The miRNA features are target × log10(mean count + 0.1) of the tissue's adjacent-normal profile.

Determinism and resuming: epoch e shuffles with ``numpy.random.default_rng(seed_used * 1000 + e)`` and seeds torch
(dropout) with the same number, so a run killed after any epoch resumes to the same result. After every epoch the
state is written as ``state.safetensors`` (``zoo_dev.checkpoint``: weights, SGD momentum buffers, best weights, the
progress as JSON metadata) + ``state.json`` (a readable copy of the progress); never a pickle. ``--max-minutes``
stops after the epoch that crosses it (exit code 3, resumable). A finished run writes ``model.safetensors`` (best
weights), ``result.json`` (metrics on valid and test, time per epoch) and ``predictions.tsv`` (gene, split, actual,
predicted, for every gene of the table) and deletes the state.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save_file
from zoo_mirex.dataset import Data, candidate_mirnas, load, mirna_matrix, one_hot
from zoo_mirex.network import MiRExNet, count_parameters
from zoo_mirex.stats import r2_scores
from zoo_mirex.tissues import CONFIGS, TISSUES, WINDOW

from zoo_dev.checkpoint import load_extra, load_state, read_info, save_state

RECIPE: dict[str, Any] = {"optimizer": "SGD", "lr": 5e-4, "momentum": 0.9, "nesterov": False, "weight_decay": 0.0,
                          "batch_size": 32, "max_epochs": 100, "patience": 20, "loss": "MSE",
                          "retry_below_valid_r2": 0.01}
EVAL_BATCH = 256


def mirnas_for(data: Data, tissue: str, config: str, selection: Path | None) -> list[str]:
    """The miRNA inputs of a configuration (see the module docstring)."""
    if config == "xpresso":
        return []
    if config == "allmirna":
        return candidate_mirnas(data, tissue)
    if selection is None:
        raise SystemExit(f"error: --config {config} needs --selection (select_mirnas.py's JSON)")
    doc = json.loads(Path(selection).read_text())
    try:
        return list(doc["tissues"][tissue][config])
    except KeyError:
        raise SystemExit(f"error: {selection} has no {config} list for {tissue}") from None


def subset(data: Data, limit: int | None, seed: int = 0) -> dict[str, np.ndarray]:
    """Row indices per split; ``limit`` keeps that many training genes and a proportional share of the others (smoke
    runs)."""
    rows = {s: data.rows(s) for s in ("train", "valid", "test")}
    if limit:
        rng = np.random.default_rng(seed)
        for s in rows:
            k = limit if s == "train" else max(limit // 8, 8)
            rows[s] = np.sort(rng.permutation(rows[s])[:k])
    return rows


def predict(net: MiRExNet, data: Data, rows: np.ndarray, x_mirna: np.ndarray) -> np.ndarray:
    net.eval()
    out = []
    with torch.no_grad():
        for s in range(0, len(rows), EVAL_BATCH):
            r = rows[s: s + EVAL_BATCH]
            out.append(net(torch.from_numpy(one_hot(data.codes[r])), torch.from_numpy(data.half_life[r]),
                           torch.from_numpy(x_mirna[r]))[:, 0].numpy())
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def _save_state(folder: Path, net: MiRExNet, opt: torch.optim.Optimizer, best: dict[str, torch.Tensor],
                info: dict[str, Any]) -> None:
    """``state.safetensors`` (zoo_dev.checkpoint: weights, momentum buffers, the best weights as extra tensors, the
    progress in its metadata), then ``state.json``, a readable copy of that progress."""
    save_state(folder / "state.safetensors", model=net, optimizer=opt, info=info, extra=best)
    (folder / "state.json").write_text(json.dumps(info, indent=1))


def train_run(data: Data, tissue: str, mirnas: list[str], out: Path, *, seed: int = 0, config: str = "",
              max_epochs: int = RECIPE["max_epochs"], patience: int = RECIPE["patience"], limit: int | None = None,
              max_minutes: float | None = None, attempts: int = 3, log_every: int = 10,
              quiet: bool = False) -> dict[str, Any] | None:
    """Train (or resume, or return the finished result of) one run in ``out``; None when ``max_minutes`` ran out."""
    out.mkdir(parents=True, exist_ok=True)
    if (out / "result.json").exists():
        return json.loads((out / "result.json").read_text())
    t_start = time.perf_counter()
    rows = subset(data, limit)
    x_mirna = mirna_matrix(data, tissue, mirnas) if mirnas else np.zeros((len(data.genes), 0), np.float32)
    y = data.labels[tissue]
    info: dict[str, Any] = {"attempt": 0, "epoch": 0, "history": [], "seconds": 0.0, "retries": []}
    info = read_info(out / "state.safetensors") or info
    while True:
        seed_used = seed + 1000 * info["attempt"]
        torch.manual_seed(seed_used)
        net = MiRExNet(seq_len=WINDOW, n_mirna=len(mirnas))
        opt = torch.optim.SGD(net.parameters(), lr=RECIPE["lr"], momentum=RECIPE["momentum"])
        best = {k: v.detach().clone() for k, v in net.state_dict().items()}
        if info["epoch"]:
            load_state(out / "state.safetensors", model=net, optimizer=opt)
            best = load_extra(out / "state.safetensors")
        train_rows = rows["train"]
        y_t = torch.from_numpy(y)
        while info["epoch"] < max_epochs:
            e = info["epoch"]
            t0 = time.perf_counter()
            rng = np.random.default_rng(seed_used * 1000 + e)
            torch.manual_seed(seed_used * 1000 + e)
            net.train()
            order = train_rows[rng.permutation(len(train_rows))]
            total = 0.0
            for s in range(0, len(order), RECIPE["batch_size"]):
                r = order[s: s + RECIPE["batch_size"]]
                pred = net(torch.from_numpy(one_hot(data.codes[r])), torch.from_numpy(data.half_life[r]),
                           torch.from_numpy(x_mirna[r]))[:, 0]
                loss = torch.mean((pred - y_t[r]) ** 2)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(r)
            p_valid = predict(net, data, rows["valid"], x_mirna)
            row = {"epoch": e + 1, "train_mse": total / len(order),
                   "valid_mse": float(np.mean((p_valid - y[rows["valid"]]) ** 2)),
                   "valid_r2_pearson": r2_scores(p_valid, y[rows["valid"]])["r2_pearson"],
                   "seconds": time.perf_counter() - t0}
            info["history"].append(row)
            info["epoch"] = e + 1
            info["seconds"] += row["seconds"]
            best_mse = min(h["valid_mse"] for h in info["history"])
            if row["valid_mse"] <= best_mse:
                best = {k: v.detach().clone() for k, v in net.state_dict().items()}
            _save_state(out, net, opt, best, info)
            if not quiet and ((e + 1) % log_every == 0 or e == 0):
                print(f"{out}: epoch {e + 1}: train mse {row['train_mse']:.4f}  valid mse {row['valid_mse']:.4f}  "
                      f"valid r2 {row['valid_r2_pearson']:.3f}  ({row['seconds']:.1f} s/epoch)", file=sys.stderr,
                      flush=True)
            best_epoch = min(info["history"], key=lambda h: h["valid_mse"])["epoch"]
            if info["epoch"] - best_epoch >= patience:
                break
            if max_minutes is not None and time.perf_counter() - t_start > 60 * max_minutes:
                return None
        net.load_state_dict(best)
        p_valid = predict(net, data, rows["valid"], x_mirna)
        valid = r2_scores(p_valid, y[rows["valid"]])
        # 1 - RSS/TSS, not Pearson²: a dead bottleneck's near-constant output can anti-correlate weakly, and
        # Pearson² cannot tell (a lung allmirna run passed an r² = Pearson² guard with r = -0.12)
        if not (valid["r2"] >= RECIPE["retry_below_valid_r2"]) and info["attempt"] + 1 < attempts:
            info["retries"].append({"seed": seed_used, "valid_r2_pearson": valid["r2_pearson"]})
            info.update(attempt=info["attempt"] + 1, epoch=0, history=[])
            (out / "state.safetensors").unlink(missing_ok=True)
            continue
        break
    all_rows = np.arange(len(data.genes))  # every gene, also in smoke runs: select_mirnas.py reads the training ones
    p_all = predict(net, data, all_rows, x_mirna)
    pred = dict(zip(all_rows.tolist(), p_all.tolist(), strict=True))
    test = r2_scores(np.array([pred[i] for i in rows["test"]]), y[rows["test"]])
    epochs = len(info["history"])
    result = {
        "tissue": tissue, "config": config, "mirnas": mirnas, "n_mirna": len(mirnas), "seed": seed,
        "seed_used": seed_used, "retries": info["retries"], "epochs": epochs,
        "best_epoch": min(info["history"], key=lambda h: h["valid_mse"])["epoch"],
        "valid": {**valid, "mse": float(np.mean((p_valid - y[rows["valid"]]) ** 2)), "genes": len(rows["valid"])},
        "test": {**test, "genes": len(rows["test"])}, "train_genes": len(rows["train"]),
        "seconds_per_epoch": info["seconds"] / max(epochs, 1), "threads": torch.get_num_threads(),
        "parameters": count_parameters(net), "recipe": {**RECIPE, "max_epochs": max_epochs, "patience": patience},
        "limit": limit, "history": info["history"], "torch": torch.__version__,
    }
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(out / "model.safetensors"))
    lines = ["gene\tsplit\tactual\tpredicted"]
    lines += [f"{data.genes[i]}\t{data.split[i]}\t{y[i]:.6f}\t{pred[i]:.6f}" for i in all_rows]
    (out / "predictions.tsv").write_text("\n".join(lines) + "\n")
    (out / "result.json").write_text(json.dumps(result, indent=1) + "\n")
    for name in ("state.safetensors", "state.json"):
        (out / name).unlink(missing_ok=True)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="build_dataset.py's output folder")
    ap.add_argument("--tissue", choices=list(TISSUES), required=True)
    ap.add_argument("--config", choices=CONFIGS, required=True)
    ap.add_argument("--selection", type=Path, help="select_mirnas.py's JSON (mirex, abscorr)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-epochs", type=int, default=RECIPE["max_epochs"])
    ap.add_argument("--patience", type=int, default=RECIPE["patience"])
    ap.add_argument("--max-minutes", type=float, help="stop after the epoch that crosses this (resumable)")
    ap.add_argument("--limit-genes", type=int, help="smoke runs: this many training genes (and 1/8 as many valid/test)")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = load(args.data)
    mirnas = mirnas_for(data, args.tissue, args.config, args.selection)
    result = train_run(data, args.tissue, mirnas, args.out, seed=args.seed, config=args.config,
                       max_epochs=args.max_epochs, patience=args.patience, limit=args.limit_genes,
                       max_minutes=args.max_minutes)
    if result is None:
        print(f"{args.out}: time budget spent; rerun the same command to resume", file=sys.stderr)
        return 3
    print(f"{args.out}: {result['epochs']} epochs (best {result['best_epoch']}), {result['seconds_per_epoch']:.1f} s/epoch "
          f"at {result['threads']} thread(s); valid r2 {result['valid']['r2_pearson']:.3f}, test r2 "
          f"{result['test']['r2_pearson']:.3f} (1 - RSS/TSS {result['test']['r2']:.3f})")
    return 0 if not math.isnan(result["test"]["r2_pearson"]) else 1


if __name__ == "__main__":
    sys.exit(main())
