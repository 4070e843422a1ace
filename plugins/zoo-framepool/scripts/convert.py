"""Convert the published Framepool Keras weights to the plugin's hub-layout model folder.

    .venv/bin/python plugins/zoo-framepool/scripts/convert.py [PUBLISHED_DIR]

PUBLISHED_DIR defaults to ``/work/shared/data/published`` (``../shared/data/published`` from the repository).

1. Reads ``framepool/Framepool_combined_residual.h5`` (Kipoi's Framepool, Zenodo 3584238) with h5py, layer by
   layer by name: keras is never imported and nothing is unpickled. The file's sha256 must be the one its
   README pins.
2. Writes ``model.safetensors``, tensor for tensor in PyTorch layout: Conv1D kernels (k, in, out) ->
   (out, in, k), Dense kernels (in, out) -> (out, in), biases as they are; float32 values copied bit for
   bit. ``config.json`` records the provenance (kept out of the safetensors header so that the file's
   sha256 is the same on every run).
3. Writes ``model.yaml`` through the spec (``zoo_dev.specs.write_spec``) with both files' sha256 and
   ``weights.revision: null`` (unpublished until ``zoo publish framepool --repo-id OWNER/NAME``). The
   ``source: measured`` metrics already in model.yaml (written by ``scripts/evaluate.py --write``) are kept.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from safetensors.numpy import save_file

from zoo_core.spec import Metric, ModelSpec, load_spec
from zoo_dev.specs import pin_weights, write_spec
from zoo_framepool.network import KERAS_NAMES  # the plugin is installed wherever its weights are converted

ROOT = Path(__file__).resolve().parents[3]
FOLDER = Path(__file__).resolve().parents[1] / "src" / "zoo_framepool" / "models" / "framepool"
H5_NAME = "Framepool_combined_residual.h5"
H5_SHA256 = "f009163ecb33e64f7a40db4f8da474317a1481003fdbacda95205736d956ad3b"  # framepool/README.txt
H5_MD5 = "d1e9656725e730d509a09d5371e51bd2"  # the md5 kipoi/models Framepool/model.yaml pins for the Zenodo file



def default_published() -> Path:
    return (ROOT.parent / "shared" / "data" / "published").resolve()


def keras_weight(f: h5py.File, layer: str, weight: str) -> np.ndarray:
    """One weight of the h5's ``model_weights`` group, found through the layer's own ``weight_names``
    (Keras stores e.g. ``convolution_0/convolution_0_2/kernel:0``; the inner name varies between saves)."""
    group = f["model_weights"][layer]
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in group.attrs["weight_names"]]
    match = [n for n in names if n.rsplit("/", 1)[-1] == f"{weight}:0"]
    if len(match) != 1:
        raise KeyError(f"{layer}: no single '{weight}:0' among {names}")
    return np.asarray(group[match[0]], dtype=np.float32)


def to_torch(name: str, value: np.ndarray) -> np.ndarray:
    """Keras layout -> PyTorch layout for the tensor ``name`` (a transpose, no arithmetic)."""
    if name.endswith(".weight") and value.ndim == 3:  # Conv1D (k, in, out) -> (out, in, k)
        return np.ascontiguousarray(value.transpose(2, 1, 0))
    if name.endswith(".weight") and value.ndim == 2:  # Dense (in, out) -> (out, in)
        return np.ascontiguousarray(value.T)
    return np.ascontiguousarray(value)


def convert_tensors(h5: Path) -> dict[str, np.ndarray]:
    """Every tensor of the network, PyTorch layout, from the published h5."""
    with h5py.File(h5, "r") as f:
        return {name: to_torch(name, keras_weight(f, layer, w)) for name, (layer, w) in KERAS_NAMES.items()}


def source_info(h5: Path) -> dict[str, Any]:
    data = h5.read_bytes()
    sha, md5 = hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest()
    if sha != H5_SHA256:
        raise SystemExit(f"{h5}: sha256 {sha}, expected the published file's {H5_SHA256}")
    with h5py.File(h5, "r") as f:
        keras_version = f.attrs["keras_version"]
    return {"source_weights": h5.name, "source_sha256": sha, "source_md5": md5,
            "source_keras_version": keras_version.decode() if isinstance(keras_version, bytes) else str(keras_version)}


def config(info: dict[str, Any]) -> dict[str, Any]:
    return {
        "architecture": "framepool",
        "conv": {"layers": 3, "filters": 128, "kernel": 7, "padding": "same", "activation": "relu",
                 "pad_mask": True, "residual": [1, 2]},
        "frames": 3,
        "pooling": ["max", "masked mean (sum over the frame / sum of the whole pad mask)"],
        "dense": [64, 1],
        "library_scaling": {"kipoi": [0, 1], "random": [0, 1], "egfp_unmod_1": [1, 0]},
        "alphabet": "ACGT",
        **info,
        "source_url": "https://zenodo.org/record/3584238 (Kipoi Framepool); github Karollus/5UTR "
                      "@ c575f9cdca0cac1ffa88eb18e4435fdfbc674b08 kipoi/5UTR_Model/model/Framepool_combined_residual.h5",
        "tensor_map": {k: f"{layer}/{w}" for k, (layer, w) in KERAS_NAMES.items()},
        "converted_by": "zoo-framepool scripts/convert.py",
    }


DESCRIPTION = (
    "Framepool: predicts the mean ribosome load (MRL) of a 5'UTR of any length, the average number of "
    "ribosomes on an mRNA, as measured by polysome profiling of 5'UTR reporter libraries in HEK293T cells "
    "(Sample et al. 2019). Convolutions over the UTR are pooled per reading frame relative to the start "
    "codon, so UTRs longer than the 25-100 nt of training are scored. Variant effects: log2 MRL fold change "
    "alt/ref, in frame and with the 3' end shifted by 1 and 2 nt (Kipoi). The authors' published Keras "
    "weights (Kipoi Framepool), ported to PyTorch."
)

PAPER_METRICS = [
    Metric(name="pearson r (human 50-nt MPRA test)", value=0.867, source="paper",
           data="Sample 2019 human 5'UTR MPRA, fixed length 50 nt (GSE114002)",
           split="25,000 test UTRs (Karollus/5UTR Modelling/Validations.ipynb, FramepoolCombined)"),
    Metric(name="pearson r (human variable-length MPRA test)", value=0.894, source="paper",
           data="Sample 2019 human 5'UTR MPRA, 25-100 nt",
           split="7,600 test UTRs (Validations.ipynb, FramepoolCombined)",
           note="Not re-measured: the variable-length human test set is not available here."),
    Metric(name="pearson r (random 50-nt MPRA test)", value=0.954, source="paper",
           data="Sample 2019 random 5'UTR MPRA egfp_unmod_1, 50 nt", split="20,000 test UTRs (Validations.ipynb)",
           note="Not re-measured: the random-library test set is not available here."),
    Metric(name="pearson r (random variable-length MPRA test)", value=0.914, source="paper",
           data="Sample 2019 random 5'UTR MPRA, 25-100 nt", split="7,600 test UTRs (Validations.ipynb)",
           note="Not re-measured: the random-library test set is not available here."),
]


def merge_metrics(paper: list[Metric], measured: list[Metric]) -> list[Metric]:
    """Each measured metric right after the paper's metric of the same name (the table reads pairwise), the
    others at the end; the order ``scripts/evaluate.py --write`` keeps too."""
    out: list[Metric] = []
    for m in paper:
        out += [m, *(x for x in measured if x.name == m.name)]
    return out + [x for x in measured if x.name not in {m.name for m in paper}]


def spec_dict(files: list[dict[str, str]], metrics: list[Metric]) -> dict[str, Any]:
    return {
        "spec_version": 1,
        "name": "framepool",
        "version": "1.0.0",
        "description": DESCRIPTION,
        "authors": [{"name": "Alexander Karollus"}, {"name": "Žiga Avsec"}, {"name": "Julien Gagneur"}],
        "citation": {
            "text": "Karollus A, Avsec Ž, Gagneur J. Predicting mean ribosome load for 5'UTR of any length using deep "
                    "learning. PLoS Computational Biology 17(5):e1008982 (2021).",
            "doi": "10.1371/journal.pcbi.1008982",
        },
        "license": "MIT",
        "organism": "Homo sapiens",
        "task": "5'UTR -> mean ribosome load",
        "inputs": [{
            "name": "utr5", "kind": "rna", "encoding": "one-hot-acgt",
            "doc": "A 5'UTR, 5'->3' and ending right before the start codon, of any length (U read as T, N allowed). "
                   "Give a FASTA of UTRs, or a GTF/GFF3 of transcripts with --genome (the spliced 5'UTR of each "
                   "coding transcript); for zoo vep, a pairs table of ref/alt UTRs.",
        }],
        "outputs": [{
            "name": "mrl", "unit": "mean ribosome load (ribosomes per mRNA), MPRA scale of --library",
            "doc": "Predicted mean ribosome load of the 5'UTR.",
        }],
        "variant_scores": [
            {"name": "mrl_ref", "output": "mrl", "function": "ref", "unit": "mean ribosome load",
             "doc": "Predicted MRL of the reference UTR."},
            {"name": "mrl_alt", "output": "mrl", "function": "alt", "unit": "mean ribosome load",
             "doc": "Predicted MRL of the alternative UTR."},
            {"name": "mrl_log2fc", "output": "mrl", "function": "log2fc", "unit": "log2 fold change",
             "doc": "log2(MRL alt / MRL ref): Kipoi's mrl_fold_change; NaN if an MRL is not positive."},
            {"name": "mrl_log2fc_shift1", "output": "mrl_shift1", "function": "log2fc", "unit": "log2 fold change",
             "doc": "The same with 1 all-zero position appended at the 3' end of both UTRs (Kipoi's shift_1): "
                    "the frames move by one, as if the start codon were 1 nt further."},
            {"name": "mrl_log2fc_shift2", "output": "mrl_shift2", "function": "log2fc", "unit": "log2 fold change",
             "doc": "The same with 2 all-zero positions appended (Kipoi's shift_2)."},
        ],
        "vep": {"anchor": "utr5", "doc": "A GTF/GFF3 of coding transcripts: the variant's spliced 5'UTR."},
        "dataloader": {"name": "utr5"},
        "weights": {"repo_id": "zoo-models/framepool", "revision": None, "framework": "torch", "files": files},
        "explain": {"methods": ["ism", "grad", "ig"], "target": "mrl"},
        "test": {"inputs": ["../../examples/utrs.fa"], "expected": "../../examples/expected_utrs.tsv",
                 "tolerance": 1e-5},
        "metrics": [m.model_dump(exclude_none=True) for m in metrics],
    }


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    published = Path(argv[0]).resolve() if argv else default_published()
    h5 = published / "framepool" / H5_NAME
    info = source_info(h5)
    FOLDER.mkdir(parents=True, exist_ok=True)
    save_file(convert_tensors(h5), str(FOLDER / "model.safetensors"), metadata={"format": "pt"})
    (FOLDER / "config.json").write_text(json.dumps(config(info), indent=1, ensure_ascii=False) + "\n")

    # keep what a previous run or `zoo publish` wrote: the measured metrics, and the hub pin, which
    # pin_weights drops (revision null) as soon as a digest differs from the pinned files
    measured: list[Metric] = []
    files = [{"name": "model.safetensors", "sha256": "0" * 64}, {"name": "config.json", "sha256": "0" * 64}]
    weights: dict[str, Any] = {}
    if (FOLDER / "model.yaml").exists():
        old = load_spec(FOLDER / "model.yaml")
        measured = [m for m in old.metrics if m.source == "measured"]
        files = [f.model_dump() for f in old.weights.files]
        weights = {"repo_id": old.weights.repo_id, "revision": old.weights.revision}
    data = spec_dict(files, merge_metrics(PAPER_METRICS, measured))
    data["weights"].update(weights)
    spec = pin_weights(ModelSpec.model_validate(data), FOLDER)
    write_spec(spec, FOLDER / "model.yaml")
    digests = ", ".join(f"{f.name} sha256={f.sha256}" for f in spec.weights.files)
    print(f"framepool: {len(KERAS_NAMES)} tensors from {h5.name} (sha256 {info['source_sha256'][:12]}…); {digests}")


if __name__ == "__main__":
    main()
