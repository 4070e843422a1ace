"""Fixtures of the core tests: the shared ones from zoo_dev.fixtures, and the toy plugin `zoo init` makes.

The core tests use the toy plugin, registered explicitly (``toy``) or installed into a folder of their own
(``toy_site``), never the plugins that happen to be pip-installed.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from zoo_core import registry as registry_mod
from zoo_dev.fixtures import isolated_home, use_plugins, write_dist, zoo_cli  # noqa: F401


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
def toy(use_plugins: Callable[..., registry_mod.Registry], toy_plugin: ModuleType) -> registry_mod.Registry:  # noqa: F811
    return use_plugins((toy_plugin, "zoo-toy"))


@pytest.fixture
def toy_site(toy_plugin: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on sys.path where the toy plugin is installed as ``zoo-toy``, and the only plugins entry-point
    discovery sees are the ones a test installs there (``ZOO_LOAD_PLUGINS`` lists them)."""
    site = tmp_path / "site"
    write_dist(site, "zoo-toy", {"zoo_toy": "zoo_toy"})
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "zoo-toy")
    importlib.invalidate_caches()
    yield site
    importlib.invalidate_caches()


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
