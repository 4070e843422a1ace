"""Bundle a trained ensemble as the plugin's hub-layout model folder, deterministically.

    python plugins/zoo-ptr-cnn/scripts/package.py --organism athaliana --run build/ptr/athaliana \
        --metrics build/ptr/athaliana-eval.json

Writes ``models/ptr-cnn-<organism>/{model.safetensors, config.json}`` (members as ``member<k>.<param>``),
the example's expected outputs (``examples/expected_<organism>.tsv``), and updates model.yaml through the
spec: both files' sha256 and, with ``--metrics``, the metrics. New weights leave ``weights.revision``
null until ``zoo publish ptr-cnn-<organism> --repo-id OWNER/NAME`` uploads them and pins the commit.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from safetensors.torch import load_file, save_file

from zoo_core.spec import Metric, load_spec
from zoo_dev.specs import pin_weights, write_spec

PKG = Path(__file__).resolve().parents[1] / "src" / "zoo_ptr_cnn"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--organism", required=True, choices=["athaliana", "hsapiens"])
    ap.add_argument("--run", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, help="JSON from evaluate.py, copied into config.json")
    args = ap.parse_args(argv)

    model_id = f"ptr-cnn-{args.organism}"
    folder = PKG / "models" / model_id
    log = json.loads((args.run / "log.json").read_text())
    members = sorted((p for p in args.run.glob("member*.safetensors") if ".state" not in p.name),
                     key=lambda p: int(p.stem.removeprefix("member")))
    tensors = {}
    for k, path in enumerate(members):
        tensors.update({f"member{k}.{name}": t for name, t in load_file(str(path)).items()})
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    split_dir = PKG.parents[1] / "splits" / args.organism
    config = {
        "model": model_id,
        "network": log["config"]["network"],
        "ensemble": len(members),
        "training": {**log["config"]["training"],
                     "best_epochs": [log["members"][str(k)]["best_epoch"] for k in range(len(members))],
                     "wall_seconds_per_member": [round(log["wall_seconds"][str(k)]) for k in range(len(members))]},
        "dataset_sha256": dict(reversed(line.split()) for line in (split_dir / "dataset.sha256").read_text().splitlines()),
        "tpm_threshold": 1.0,
    }
    if args.metrics:
        config["metrics"] = json.loads(args.metrics.read_text())
    (folder / "config.json").write_text(json.dumps(config, indent=1, sort_keys=True) + "\n")

    spec = pin_weights(load_spec(folder / "model.yaml"), folder)
    if args.metrics:
        spec = spec.model_copy(update={"metrics": metrics(config["metrics"], args.organism)})
    write_spec(spec, folder / "model.yaml")
    published = f"published at {spec.weights.revision}" if spec.weights.revision else "unpublished (zoo publish)"
    print(f"{model_id}: {len(members)} members, {published}")
    write_expected(model_id, args.organism)


PAPER_R2 = {"athaliana": (0.32, 336, 30), "hsapiens": (0.30, 205, 29)}
DATA = {"athaliana": "PaxDb whole-organism protein (log2 ppm) vs Liang 2016 leaf RNA-seq, 3 samples",
        "hsapiens": "PaxDb per-organ protein (log2 ppm) vs HPA tissue-consensus nTPM, 16 tissues"}


def metrics(m: dict[str, Any], organism: str) -> list[Metric]:
    """model.yaml ``metrics``: the measured test figures next to the paper's, each saying what it is."""
    r2, genes, tissues = PAPER_R2[organism]
    pooled = m["model"]["pooled"]
    split = f"held-out test split, {pooled['genes']} genes, {pooled['points']} points (homology-aware)"
    rows = []
    if "per_gene" in m["model"]:
        g = m["model"]["per_gene"]
        gene_split = f"held-out test genes with >= {g['min_points']} tissues: {g['genes']} genes, {g['points']} points"
        rows += [("r2 per gene across tissues, mean (paper's metric)", g["r2_mean"], gene_split,
                  f"95% bootstrap interval {g['r2_mean_ci95'][0]:.2f} to {g['r2_mean_ci95'][1]:.2f}"),
                 ("r2 per gene across tissues, baseline: mRNA-only per-gene regression",
                  m["baselines"]["mrna_only"]["per_gene"]["r2_mean"], gene_split,
                  "the gene's own log2 protein ~ log2 TPM, fitted on its other tissues (leave one out)"),
                 ("r2 per gene across tissues, baseline: naive scaling",
                  m["baselines"]["naive_scaling"]["per_gene"]["r2_mean"], gene_split,
                  "the gene's own mean log2 protein + its log2 TPM's deviation from its mean (the paper's definition)")]
    rows += [("r2 (log2 protein, pooled over test points)", pooled["r2"], split,
              f"95% bootstrap interval {pooled['r2_ci95'][0]:.2f} to {pooled['r2_ci95'][1]:.2f}"),
             ("r2 pooled, baseline: mRNA-only linear regression", m["baselines"]["mrna_linear"]["pooled"]["r2"], split,
              "log2 protein ~ alpha * log2 TPM + beta fitted on the training points")]
    out = [Metric(name=name, value=round(value, 3), source="measured", data=DATA[organism], split=sp, note=note)
           for name, value, sp, note in rows]
    same = ("Not the same data: PaxDb per organ and HPA mRNA are two studies, 16 tissues; the paper's atlas measured "
            "both in the same samples." if organism == "hsapiens" else
            "Not the same measurement; a per-gene across-tissue r2 needs a tissue atlas, not available here.")
    out.append(Metric(name="r2 per gene across tissues (integrated model)", value=r2, source="paper",
                      data=f"{'Mergner 2020' if organism == 'athaliana' else 'Wang 2019'} atlas, {tissues} tissues, iBAQ",
                      split=f"{genes} hold-out genes with exactly 20 points", note=same))
    return out


def write_expected(model_id: str, organism: str) -> None:
    """Predict the bundled example with the bundled weights: what ``zoo test`` compares against."""
    from zoo_core.api import get_model
    from zoo_core.registry import reset_registry

    reset_registry()
    examples = PKG / "examples"
    table = get_model(model_id).predict(examples / f"genes_{organism}.fa", tpm=examples / f"tpm_{organism}.tsv")
    out = examples / f"expected_{organism}.tsv"
    table.to_csv(out, sep="\t", index=False, float_format="%.6f")
    print(f"{model_id}: expected outputs for {len(table)} example transcripts -> {out}")


if __name__ == "__main__":
    main()
