"""Issue 14's human 2-kb experiment: Xpresso architecture vs DNAPerceiver in 5-fold CV, and the published Xpresso.

    .venv/bin/python plugins/zoo-perceiver/scripts/human_experiment.py prepare --out runs/human
    .venv/bin/python plugins/zoo-perceiver/scripts/human_experiment.py train --out runs/human [--max-minutes 60]
    .venv/bin/python plugins/zoo-perceiver/scripts/human_experiment.py evaluate --out runs/human

Data (``../shared/data``, DATA.md): the 2,240 real hg38 2,048-nt TSS windows of EntexExpress (``seq_oriented_5to3``,
TSS at index 1,024), labelled with Xpresso's human median expression (``xpresso_1to1_orthologs_expression.txt``
column 5, log10(median RPKM + 0.1), the paper's labelGeneHuman); 1,888 genes have a label. No half-life features
exist for these genes here, so both networks run without them (``n_half_life`` 0).

Folds: whole chromosomes, so that tandem paralogs never straddle train and test. Chromosomes are dealt largest first
to the fold with the fewest genes. Inside each fold's training genes a seed-0 random 10 % is the validation set for
early stopping (spec §9 #8: no selection on the test fold). Labels are z-scored with the fold's training mean and SD,
as Xpresso scales its labels.

``prepare`` writes each fold in Xpresso's datapack layout (``train.h5`` / ``valid.h5`` / ``test.h5``), so that
``train.py --xpresso-datapack`` trains on it unchanged. ``train`` runs both recipes on every fold (resumable: each
run is a ``train.py`` folder). ``evaluate`` pools the out-of-fold predictions and also scores the published
``xpresso-human-median`` (installed zoo-xpresso) on the same genes, with each 2,048-nt window placed at TSS index
7,000 of an all-N 10,500-nt window: the model sees only the 2 kb the others see.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from zoo_dev.scripts import load_script

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2].parent / "shared" / "data"
WINDOWS = "expression/human/entexexpress_hg38_promoters_TSSpm1024_2048bp_with_ENSG.tsv.gz"
LABELS = "expression/xpresso_1to1_orthologs_expression.txt"
FOLDS, LENGTH, TSS = 5, 2048, 1024
RECIPES = ("xpresso", "dnaperceiver")
NETWORK_KWARGS = {"seq_len": LENGTH, "n_half_life": 0}


def read_genes(shared: Path) -> list[tuple[str, str, str, float]]:
    """(ENSG, chromosome, 2,048-nt window, label) for every window with an Xpresso human median label."""
    label = {}
    for line in (shared / LABELS).read_text().splitlines():
        cols = line.split("\t")
        label[cols[0]] = float(cols[4])
    out = []
    with gzip.open(shared / WINDOWS, "rt") as fh:
        head = fh.readline().rstrip("\n").split("\t")
        for line in fh:
            row = dict(zip(head, line.rstrip("\n").split("\t"), strict=True))
            gene = row["ensembl_gene_id"]
            if gene in label:
                seq = row["seq_oriented_5to3"].upper()
                if len(seq) != LENGTH:
                    raise SystemExit(f"{gene}: window of {len(seq)} nt, expected {LENGTH}")
                out.append((gene, row["chrom"], seq, label[gene]))
    return sorted(out)


def assign_folds(genes: list[tuple[str, str, str, float]]) -> dict[str, int]:
    """Chromosome → fold, largest chromosome first to the fold with the fewest genes (ties: lowest fold)."""
    sizes: dict[str, int] = defaultdict(int)
    for _, chrom, _, _ in genes:
        sizes[chrom] += 1
    load = [0] * FOLDS
    fold = {}
    for chrom in sorted(sizes, key=lambda c: (-sizes[c], c)):
        k = min(range(FOLDS), key=lambda i: (load[i], i))
        fold[chrom], load[k] = k, load[k] + sizes[chrom]
    return fold


def one_hot(seqs: list[str]) -> np.ndarray:
    codes = np.stack([np.frombuffer(s.encode(), np.uint8) for s in seqs])
    out = np.zeros((*codes.shape, 4), np.uint8)
    for i, c in enumerate(b"ACGT"):
        out[..., i] = codes == c
    return out


def prepare(out: Path, shared: Path) -> None:
    import h5py

    genes = read_genes(shared)
    fold_of = assign_folds(genes)
    rng = np.random.default_rng(0)
    meta = {"genes": len(genes), "folds": {}}
    for k in range(FOLDS):
        test = [g for g in genes if fold_of[g[1]] == k]
        rest = [g for g in genes if fold_of[g[1]] != k]
        is_valid = np.zeros(len(rest), bool)
        is_valid[rng.permutation(len(rest))[: round(0.1 * len(rest))]] = True
        parts = {"train": [g for g, v in zip(rest, is_valid, strict=True) if not v],
                 "valid": [g for g, v in zip(rest, is_valid, strict=True) if v], "test": test}
        y = np.array([g[3] for g in parts["train"]])
        mean, sd = float(y.mean()), float(y.std())
        folder = out / f"fold{k}"
        folder.mkdir(parents=True, exist_ok=True)
        for name, part in parts.items():
            with h5py.File(folder / f"{name}.h5", "w") as h5:
                h5["promoter"] = one_hot([g[2] for g in part])
                h5["label"] = np.array([(g[3] - mean) / sd for g in part], np.float32)
                h5["geneName"] = np.array([g[0].encode() for g in part])
        meta["folds"][k] = {"chromosomes": sorted(c for c, f in fold_of.items() if f == k), "label_mean": mean,
                            "label_sd": sd, **{name: len(part) for name, part in parts.items()}}
        print(f"fold {k}: {len(parts['train'])} train / {len(parts['valid'])} valid / {len(test)} test "
              f"({', '.join(meta['folds'][k]['chromosomes'])})", file=sys.stderr)
    (out / "folds.json").write_text(json.dumps(meta, indent=1))


def train(out: Path, args: argparse.Namespace) -> None:
    trainer = load_script(HERE / "train.py", "perceiver_train")
    for recipe in args.recipes:
        for k in range(FOLDS):
            argv = [recipe, "--xpresso-datapack", str(out / f"fold{k}"), "--out", str(out / recipe / f"fold{k}"),
                    "--network-kwargs", json.dumps(NETWORK_KWARGS), "--max-epochs", str(args.max_epochs),
                    "--warmup", str(args.warmup), "--threads", str(args.threads)]
            if args.max_minutes:
                argv += ["--max-minutes", str(args.max_minutes)]
            trainer.main(argv)


def evaluate(out: Path) -> None:
    import torch
    from safetensors.torch import load_file
    from zoo_perceiver.build import build_network

    trainer = load_script(HERE / "train.py", "perceiver_train")
    scorer = load_script(HERE / "evaluate.py", "perceiver_evaluate")
    meta = json.loads((out / "folds.json").read_text())
    pooled: dict[str, tuple[list[float], list[float]]] = {r: ([], []) for r in RECIPES}
    per_fold: dict[str, list[float]] = {r: [] for r in (*RECIPES, "xpresso-human-median (published)")}
    truth: dict[str, float] = {}
    fold_genes: list[list[str]] = []
    for k in range(FOLDS):
        data = trainer.load_xpresso_datapack(out / f"fold{k}")["test"]
        m = meta["folds"][str(k)]
        y = data.labels[:, 0] * m["label_sd"] + m["label_mean"]
        truth.update(zip(data.ids, y.tolist(), strict=True))
        fold_genes.append(data.ids)
        for recipe in RECIPES:
            run = out / recipe / f"fold{k}"
            state = json.loads((run / "state.json").read_text())
            net = build_network(state["config"]["network"])
            net.load_state_dict(load_file(str(run / "best.safetensors")))
            with torch.no_grad():
                pred = trainer.predict(net, data, trainer.dna_slice_for(net))[:, 0] * m["label_sd"] + m["label_mean"]
            pooled[recipe][0].extend(pred.tolist())
            pooled[recipe][1].extend(y.tolist())
            per_fold[recipe].append(scorer.r2_pair(pred, y)[0])
    # the published Xpresso on the same genes, 2 kb placed at TSS index 7,000 of an all-N 10,500-nt window
    import zoo

    genes = {g: s for g, _, s, _ in read_genes(SHARED)}
    fasta = out / "published_input.fa"
    pad = 7000 - TSS
    fasta.write_text("".join(f">{g}\n{'N' * pad}{genes[g]}{'N' * (10_500 - pad - LENGTH)}\n" for g in sorted(truth)))
    table = zoo.get_model("xpresso-human-median").predict(str(fasta))
    published = dict(zip(table["id"], table["expression_pred"], strict=True))
    for ids in fold_genes:
        per_fold["xpresso-human-median (published)"].append(
            scorer.r2_pair(np.array([published[g] for g in ids]), np.array([truth[g] for g in ids]))[0])
    rows = []
    for recipe in RECIPES:
        p, y = (np.array(v) for v in pooled[recipe])
        rows.append({"model": f"{recipe} (trained here, 5-fold CV)", **scorer.with_ci(p, y),
                     "fold_r2": per_fold[recipe]})
    ids = sorted(truth)
    rows.append({"model": "xpresso-human-median (published weights)",
                 **scorer.with_ci(np.array([published[g] for g in ids]), np.array([truth[g] for g in ids])),
                 "fold_r2": per_fold["xpresso-human-median (published)"]})
    print("| model | genes | pooled Pearson r² (95% CI) | per-fold Pearson r² mean ± SD |\n|---|---|---|---|")
    for r in rows:
        f = np.array(r["fold_r2"])
        print(f"| {r['model']} | {r['n']} | {r['r2']:.3f} ({r['r2_lo']:.3f}–{r['r2_hi']:.3f}) | "
              f"{f.mean():.3f} ± {f.std():.3f} |")
    (out / "results.json").write_text(json.dumps(rows, indent=1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("step", choices=("prepare", "train", "evaluate"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--shared", type=Path, default=SHARED, help="../shared/data")
    ap.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=RECIPES)
    ap.add_argument("--max-epochs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--max-minutes", type=float, default=0, help="per run (a fold of a recipe)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    if args.step == "prepare":
        prepare(args.out, args.shared)
    elif args.step == "train":
        train(args.out, args)
    else:
        evaluate(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
