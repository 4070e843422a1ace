"""`zoo init NAME` scaffolds a plugin that pip-installs and passes `zoo test NAME`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_init_plugin_installs_and_passes_zoo_test(zoo_cli, tmp_path: Path) -> None:
    code, _out, err = zoo_cli("init", "demo-model", "--dir", tmp_path)
    assert code == 0, err
    plugin = tmp_path / "zoo-demo-model"
    assert (plugin / "src/zoo_demo_model/models/demo-model/model.yaml").is_file()
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(plugin)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(site), "ZOO_LOAD_PLUGINS": "zoo-demo-model"}
    zoo = [sys.executable, "-m", "zoo"]
    listed = subprocess.run([*zoo, "list"], env=env, capture_output=True, text=True, check=True)
    assert listed.stdout.startswith("demo-model ")
    tested = subprocess.run([*zoo, "test", "demo-model"], env=env, capture_output=True, text=True)
    assert tested.returncode == 0, tested.stderr
    assert tested.stdout.startswith("demo-model: PASS (8 records;") and "label 0 mismatched" in tested.stdout
    # its own option, string output and attribution method, with no change to the core
    helped = subprocess.run([*zoo, "predict", "demo-model", "--help"], env=env, capture_output=True, text=True, check=True)
    assert "--threshold FLOAT" in helped.stdout
    example = plugin / "src/zoo_demo_model/models/demo-model/example.fa"
    out = tmp_path / "out.tsv"
    subprocess.run([*zoo, "predict", "demo-model", example, "--threshold", "1e9", "-o", out, "-q"], env=env, check=True)
    table = out.read_text().splitlines()
    assert table[0] == "id\tscore\tlabel" and all(row.endswith("\tlow") for row in table[1:])
    info = subprocess.run([*zoo, "info", "demo-model"], env=env, capture_output=True, text=True, check=True).stdout
    assert "- occlusion" in info and "threshold:" in info
    attr = tmp_path / "attr.h5"
    explained = subprocess.run([*zoo, "explain", "demo-model", example, "--method", "occlusion", "-o", attr, "-q"],
                               env=env, capture_output=True, text=True)
    assert explained.returncode == 0 and attr.is_file(), explained.stderr


def test_init_refuses_bad_names_and_existing_folders(zoo_cli, tmp_path: Path) -> None:
    code, _, err = zoo_cli("init", "Bad Name", "--dir", tmp_path)
    assert code == 1 and "model id must be lower case" in err
    assert zoo_cli("init", "again", "--dir", tmp_path)[0] == 0
    code, _, err = zoo_cli("init", "again", "--dir", tmp_path)
    assert code == 1 and "already exists" in err


def test_zoo_test_fails_when_outputs_drift(toy, toy_plugin, zoo_cli, monkeypatch) -> None:
    """`zoo test` must catch a model whose outputs no longer match expected.tsv."""
    model_cls = toy_plugin.model.Model if hasattr(toy_plugin, "model") else __import__("zoo_toy.model").model.Model
    original = model_cls.predict_on_batch
    monkeypatch.setattr(model_cls, "predict_on_batch", lambda self, inputs: original(self, inputs) + 1e-3)
    code, out, _err = zoo_cli("test", "toy")
    assert code == 1
    assert "toy: FAIL" in out and "max|Δ|=1.00e-03" in out
