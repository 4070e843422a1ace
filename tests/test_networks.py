"""zoo_core.networks.load_network: a config.json + safetensors pair builds the network, and a mismatch is one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
from safetensors.torch import save_file  # noqa: E402

from zoo_core.errors import ModelSpecError  # noqa: E402
from zoo_core.networks import load_network  # noqa: E402


def build(config: dict) -> torch.nn.Module:
    return torch.nn.Linear(config["width"], 1)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 1).train()
    save_file(net.state_dict(), str(tmp_path / "model.safetensors"))
    (tmp_path / "config.json").write_text(json.dumps({"width": 3, "labels": ["mrna"]}))
    return tmp_path


def test_round_trip_gives_the_saved_outputs_in_eval_mode(folder: Path) -> None:
    torch.manual_seed(0)
    reference = torch.nn.Linear(3, 1)
    net, config = load_network(build, folder / "config.json", folder / "model.safetensors")
    x = torch.randn(4, 3)
    assert torch.equal(net(x), reference(x)) and not net.training
    assert config == {"width": 3, "labels": ["mrna"]}


def test_weights_that_do_not_fit_name_the_file(folder: Path) -> None:
    (folder / "config.json").write_text(json.dumps({"width": 5}))
    with pytest.raises(ModelSpecError, match=r"model\.safetensors: weights: do not fit config\.json's network: "
                                             r"Error\(s\) in loading state_dict"):
        load_network(build, folder / "config.json", folder / "model.safetensors")


@pytest.mark.parametrize(("text", "why"), [("{}", r"network: does not build a network: 'width'"),
                                          ("[1]", r"config\.json: must be a JSON object"),
                                          ("{", r"config\.json: is not readable JSON")])
def test_a_bad_config_is_one_line_naming_it(folder: Path, text: str, why: str) -> None:
    (folder / "config.json").write_text(text)
    with pytest.raises(ModelSpecError, match=why) as info:
        load_network(build, folder / "config.json", folder / "model.safetensors")
    assert "\n" not in str(info.value) and str(folder / "config.json") in str(info.value)
