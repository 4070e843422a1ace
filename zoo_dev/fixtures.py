"""pytest fixtures for the tests of zoo and of any zoo plugin.

A plugin's ``tests/conftest.py`` imports them, so that its suite runs on its own (``pytest plugins/zoo-x``, or
from the plugin's folder) with the same isolation as the core's:

    from zoo_dev.fixtures import isolated_home, use_plugins, zoo_cli  # noqa: F401
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from zoo_core import registry as registry_mod


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh HOME, Hugging Face cache and zoo catalog cache; no network; a fresh registry."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("HF_HOME", str(home / "hf"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for name in ("HF_ENDPOINT", "ZOO_DEBUG", "HF_HUB_CACHE", "ZOO_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    registry_mod.reset_registry()
    return home


@pytest.fixture
def use_plugins() -> Callable[..., registry_mod.Registry]:
    """Replace entry-point discovery with exactly the given ``(plugin object, name)`` pairs (and the core)."""

    def _use(*plugins: tuple[object, str]) -> registry_mod.Registry:
        reg = registry_mod.reset_registry()
        reg.loaded = True
        from zoo_core.default_plugins import core

        reg.add_plugin(core, registry_mod.CORE_PLUGIN)
        for obj, name in plugins:
            reg.add_plugin(obj, name)
        return reg

    return _use


@pytest.fixture
def zoo_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run `zoo ARGS…` in-process through the real entry point; returns (exit code, stdout, stderr)."""
    from zoo.cli import main

    def run(*args: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as e:
            code = int(e.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def write_dist(site: Path, dist: str, entry_points: dict[str, str], files: dict[str, str] | None = None) -> None:
    """Make ``dist`` look pip-installed in ``site``: a dist-info folder with its ``zoo`` entry points, and files."""
    info = site / f"{dist.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[zoo]\n" + "".join(f"{k} = {v}\n" for k, v in entry_points.items()))
    for rel, text in (files or {}).items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text)


@pytest.fixture(scope="session")
def ray_local() -> Iterator[None]:
    """One local Ray instance (2 CPUs) for the whole test session, shut down at its end; skips without ray.

    Ray authenticates its processes with a token it keeps under HOME, and caches it in the driver: with a fresh HOME
    per test (``isolated_home``), a second instance would get a new token the driver does not have. One instance,
    with the token in ``RAY_AUTH_TOKEN`` for the session, avoids that.
    """
    import secrets

    ray = pytest.importorskip("ray", reason="needs the ray extra: pip install 'zoo[ray]'")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(32))
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=200 * 1024**2)
    yield
    ray.shutdown()
