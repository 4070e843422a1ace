"""Plugin discovery and the registry: lazy, cached, isolated per plugin and per hook, collisions cost only themselves.

Every plugin here is the toy plugin `zoo init` makes, or a small one written by the test, installed into a folder
of the test's own (``toy_site``) or registered explicitly (``use_plugins``): never whatever is pip-installed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import zoo
from zoo_core import registry as registry_mod
from zoo_core.errors import DuplicateModelError, LoadError, PluginLoadError, UnknownModelError
from zoo_dev.fixtures import write_dist

ROOT = Path(__file__).resolve().parents[1]

BAD_COMMANDS = '''
from pathlib import Path
from zoo_core import hookimpl

@hookimpl
def register_models(register):
    register(Path(__file__).parent / "model.yaml", "zoo_toy.model:Model")

@hookimpl
def register_commands(cli):
    raise RuntimeError("this plugin's command is broken")
'''

GOOD_COMMAND = '''
import click
from zoo_core import hookimpl

@hookimpl
def register_commands(cli):
    @cli.command("hello")
    def hello():
        """Say hello."""
        click.echo("hello from a plugin")
'''


def _toy_yaml(toy_plugin: ModuleType, name: str, aliases: str = "") -> str:
    text = (Path(toy_plugin.__file__).parent / "models" / "toy" / "model.yaml").read_text()
    return re.sub(r"^name: \S+.*$", f"name: {name}" + (f"\naliases: [{aliases}]" if aliases else ""), text, count=1,
                  flags=re.MULTILINE)


def _env(site: Path, toy_plugin: ModuleType, allow: str) -> dict[str, str]:
    src = Path(toy_plugin.__file__).parents[1]
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(src)]), "ZOO_LOAD_PLUGINS": allow}


def test_zoo_list_imports_no_framework_and_no_plugin_once_cached(toy_site: Path, toy_plugin: ModuleType) -> None:
    code = ("import sys; from zoo.cli import main; main(['list']); "
            "print(sorted(m for m in ('torch', 'tensorflow', 'numpy', 'pydantic', 'zoo_toy') if m in sys.modules))")
    env = _env(toy_site, toy_plugin, "zoo-toy")
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert first.stdout.startswith("toy ") and "zoo_toy" in first.stdout.splitlines()[-1]  # built: the plugin ran
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert second.stdout.splitlines()[0] == first.stdout.splitlines()[0]
    assert second.stdout.splitlines()[-1] == "[]", "a cached `zoo list` imported a plugin, pydantic or a framework"


def test_the_cache_follows_model_yaml_edits_and_new_plugins(toy_site: Path, toy_plugin: ModuleType, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    env = _env(toy_site, toy_plugin, "zoo-toy,zoo-extra")
    listed = subprocess.run([sys.executable, "-m", "zoo", "list"], capture_output=True, text=True, check=True, env=env)
    assert listed.stdout.count("\n") == 1
    write_dist(toy_site, "zoo-extra", {"zoo_extra": "zoo_extra"}, {
        "zoo_extra/__init__.py": BAD_COMMANDS.replace("raise RuntimeError", "return None  #"),
        "zoo_extra/model.yaml": _toy_yaml(toy_plugin, "toy-extra").replace("task: sequence -> score", "task: extra")})
    listed = subprocess.run([sys.executable, "-m", "zoo", "list"], capture_output=True, text=True, check=True, env=env)
    assert "toy-extra  extra" in listed.stdout
    spec = toy_site / "zoo_extra" / "model.yaml"
    spec.write_text(spec.read_text().replace("task: extra", "task: edited"))
    listed = subprocess.run([sys.executable, "-m", "zoo", "list"], capture_output=True, text=True, check=True, env=env)
    assert "toy-extra  edited" in listed.stdout


def test_broken_plugin_is_reported_and_does_not_hide_the_others(toy_site: Path, zoo_cli,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    write_dist(toy_site, "zoo-broken", {"broken": "zoo_plugin_that_does_not_exist"})
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "zoo-toy,zoo-broken")
    code, out, err = zoo_cli("list")
    assert code == 0 and out.startswith("toy ")
    assert "plugin 'zoo-broken' failed to load: ModuleNotFoundError" in err
    registry_mod.reset_registry()
    code, out, _ = zoo_cli("plugins")  # from the cache now: the report survives it
    report = {p["name"]: p for p in json.loads(out)}
    assert report["zoo-broken"]["error"].startswith("ModuleNotFoundError")
    assert report["zoo-toy"]["models"] == ["toy"]
    # the missing module arrives (say, a dependency was installed): the next call sees the plugin well
    (toy_site / "zoo_plugin_that_does_not_exist.py").write_text("")
    registry_mod.reset_registry()
    try:
        code, out, err = zoo_cli("plugins")
    finally:
        sys.modules.pop("zoo_plugin_that_does_not_exist", None)  # the other tests need it missing
    assert code == 0 and "error" not in out and {p["name"] for p in json.loads(out)} == {"zoo-core", "zoo-toy", "zoo-broken"}


def test_a_plugin_whose_register_commands_raises_costs_only_its_commands(
        toy_site: Path, toy_plugin: ModuleType, toy_example: Path, zoo_cli, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    write_dist(toy_site, "zoo-badcmd", {"badcmd": "zoo_badcmd"}, {
        "zoo_badcmd/__init__.py": BAD_COMMANDS, "zoo_badcmd/model.yaml": _toy_yaml(toy_plugin, "toy-badcmd")})
    write_dist(toy_site, "zoo-goodcmd", {"goodcmd": "zoo_goodcmd"}, {"zoo_goodcmd/__init__.py": GOOD_COMMAND})
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "zoo-toy,zoo-badcmd,zoo-goodcmd")
    code, out, err = zoo_cli("--help")
    assert code == 0 and "hello" in out and "Say hello. [zoo-goodcmd]" in out
    assert "plugin 'zoo-badcmd' failed to load (register_commands): RuntimeError: this plugin's command is broken" in err
    assert zoo_cli("hello")[:2] == (0, "hello from a plugin\n")
    code, out, _ = zoo_cli("list")
    assert code == 0 and [line.split()[0] for line in out.splitlines()] == ["toy", "toy-badcmd"]
    assert zoo_cli("predict", "toy", toy_example, "-o", tmp_path / "o.tsv", "-q")[0] == 0
    # the weights of the copied model.yaml are not beside it: its own error, nobody else's
    code, _, err = zoo_cli("predict", "toy-badcmd", toy_example, "-o", tmp_path / "b.tsv", "-q")
    assert code == 1 and "toy-badcmd" in err


def test_plugin_with_invalid_model_yaml_costs_that_model(use_plugins, toy_plugin, tmp_path: Path) -> None:
    bad_yaml = tmp_path / "model.yaml"
    bad_yaml.write_text(_toy_yaml(toy_plugin, "bad") + "favourite_colour: blue\n")
    good_yaml = tmp_path / "good" / "model.yaml"
    good_yaml.parent.mkdir()
    good_yaml.write_text(_toy_yaml(toy_plugin, "good"))

    class BadPlugin:
        @staticmethod
        @registry_mod.hookspecs.hookimpl
        def register_models(register):  # type: ignore[no-untyped-def]
            register(bad_yaml, "nowhere:Nothing")
            register(good_yaml, "nowhere:Nothing")

    reg = use_plugins((BadPlugin(), "zoo-bad"), (toy_plugin, "zoo-toy"))
    assert sorted(reg.names) == ["good", "toy"]
    assert [e.plugin for e in reg.errors] == ["zoo-bad"]
    assert "model.yaml: favourite_colour: unknown key" in str(reg.errors[0])


def test_zoo_debug_reraises(toy_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_dist(toy_site, "zoo-broken", {"broken": "zoo_plugin_that_does_not_exist"})
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "zoo-toy,zoo-broken")
    monkeypatch.setenv("ZOO_DEBUG", "1")
    with pytest.raises(PluginLoadError) as e:
        registry_mod.registry().ensure_loaded()
    assert e.value.plugin == "zoo-broken"


def test_zoo_load_plugins_allowlist(toy_site: Path, monkeypatch: pytest.MonkeyPatch, zoo_cli) -> None:
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "")
    _, out, _ = zoo_cli("list")
    assert "No models loaded: ZOO_LOAD_PLUGINS='' restricts plugins; unset it to load all." in out
    registry_mod.reset_registry()
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "zoo-toy")
    _, out, _ = zoo_cli("list")
    assert out.startswith("toy ")


def test_two_plugins_with_one_id_cost_only_that_id(use_plugins, toy_plugin, toy_example: Path, tmp_path: Path,
                                                   zoo_cli) -> None:
    """The second plugin's 'toy' makes 'toy' ambiguous, names both plugins, and leaves every other model alone."""
    toy_dir = Path(toy_plugin.__file__).parent / "models" / "toy"
    other = tmp_path / "other"
    for name in ("toy", "toy-two"):
        (other / name).mkdir(parents=True)
        (other / name / "model.yaml").write_text(_toy_yaml(toy_plugin, name))
        (other / name / "model.safetensors").symlink_to(toy_dir / "model.safetensors")

    class Other:
        @staticmethod
        @registry_mod.hookspecs.hookimpl
        def register_models(register):  # type: ignore[no-untyped-def]
            for name in ("toy", "toy-two"):
                register(other / name / "model.yaml", "zoo_toy.model:Model")

    reg = use_plugins((toy_plugin, "zoo-toy"), (Other(), "zoo-other"))
    assert reg.errors == []
    with pytest.raises(DuplicateModelError, match="model 'toy' is registered by both 'zoo-toy' and 'zoo-other'; "
                                                  "select one as zoo-toy:toy or zoo-other:toy"):
        reg.get("toy")
    assert reg.get("zoo-toy:toy").plugin == "zoo-toy" and reg.get("zoo-other:toy").plugin == "zoo-other"
    assert reg.get("toy-two").plugin == "zoo-other"
    _, out, err = zoo_cli("list")
    assert [line.split()[0] for line in out.splitlines()] == ["zoo-other:toy", "zoo-toy:toy", "toy-two"]
    code, _, err = zoo_cli("predict", "toy", toy_example, "-o", tmp_path / "a.tsv")
    assert code == 1 and "select one as zoo-toy:toy or zoo-other:toy" in err and not (tmp_path / "a.tsv").exists()
    assert zoo_cli("predict", "zoo-other:toy", toy_example, "-o", tmp_path / "b.tsv", "-q")[0] == 0
    assert zoo_cli("test", "zoo-toy:toy")[0] == 0


