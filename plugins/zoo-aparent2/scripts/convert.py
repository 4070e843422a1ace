"""Convert the published APARENT2 Keras h5 to the safetensors zoo-aparent2 bundles, and pin it in model.yaml.

    .venv/bin/python plugins/zoo-aparent2/scripts/convert.py [H5]

H5 defaults to ``../shared/data/published/aparent2/aparent_all_libs_resnet_no_clinvar_wt_ep_5_var_batch_size_
inference_mode_no_drop.h5`` (johli/aparent-resnet @ a745736, MIT). The h5 is read with h5py only: its
Lambda layers (marshalled Python 3.6 bytecode) are never deserialised, and nothing is unpickled.

One safetensors tensor per h5 dataset (192,517 numbers, float32, values bit for bit), named after the
PyTorch module (:mod:`zoo_aparent2.network`). The only changes are layouts, :func:`~zoo_aparent2.network.keras_source`:

- Conv2D kernels ``(1, width, in, out)`` → Conv1d ``(out, in, width)`` (``k[0].transpose(2, 1, 0)``);
- LocallyConnected2D kernel ``(206, 13, 1)`` → ``(206, 13)``, its bias ``(1, 206, 1)`` → ``(206,)``;
- batch norm gamma/beta/moving_mean/moving_variance → weight/bias/running_mean/running_var, unchanged.

Then model.yaml's sha256 is recomputed through the spec (``zoo_dev.specs.pin_weights`` + ``write_spec``);
the hub revision stays null until ``zoo publish``.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import h5py
import numpy as np

HERE = Path(__file__).resolve().parents[1]
MODEL_DIR = HERE / "src" / "zoo_aparent2" / "models" / "aparent2-resnet"
H5_NAME = "aparent_all_libs_resnet_no_clinvar_wt_ep_5_var_batch_size_inference_mode_no_drop.h5"
DEFAULT_H5 = HERE.parents[1] / ".." / "shared" / "data" / "published" / "aparent2" / H5_NAME
H5_SHA256 = "540147b1f239c27cec6594931a7305a3a5ded6d3c8fbc43661761bad94ed637e"
N_PARAMS = 192_517


def h5_tensors(path: Path) -> dict[str, np.ndarray]:
    """Every weight of the h5 as ``{'layer/variable': array}`` (``model_weights/<layer>/<layer>/<variable>:0``)."""
    out: dict[str, np.ndarray] = {}
    with h5py.File(path, "r") as f:
        g = f["model_weights"]
        for layer in g:
            for name, ds in g[layer].get(layer, {}).items():
                out[f"{layer}/{name.removesuffix(':0')}"] = np.asarray(ds, dtype=np.float32)
    return out


def convert(path: Path) -> dict[str, np.ndarray]:
    """The state dict of :class:`~zoo_aparent2.network.Aparent2` from the h5 at ``path``.

    Raises
    ------
    ValueError
        A tensor of the network has no source in the h5, a shape does not fit, or an h5 tensor is left over.
    """
    from zoo_aparent2.network import Aparent2, keras_source

    source = h5_tensors(path)
    used: set[str] = set()
    out: dict[str, np.ndarray] = {}
    for key, param in Aparent2().state_dict().items():
        layer, var, transform = keras_source(key)
        name = f"{layer}/{var}"
        if name not in source:
            raise ValueError(f"{path.name}: no dataset {name} for {key}")
        arr = transform(source[name])
        if tuple(arr.shape) != tuple(param.shape):
            raise ValueError(f"{path.name}: {name} {source[name].shape} → {arr.shape}, {key} needs {tuple(param.shape)}")
        out[key] = arr
        used.add(name)
    left = sorted(set(source) - used)
    if left:
        raise ValueError(f"{path.name}: h5 tensors not used: {left[:3]}")
    n = sum(a.size for a in out.values())
    if n != N_PARAMS:
        raise ValueError(f"{path.name}: {n} numbers, the published model has {N_PARAMS}")
    return out


def main(argv: list[str]) -> None:
    from safetensors.numpy import save_file

    from zoo_core.spec import load_spec
    from zoo_dev.specs import pin_weights, write_spec

    path = Path(argv[0] if argv else DEFAULT_H5).resolve()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != H5_SHA256:
        sys.exit(f"{path}: sha256 {digest}, expected the published {H5_SHA256}")
    tensors = convert(path)
    # no metadata: safetensors writes a metadata dict in arbitrary order, which would change the file's digest
    save_file(tensors, MODEL_DIR / "model.safetensors")
    spec = load_spec(MODEL_DIR / "model.yaml")
    pinned = pin_weights(spec, MODEL_DIR)
    write_spec(pinned, MODEL_DIR / "model.yaml")  # canonical text even when no digest changed
    sha = pinned.weights.files[0].sha256
    print(f"{len(tensors)} tensors, {sum(a.size for a in tensors.values()):,} numbers → model.safetensors sha256={sha}"
          f"{' (model.yaml updated)' if pinned != spec else ''}")


if __name__ == "__main__":
    main(sys.argv[1:])
