"""zoo_dev.checkpoint: a resumed run equals an uninterrupted one, and the state file holds no pickle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from zoo_dev.checkpoint import load_extra, load_state, read_info, save_state  # noqa: E402


def _setup(seed: int = 0) -> tuple[torch.nn.Module, torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 1))
    opt = torch.optim.AdamW(net.parameters(), lr=1.0, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1e-2 * min((s + 1) ** -0.5, (s + 1) * 3 ** -1.5))
    return net, opt, sched


def _steps(net: torch.nn.Module, opt: torch.optim.Optimizer, sched: torch.optim.lr_scheduler.LambdaLR,
           start: int, n: int) -> None:
    for k in range(start, start + n):
        g = torch.Generator().manual_seed(k)
        x, y = torch.randn(8, 5, generator=g), torch.randn(8, 1, generator=g)
        opt.zero_grad()
        torch.nn.functional.mse_loss(net(x), y).backward()
        opt.step()
        sched.step()


def test_a_resumed_run_equals_an_uninterrupted_one(tmp_path: Path) -> None:
    net, opt, sched = _setup()
    _steps(net, opt, sched, 0, 6)

    first, opt1, sched1 = _setup()
    _steps(first, opt1, sched1, 0, 3)
    best = {"w": first[0].weight.detach() * 2}
    save_state(tmp_path / "state.safetensors", model=first, optimizer=opt1, extra=best,
               info={"update": 3, "scheduler": sched1.state_dict()})

    resumed, opt2, sched2 = _setup(seed=1)  # other initial weights: everything must come from the file
    info = load_state(tmp_path / "state.safetensors", model=resumed, optimizer=opt2)
    sched2.load_state_dict(info["scheduler"])
    assert info["update"] == 3
    _steps(resumed, opt2, sched2, 3, 3)
    for a, b in zip(net.parameters(), resumed.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    torch.testing.assert_close(load_extra(tmp_path / "state.safetensors")["w"], best["w"])
    assert read_info(tmp_path / "state.safetensors") == info
    assert read_info(tmp_path / "absent.safetensors") is None


def test_the_state_file_is_safetensors_with_json_metadata(tmp_path: Path) -> None:
    from safetensors import safe_open

    net, opt, sched = _setup()
    _steps(net, opt, sched, 0, 2)
    save_state(tmp_path / "s.safetensors", model=net, optimizer=opt, info={"epoch": 1})
    with safe_open(str(tmp_path / "s.safetensors"), framework="pt") as fh:
        keys = set(fh.keys())
        meta = json.loads(fh.metadata()["state"])
    assert {"model.0.weight", "optimizer.0.exp_avg", "optimizer.0.exp_avg_sq"} <= keys
    assert meta["info"] == {"epoch": 1} and meta["param_groups"][0]["weight_decay"] == 0.01
    assert not list(tmp_path.glob("*.tmp"))
