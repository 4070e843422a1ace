"""Plugin discovery: lazy, isolated from broken plugins, filterable."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import pytest

from zoo_core import registry as registry_mod
from zoo_core.errors import PluginLoadError


def test_zoo_list_shows_installed_models_without_importing_frameworks() -> None:
    code = (
        "import sys; from zoo.cli import main; main(['list']); "
        "print(sorted(m for m in ('tensorflow', 'keras', 'torch') if m in sys.modules))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home())})
    lines = r.stdout.strip().splitlines()
    assert any(line.startswith("xpresso-human-median ") for line in lines)
    assert any(line.startswith("xpresso-mouse-median ") for line in lines)
    assert lines[-1] == "[]", "zoo list imported a deep-learning framework"


def _with_broken(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    real = list(entry_points(group="zoo"))
    broken = EntryPoint(name="broken", value=value, group="zoo")
    monkeypatch.setattr(registry_mod, "entry_points", lambda group: [*real, broken])


def test_broken_plugin_is_reported_and_does_not_hide_the_others(monkeypatch, zoo_cli) -> None:
    _with_broken(monkeypatch, "zoo_plugin_that_does_not_exist")
    code, out, err = zoo_cli("list")
    assert code == 0
    assert "xpresso-human-median" in out and "xpresso-mouse-median" in out
    assert "plugin 'broken' failed to load: ModuleNotFoundError" in err
    registry_mod.reset_registry()
    code, out, _ = zoo_cli("plugins")
    report = {p["name"]: p for p in json.loads(out)}
    assert report["broken"]["error"].startswith("ModuleNotFoundError")
    assert report["zoo-xpresso"]["models"] == ["xpresso-human-median", "xpresso-mouse-median"]


def test_plugin_with_invalid_model_yaml_is_isolated(use_plugins, toy_plugin, tmp_path: Path) -> None:
    bad_yaml = tmp_path / "model.yaml"
    good = Path(toy_plugin.__file__).parent / "models" / "toy" / "model.yaml"
    bad_yaml.write_text(good.read_text().replace("name: toy", "name: bad") + "favourite_colour: blue\n")

    class BadPlugin:
        @staticmethod
        @registry_mod.hookspecs.hookimpl
        def register_models(register):  # type: ignore[no-untyped-def]
            register(bad_yaml, "nowhere:Nothing")

    reg = use_plugins((BadPlugin(), "zoo-bad"), (toy_plugin, "zoo-toy"))
    assert sorted(reg.models) == ["toy"]
    assert [e.plugin for e in reg.errors] == ["zoo-bad"]
    assert "model.yaml: favourite_colour: unknown key" in str(reg.errors[0])


def test_zoo_debug_reraises(monkeypatch) -> None:
    _with_broken(monkeypatch, "zoo_plugin_that_does_not_exist")
    monkeypatch.setenv("ZOO_DEBUG", "1")
    with pytest.raises(PluginLoadError) as e:
        registry_mod.registry().ensure_loaded()
    assert e.value.plugin == "broken"


def test_zoo_load_plugins_allowlist(monkeypatch, zoo_cli) -> None:
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "")
    _, out, _ = zoo_cli("list")
    assert "xpresso-human-median" not in out and "No models installed" in out
    registry_mod.reset_registry()
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "zoo-xpresso")
    _, out, _ = zoo_cli("list")
    assert "xpresso-human-median" in out


def test_duplicate_model_id_is_refused(use_plugins, toy_plugin) -> None:
    reg = use_plugins((toy_plugin, "zoo-toy"))
    class Again:
        register_models = registry_mod.hookspecs.hookimpl(staticmethod(toy_plugin.register_models))

    reg.add_plugin(Again(), "zoo-toy-again")
    assert "model 'toy' is registered by both 'zoo-toy' and 'zoo-toy-again'" in str(reg.errors[0])
    assert reg.models["toy"].plugin == "zoo-toy"


def test_import_zoo_loads_nothing() -> None:
    code = "import sys, zoo; print(sorted(m for m in ('zoo_core.registry', 'pandas', 'pydantic') if m in sys.modules))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"


def test_python_api(toy, toy_example: Path) -> None:
    import zoo

    assert [m.name for m in zoo.list_models()] == ["toy"]
    m = zoo.get_model("toy")
    assert m.info.name == "toy" and m.schema["inputs"][0]["length"] == 200
    df = m.predict(toy_example)
    arr = m.predict(__import__("numpy").stack([__import__("zoo_core.encoding").encoding.one_hot(s)
                                               for s in _seqs(toy_example)]))
    assert arr.shape == (8, 1)
    assert abs(df["score"].to_numpy() - arr[:, 0]).max() < 1e-6
    seq_df = m.predict(_seqs(toy_example)[:2])
    assert seq_df["id"].tolist() == ["seq_0", "seq_1"]
    assert abs(seq_df["score"].to_numpy() - arr[:2, 0]).max() < 1e-6
    with pytest.raises(KeyError):
        zoo.get_model("nope")


def _seqs(path: Path) -> list[str]:
    from zoo_core.seqio import read_fasta

    return [r.seq for r in read_fasta(path)]


def test_alias_resolves_and_may_not_shadow_a_model(use_plugins, toy_plugin, tmp_path: Path, zoo_cli) -> None:
    toy_yaml = (Path(toy_plugin.__file__).parent / "models" / "toy" / "model.yaml").read_text()

    def plugin_with(name: str, aliases: str) -> object:
        folder = tmp_path / name
        folder.mkdir()
        spec = folder / "model.yaml"
        spec.write_text(toy_yaml.replace("name: toy", f"name: {name}\naliases: [{aliases}]"))

        class Plugin:
            @staticmethod
            @registry_mod.hookspecs.hookimpl
            def register_models(register):  # type: ignore[no-untyped-def]
                register(spec, "nowhere:Nothing")

        return Plugin()

    reg = use_plugins((toy_plugin, "zoo-toy"), (plugin_with("toy-small", "toy-family"), "zoo-small"),
                      (plugin_with("toy-other", "toy"), "zoo-other"))
    assert reg.get("toy-family").spec.name == "toy-small" and reg.get("toy").spec.name == "toy"
    assert [e.plugin for e in reg.errors] == ["zoo-other"]
    assert "alias 'toy' of model 'toy-other' is already an id or alias" in str(reg.errors[0])
    assert "toy-other" not in reg.models
    _, out, _ = zoo_cli("list", "--json")
    assert {r["name"]: r["aliases"] for r in json.loads(out)}["toy-small"] == ["toy-family"]
