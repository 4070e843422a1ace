"""Rebuild what zoo-xpresso bundles, from the published files in ../shared/data/expression.

    python plugins/zoo-xpresso/scripts/build_bundle.py [SHARED_DATA_DIR]

1. Converts the published Keras 2.0.5 h5 weights to safetensors (tensors copied bit for bit, read
   with h5py: nothing is unpickled) and writes the hub files (config.json, README.md stays hand-written).
2. Cuts the real example inputs from the kipoiseq hg38 chr22 piece: the four Kipoi Xpresso windows
   that lie inside it, as a FASTA of stranded windows, a BED of windows and a BED of TSSs, and the
   published Kipoi predictions for them as the expected outputs.
3. Checks each weights file's sha256 against model.yaml and, if one changed, updates model.yaml through
   the spec (its ``weights.revision`` then null until ``zoo publish`` uploads the new weights).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import h5py
import numpy as np
from safetensors.numpy import save_file

from zoo_core.spec import load_spec
from zoo_dev.specs import pin_weights, write_spec

HERE = Path(__file__).resolve().parents[1] / "src" / "zoo_xpresso"
SHARED = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[3] / "../shared/data").resolve()
EXPR = SHARED / "expression"
PIECE_OFFSET = 32_000_000
PIECE_NAME = "chr22_32000000_32300000"
H5 = {
    "xpresso-human-median": "xpresso_human_median_trainepoch.11-0.426.h5",
    "xpresso-mouse-median": "xpresso_mouse_median_trainepoch.05-0.278.h5",
}
LAYERS = ("conv1d_1", "conv1d_2", "dense_1", "dense_2", "dense_3")


def convert(model_id: str) -> None:
    src = EXPR / H5[model_id]
    out = HERE / "models" / model_id
    with h5py.File(src, "r") as f:
        g = f["model_weights"]
        tensors = {f"{n}.{k}": np.asarray(g[n][n][f"{k}:0"], dtype=np.float32) for n in LAYERS for k in ("kernel", "bias")}
        keras_version = f.attrs["keras_version"]
        keras_version = keras_version.decode() if isinstance(keras_version, bytes) else str(keras_version)
    source_sha = hashlib.sha256(src.read_bytes()).hexdigest()
    # provenance lives in config.json: safetensors writes multi-key metadata in random order,
    # which would make the file's sha256 change from run to run
    save_file(tensors, out / "model.safetensors")
    config = {"architecture": "xpresso", "window": 10500, "tss_index": 7000, "alphabet": "ACGT",
              "n_halflife": 6, "conv": [[128, 6, 30], [32, 9, 10]], "dense": [64, 2, 1],
              "source_weights": src.name, "source_sha256": source_sha,
              "source_keras_version": keras_version, "converted_by": "zoo-xpresso scripts/build_bundle.py"}
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")


def revcomp(s: str) -> str:
    return s.translate(str.maketrans("ACGTN", "TGCAN"))[::-1]


def examples() -> None:
    ex = HERE / "examples"
    piece = "".join(line.strip() for line in open(EXPR / "hg38_chr22_32000000_32300000.fa") if not line.startswith(">"))
    with open(ex / f"{PIECE_NAME}.fa", "w") as fh:
        fh.write(f">{PIECE_NAME} hg38 chr22:32000001-32300000 (kipoiseq tests/data)\n")
        for i in range(0, len(piece), 60):
            fh.write(piece[i:i + 60] + "\n")
    names = [line.split("\t")[3] for line in open(EXPR / "kipoi_xpresso_human_hg38_promoters.bed")]
    rows = []
    with open(EXPR / "kipoi_xpresso_predictions.tsv") as fh:
        next(fh)
        for line in fh:
            chrom, end, idx, start, strand, pred = line.rstrip("\n").split("\t")
            if chrom == "chr22" and int(start) >= PIECE_OFFSET and int(end) <= PIECE_OFFSET + len(piece):
                rows.append((names[int(idx)], int(start), int(end), strand, pred))
    rows.sort(key=lambda r: r[1])
    with open(ex / "promoters.fa", "w") as fa, open(ex / "promoters.bed", "w") as bed, \
            open(ex / "tss.bed", "w") as tss, open(ex / "kipoi_expected.tsv", "w") as exp:
        exp.write("id\texpression_pred\n")
        for name, start, end, strand, pred in rows:
            s, e = start - PIECE_OFFSET, end - PIECE_OFFSET
            seq = piece[s:e].upper()
            seq = revcomp(seq) if strand == "-" else seq
            t = s + 7000 if strand == "+" else e - 1 - 7000
            fa.write(f">{name} hg38 chr22:{start}-{end}({strand}) TSS at index 7000\n")
            fa.write("\n".join(seq[i:i + 60] for i in range(0, len(seq), 60)) + "\n")
            bed.write(f"{PIECE_NAME}\t{s}\t{e}\t{name}\t0\t{strand}\n")
            tss.write(f"{PIECE_NAME}\t{t}\t{t + 1}\t{name}\t0\t{strand}\n")
            exp.write(f"{name}\t{pred}\n")


def pin(model_id: str) -> None:
    """Keep model.yaml's weights digests in step with the converted files, rewriting it only when one changed."""
    folder = HERE / "models" / model_id
    spec = load_spec(folder / "model.yaml")
    pinned = pin_weights(spec, folder)
    digests = ", ".join(f"{f.name} sha256={f.sha256}" for f in pinned.weights.files)
    if pinned == spec:
        print(f"{model_id}: {digests}, as model.yaml pins")
    else:
        write_spec(pinned, folder / "model.yaml")
        print(f"{model_id}: {digests}: model.yaml updated, unpublished until `zoo publish {model_id} --repo-id ...`")


if __name__ == "__main__":
    examples()
    for model_id in H5:
        convert(model_id)
        pin(model_id)
