"""zoo_dev: model.yaml written through the spec round-trips, and the runtime never imports zoo_dev."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from zoo_core.errors import ModelSpecError
from zoo_core.spec import load_spec
from zoo_dev.specs import pin_weights, spec_to_yaml, write_spec

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(ROOT.glob("plugins/*/src/*/models/*/model.yaml"))
XPRESSO = ROOT / "plugins/zoo-xpresso/src/zoo_xpresso/models/xpresso-human-median"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.parent.name for p in SHIPPED])
def test_every_shipped_model_yaml_round_trips(path: Path, tmp_path: Path) -> None:
    spec = load_spec(path)
    out = write_spec(spec, tmp_path / "model.yaml")
    assert load_spec(out) == spec
    text = out.read_text()
    assert "revision: null" in text  # kept although it is the default: it says "unpublished"
    assert spec_to_yaml(load_spec(out)) == text  # canonical: writing it again changes nothing


def test_integer_keys_of_dataloader_args_survive(tmp_path: Path) -> None:
    spec = load_spec(XPRESSO / "model.yaml")
    assert spec.dataloader.args == {"crop": {20000: 3000}}
    assert load_spec(write_spec(spec, tmp_path / "model.yaml")).dataloader.args == {"crop": {20000: 3000}}


def test_write_spec_refuses_an_invalid_update_and_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    spec = load_spec(XPRESSO / "model.yaml")
    write_spec(spec, path)
    before = path.read_bytes()
    # model_copy does not validate; write_spec's reload does
    bad = spec.model_copy(update={"weights": spec.weights.model_copy(update={"revision": "main"})})
    with pytest.raises(ModelSpecError, match=r"weights\.revision"):
        write_spec(bad, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.yaml"]


def test_pin_weights_keeps_the_revision_only_while_digests_hold(tmp_path: Path) -> None:
    spec = load_spec(XPRESSO / "model.yaml")
    published = spec.model_copy(update={"weights": spec.weights.model_copy(update={"revision": "a" * 40})})
    assert pin_weights(published, XPRESSO) == published

    (tmp_path / "model.safetensors").write_bytes(b"retrained")
    repinned = pin_weights(published, tmp_path)
    assert repinned.weights.revision is None  # new bytes are not what that commit holds
    assert repinned.weights.files[0].sha256 == hashlib.sha256(b"retrained").hexdigest()


def test_runtime_never_imports_zoo_dev() -> None:
    code = (
        "import sys, zoo, zoo.cli, zoo_core.api, zoo_core.weights, zoo_core.testing, zoo_core.scaffold\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'zoo_dev')\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
