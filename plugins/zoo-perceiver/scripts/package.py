"""Bundle a ``train.py`` run as one of the plugin's model folders, deterministically.

    .venv/bin/python plugins/zoo-perceiver/scripts/package.py RUN_DIR MODEL_NAME [--recipe-state STATE.json] \\
        [--models-dir DIR] [--expected]

Reads ``RUN_DIR/state.json`` (or ``--recipe-state``: ``recipe``, ``config`` with the recipe's ``network`` and
``labels``, ``history``, ``best_epoch``, ``wall_seconds``, ``parameters``, ``seed``, ``warmup``, ``threads``) and
``RUN_DIR/best.safetensors``; writes ``models/MODEL_NAME/model.safetensors`` (the network's state_dict, checked by a
strict load) and ``config.json``; re-pins both sha256 in that folder's model.yaml through the spec (a new digest resets
``weights.revision`` to null until ``zoo publish``). ``--expected`` also predicts the model.yaml ``test`` example and
writes its ``test.expected`` table (what ``zoo test`` compares with). Metrics, the test block and the model card are
left as they are.

``config.json``::

    {
     "model": "dnaperceiver-athaliana",
     "recipe": "dnaperceiver",                        # train.py's RECIPES key
     "network": {"class": "DNAPerceiver", "kwargs": {"n_outputs": 1, "tanh": true}},   # build_network's argument
     "labels": ["mrna"],                              # the network's output columns: ["mrna"], ["protein"] or both
     "label_stats": {"mrna": {"mean": ..., "sd": ...}},     # training split, of log10(x + 0.1): undoes the z-score
     "half_life": {"features": [8 names], "logged": [...], "pseudo": 0.1,
                   "stats": {"UTR5LEN": {"mean": ..., "sd": ..., "n": ...}, ...}},      # networks with half-life only
     "dna_window": {"length": 10500, "tss_index": 7000},    # networks that read DNA only (8000 / 5000 for DNA&Protein)
     "dataset_sha256": "...",                         # splits/athaliana/dataset.sha256
     "training": {"recipe": {optimiser, lr, schedule, batch, ...}, "best_epoch": ..., "epochs": ...,
                  "best_validation": {the history row of best_epoch}, "wall_seconds": ..., "parameters": ...,
                  "seed": ..., "warmup": ..., "threads": ..., "train_genes": ..., "valid_genes": ..., "torch": ...}
    }

The statistics come from ``splits/athaliana/halflife_stats.json``: the model applies log10(x + 0.1) to the logged
half-life features of ``--halflife`` and z-scores all 8 with them, as the training table did.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
from safetensors.torch import load_file, save_file
from zoo_perceiver.build import build_network, inputs_of

from zoo_core.api import output_table
from zoo_core.spec import ModelSpec, load_spec
from zoo_dev.specs import pin_weights, write_spec

PLUGIN = Path(__file__).resolve().parents[1]
PKG = PLUGIN / "src" / "zoo_perceiver"
SPLITS = PLUGIN / "splits" / "athaliana"
# which train.py recipes each model folder takes (DNA&Protein: whichever arrangement won)
RECIPES = {
    "dnaperceiver-athaliana": ("dnaperceiver",),
    "dnaperceiver-athaliana-mrna-protein": ("dnaperceiver-mrna-protein",),
    "proteinperceiver-athaliana": ("proteinperceiver",),
    "dnaproteinperceiver-athaliana": ("dnaproteinperceiver-dna", "dnaproteinperceiver-protein"),
    "xpresso-athaliana": ("xpresso",),
}


def config_of(state: dict[str, Any], model: str, spec: ModelSpec, network: Any) -> dict[str, Any]:
    """The ``config.json`` of the module docstring."""
    stats_doc = json.loads((SPLITS / "halflife_stats.json").read_text())
    stats = stats_doc["stats"]
    recipe = state["config"]
    labels = list(recipe["labels"])
    config: dict[str, Any] = {
        "model": model,
        "recipe": state["recipe"],
        "network": recipe["network"],
        "labels": labels,
        "label_stats": {k: {"mean": stats[k]["mean"], "sd": stats[k]["sd"]} for k in labels},
    }
    names = inputs_of(network)
    if "half_life" in names:
        features = stats_doc["features"]
        config["half_life"] = {"features": features, "logged": [f for f in stats_doc["logged"] if f in features],
                               "pseudo": stats_doc["log10_plus"], "stats": {f: stats[f] for f in features}}
    if "dna" in names:
        dna = next(i for i in spec.inputs if i.kind == "dna")
        length = getattr(network, "dna_len", getattr(network, "seq_len", None))
        if dna.length != length or dna.anchor is None:
            sys.exit(f"error: {model}'s model.yaml input '{dna.name}' is {dna.length} nt, the network reads {length}")
        config["dna_window"] = {"length": length, "tss_index": dna.anchor.index}
    config["dataset_sha256"] = (SPLITS / "dataset.sha256").read_text().split()[0]
    history = state.get("history", [])
    best = state.get("best_epoch")
    config["training"] = {
        "recipe": {k: v for k, v in recipe.items() if k not in ("network", "labels")},
        "best_epoch": best,
        "epochs": len(history),
        "best_validation": next((h for h in history if h["epoch"] == best), None),
        "wall_seconds": round(float(state.get("wall_seconds", 0.0))),
        **{k: state.get(k) for k in ("parameters", "seed", "warmup", "threads", "torch")},
        "train_genes": state.get("train"),
        "valid_genes": state.get("valid"),
    }
    return config


def explain_methods(spec: ModelSpec, network: Any) -> ModelSpec:
    """``attention`` is offered where the cross-attention reads an input ``zoo explain`` explains: not for the
    XpressoCNN, and not for a DNA&ProteinPerceiver whose Perceiver reads the protein (only the promoter is explained)."""
    from zoo_perceiver.network import DNAProteinPerceiver, _PerceiverNet

    methods = [m for m in spec.explain.methods if m != "attention"]
    if isinstance(network, _PerceiverNet) and not (
            isinstance(network, DNAProteinPerceiver) and network.perceiver_input == "protein"):
        methods.append("attention")
    return spec.model_copy(update={"explain": spec.explain.model_copy(update={"methods": methods})})


def write_expected(folder: Path, spec: ModelSpec) -> Path:
    """Predict model.yaml's ``test.inputs`` with ``test.options`` through the plugin's own dataloader and this folder's
    weights (no registry, so any ``--models-dir`` works); write ``test.expected``."""
    import zoo_perceiver
    from zoo_perceiver.model import PerceiverModel

    loaders: dict[str, tuple[Any, Any]] = {}
    zoo_perceiver.register_dataloaders(lambda name, fn, options=None, **_: loaders.__setitem__(name, (fn, options)))
    fn, options_cls = loaders[spec.dataloader.name]
    t = spec.test
    options = options_cls.model_validate({k: folder / v for k, v in t.options.items()}) if options_cls else None
    model = PerceiverModel(spec, {f.name: folder / f.name for f in spec.weights.files})
    batches = fn(spec, [folder / p for p in t.inputs], batch_size=4, genome=None, options=options,
                 **spec.dataloader.args)
    table = pd.concat([output_table(spec, b, model.predict(b, None)) for b in batches], ignore_index=True)
    out = (folder / t.expected).resolve()
    table.to_csv(out, sep="\t", index=False, float_format="%.8g")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path, help="train.py's --out folder (best.safetensors, state.json)")
    ap.add_argument("model", choices=sorted(RECIPES), help="the model folder to write")
    ap.add_argument("--recipe-state", type=Path, help="the run's state.json (default RUN/state.json)")
    ap.add_argument("--models-dir", type=Path, default=PKG / "models", help="where the model folders are")
    ap.add_argument("--expected", action="store_true", help="also predict the test example into test.expected")
    args = ap.parse_args(argv)

    state = json.loads((args.recipe_state or args.run / "state.json").read_text())
    if state["recipe"] not in RECIPES[args.model]:
        sys.exit(f"error: {args.model} takes a run of recipe {' or '.join(RECIPES[args.model])}, "
                 f"not {state['recipe']!r}")
    folder = args.models_dir / args.model
    spec = load_spec(folder / "model.yaml")
    network = build_network(state["config"]["network"])
    tensors = load_file(str(args.run / "best.safetensors"))
    network.load_state_dict(tensors, strict=True)  # the exact keys and shapes the plugin will load
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(folder / "model.safetensors"),
              metadata={"format": "pt"})
    config = config_of(state, args.model, spec, network)
    (folder / "config.json").write_text(json.dumps(config, indent=1) + "\n")

    spec = explain_methods(pin_weights(spec, folder), network)
    write_spec(spec, folder / "model.yaml")
    print(f"{args.model}: {state['recipe']}, best epoch {state.get('best_epoch')} of {len(state.get('history', []))}"
          f" -> {folder} ({'published at ' + spec.weights.revision if spec.weights.revision else 'unpublished'})")
    if args.expected:
        print(f"{args.model}: expected outputs of the test example -> {write_expected(folder, spec)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
