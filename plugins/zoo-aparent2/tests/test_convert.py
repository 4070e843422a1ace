"""The h5 → safetensors conversion: every published tensor, bit for bit, and a reproducible file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file

from zoo_aparent2.network import Aparent2, keras_source
from zoo_core.spec import load_spec
from zoo_dev.scripts import load_script

PLUGIN = Path(__file__).resolve().parents[1]
MODEL_DIR = PLUGIN / "src" / "zoo_aparent2" / "models" / "aparent2-resnet"
SHARED = PLUGIN.parents[1] / ".." / "shared" / "data" / "published" / "aparent2"  # read-only published files
convert = load_script(PLUGIN / "scripts" / "convert.py", "aparent2_convert")
H5 = (SHARED / convert.H5_NAME).resolve()
needs_h5 = pytest.mark.skipif(not H5.is_file(), reason="the published h5 is not on this machine")


def test_every_network_tensor_has_one_h5_source() -> None:
    keys = list(Aparent2().state_dict())
    sources = [keras_source(k)[:2] for k in keys]
    assert len(set(sources)) == len(keys) == 358  # 56 convs, 56 BNs x 4, 7 skips, 3 single convs, lib: x 2 tensors
    assert sum(p.numel() for p in Aparent2().state_dict().values()) == convert.N_PARAMS == 192_517
    assert keras_source("groups.3.2.conv1.weight")[:2] == ("aparent_resblock_3_2_conv_1", "kernel")
    assert keras_source("groups.0.1.bn0.running_var")[:2] == ("aparent_resblock_0_1_batch_norm_0", "moving_variance")
    assert keras_source("skip_convs.6.bias")[:2] == ("aparent_skip_conv_6", "bias")
    with pytest.raises(KeyError):
        keras_source("groups.0.weight")


def test_model_yaml_pins_the_bundled_weights() -> None:
    spec = load_spec(MODEL_DIR / "model.yaml")
    (entry,) = spec.weights.files
    assert hashlib.sha256((MODEL_DIR / entry.name).read_bytes()).hexdigest() == entry.sha256
    assert spec.weights.revision is None


@needs_h5
def test_bundled_tensors_equal_the_published_h5_exactly() -> None:
    assert hashlib.sha256(H5.read_bytes()).hexdigest() == convert.H5_SHA256
    source = convert.h5_tensors(H5)
    bundled = load_file(MODEL_DIR / "model.safetensors")
    assert len(bundled) == len(source) == 358
    for key, arr in bundled.items():
        layer, var, _ = keras_source(key)
        raw = source[f"{layer}/{var}"]
        assert arr.dtype == np.float32 and arr.size == raw.size, key
        if raw.ndim == 4:  # Conv2D (1, width, in, out) ↔ Conv1d (out, in, width), the documented transposition
            assert np.array_equal(arr.transpose(2, 1, 0)[None], raw), key
        else:  # same numbers in the same order (LocallyConnected2D only drops unit axes)
            assert np.array_equal(arr.reshape(-1), raw.reshape(-1)), key


@needs_h5
def test_conversion_is_reproducible(tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    save_file(convert.convert(H5), tmp_path / "model.safetensors")
    assert (tmp_path / "model.safetensors").read_bytes() == (MODEL_DIR / "model.safetensors").read_bytes()


def test_bundled_tensors_load_strictly() -> None:
    net = Aparent2()
    net.load_state_dict({k: torch.from_numpy(v) for k, v in load_file(MODEL_DIR / "model.safetensors").items()},
                        strict=True)
