"""Shared fixtures for the core and plugin tests: an isolated home, no network, a fresh registry, a toy plugin."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from zoo_core import registry as registry_mod


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("HF_HOME", str(home / "hf"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    monkeypatch.delenv("ZOO_DEBUG", raising=False)
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    registry_mod.reset_registry()


@pytest.fixture(scope="session")
def toy_plugin(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The plugin `zoo init toy` scaffolds, imported from its source folder (not pip-installed)."""
    from zoo_core.scaffold import init_plugin

    root = init_plugin("toy", tmp_path_factory.mktemp("plugins"))
    src = root / "src"
    sys.path.insert(0, str(src))
    spec = importlib.util.spec_from_file_location("zoo_toy", src / "zoo_toy" / "__init__.py",
                                                  submodule_search_locations=[str(src / "zoo_toy")])
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["zoo_toy"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def use_plugins() -> Callable[..., registry_mod.Registry]:
    """Replace entry-point discovery with exactly the given plugin objects."""

    def _use(*plugins: tuple[object, str]) -> registry_mod.Registry:
        reg = registry_mod.reset_registry()
        reg.loaded = True
        from zoo_core.default_plugins import core

        reg.add_plugin(core, "zoo-core")
        for obj, name in plugins:
            reg.add_plugin(obj, name)
        return reg

    return _use


@pytest.fixture
def toy(use_plugins: Callable[..., registry_mod.Registry], toy_plugin: ModuleType) -> registry_mod.Registry:
    return use_plugins((toy_plugin, "zoo-toy"))


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


@pytest.fixture
def toy_example(toy_plugin: ModuleType) -> Path:
    return Path(toy_plugin.__file__).parent / "models" / "toy" / "example.fa"


@pytest.fixture
def tmp_fasta(tmp_path: Path) -> Iterator[Callable[[str, str], Path]]:
    def write(name: str, text: str) -> Path:
        p = tmp_path / name
        p.write_text(text)
        return p

    yield write