def test_an_alias_never_shadows_a_model_id(use_plugins, toy_plugin, tmp_path: Path, zoo_cli) -> None:
    def plugin_with(name: str, aliases: str) -> object:
        folder = tmp_path / name
        folder.mkdir()
        spec = folder / "model.yaml"
        spec.write_text(_toy_yaml(toy_plugin, name, aliases))

        class Plugin:
            @staticmethod
            @registry_mod.hookspecs.hookimpl
            def register_models(register):  # type: ignore[no-untyped-def]
                register(spec, "nowhere:Nothing")

        return Plugin()

    reg = use_plugins((toy_plugin, "zoo-toy"), (plugin_with("toy-small", "toy-family"), "zoo-small"),
                      (plugin_with("toy-other", "toy"), "zoo-other"))
    assert reg.get("toy-family").spec.name == "toy-small" and reg.get("toy").spec.name == "toy"
    assert reg.get("toy-other").plugin == "zoo-other"
    assert reg.warnings == ["alias 'toy' of 'zoo-other:toy-other' is dropped: it is the id of 'zoo-toy:toy'"]
    _, out, _ = zoo_cli("list", "--json")
    assert {r["name"]: r["aliases"] for r in json.loads(out)}["toy-small"] == ["toy-family"]


def test_unknown_model_suggests_a_close_id(toy) -> None:
    with pytest.raises(UnknownModelError, match="Did you mean 'toy'"):
        zoo.get_model("tyo")


def test_import_zoo_loads_nothing() -> None:
    code = "import sys, zoo; print(sorted(m for m in ('zoo_core.registry', 'pandas', 'pydantic') if m in sys.modules))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"


def test_python_api_predict_is_a_table_and_predict_array_an_array(toy, toy_example: Path) -> None:
    from zoo_core.encoding import one_hot
    from zoo_core.seqio import read_fasta

    assert [m.name for m in zoo.list_models()] == ["toy"]
    m = zoo.get_model("toy")
    assert m.info.name == "toy" and m.schema["inputs"][0]["length"] == 200
    assert [o["name"] for o in m.schema["options"]] == ["threshold"]  # no --features: the toy has no numeric input
    df = m.predict(toy_example)
    assert list(df.columns) == ["id", "score", "label"]
    seqs = [r.seq for r in read_fasta(toy_example)]
    x = np.stack([one_hot(s) for s in seqs])
    arr = m.predict_array(x)
    assert arr.shape == (8, 1)
    np.testing.assert_allclose(df["score"], arr[:, 0], atol=1e-6)
    from_array = m.predict(x)
    assert from_array["id"].tolist() == [f"seq_{k}" for k in range(8)]
    np.testing.assert_allclose(from_array["score"], arr[:, 0], atol=1e-6)
    seq_df = m.predict(seqs[:2])
    assert seq_df["id"].tolist() == ["seq_0", "seq_1"]
    np.testing.assert_allclose(seq_df["score"], arr[:2, 0], atol=1e-6)
    # the model's own option, validated by name and type
    high = m.predict(toy_example, threshold=float(np.median(arr)))
    assert (high["label"] == np.where(arr[:, 0] > np.median(arr), "high", "low")).all()


def test_options_are_validated_by_name_and_type(toy, toy_example: Path, zoo_cli, tmp_path: Path) -> None:
    from zoo_core.errors import InputError

    m = zoo.get_model("toy")
    with pytest.raises(InputError, match="model toy has no option --treshold; its options: --threshold"):
        m.predict(toy_example, treshold=1)
    with pytest.raises(InputError, match="option --threshold: Input should be a valid number"):
        m.predict(toy_example, threshold="high")
    code, _, err = zoo_cli("predict", "toy", toy_example, "--treshold", "1", "-o", tmp_path / "o.tsv")
    assert code == 2 and "model toy has no option --treshold; its own options: --threshold" in err
    code, _, err = zoo_cli("predict", "toy", toy_example, "--threshold", "high", "-o", tmp_path / "o.tsv")
    assert code == 2 and "'high' is not a valid float" in err
    code, out, _ = zoo_cli("predict", "toy", "--help")
    assert code == 0 and "Options of toy:" in out and "--threshold FLOAT" in out and "[default:" in out
    code, out, _ = zoo_cli("explain", "toy", "--help")
    assert code == 0 and "--threshold FLOAT" in out


def test_load_with_other_weights_is_refused_once_loaded(toy, tmp_path: Path) -> None:
    m = zoo.get_model("toy")
    m.load()
    with pytest.raises(LoadError, match="already loaded"):
        m.load(weights_dir=tmp_path)
    fresh = zoo.get_model("toy")
    folder = Path(fresh.entry.bundle_dir)
    assert fresh.load(weights_dir=folder) is fresh.load(weights_dir=folder)


def test_the_core_names_no_plugin() -> None:
    """The core CLI and zoo_core hold no plugin's option or method name."""
    r = subprocess.run(["grep", "-rnE", "tpm|full_decode|full-decode|mdig", "zoo", "zoo_core"], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 1 and r.stdout == "", r.stdout
