"""model.yaml: strict validation with errors naming file and key; schema and templates in sync."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
import yaml

from zoo_core.errors import ModelSpecError
from zoo_core.spec import json_schema, load_spec

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_SPECS = sorted(ROOT.glob("plugins/*/src/*/models/*/model.yaml"))
XPRESSO = ROOT / "plugins/zoo-xpresso/src/zoo_xpresso/models/xpresso-human-median/model.yaml"


def test_every_plugin_spec_validates_with_pydantic_and_json_schema() -> None:
    assert len(PLUGIN_SPECS) >= 2
    schema = json.loads((ROOT / "templates/model.schema.json").read_text())
    for path in PLUGIN_SPECS:
        spec = load_spec(path)
        assert spec.name == path.parent.name, "the model folder is named after the model id"
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
        for f in spec.weights.files:
            assert (path.parent / f.name).is_file(), f"{spec.name}: weights {f.name} are bundled"


def test_shipped_json_schema_is_generated_from_the_spec() -> None:
    shipped = json.loads(files("zoo_core.templates").joinpath("model.schema.json").read_text())
    assert shipped == json_schema(), "run: python -m zoo_core.spec > templates/model.schema.json"


def _mutate(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(XPRESSO.read_text())
    edit(data)
    p = tmp_path / "model.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


@pytest.mark.parametrize(
    ("edit", "field", "reason"),
    [
        (lambda d: d.update(favourite_colour="blue"), "favourite_colour", "unknown key"),
        (lambda d: d["inputs"][0].update(lenght=10500), "inputs.0.lenght", "unknown key"),
        (lambda d: d["inputs"][0].update(length="long"), "inputs.0.length", "valid integer"),
        (lambda d: d["weights"].update(revision="main"), "weights.revision", "should match pattern"),
        (lambda d: d["weights"]["files"][0].update(name="pytorch_model.bin"), "weights.files.0.name",
         "pickles are never loaded"),
        (lambda d: d["weights"]["files"][0].update(sha256="abc"), "weights.files.0.sha256", "should match pattern"),
        (lambda d: d["inputs"][0]["anchor"].update(index=20000), "inputs.0", "anchor.index must lie inside"),
        (lambda d: d.pop("citation"), "citation", "Field required"),
        (lambda d: d["inputs"][0].update(kind="hexamer"), "inputs.0.kind", "Input should be"),
    ],
)
def test_invalid_spec_names_file_key_and_reason(tmp_path: Path, edit, field: str, reason: str) -> None:
    path = _mutate(tmp_path, edit)
    with pytest.raises(ModelSpecError) as e:
        load_spec(path)
    assert e.value.field == field
    assert reason in e.value.reason
    assert str(e.value).startswith(f"{path}: {field}: ")


def test_not_yaml_and_missing(tmp_path: Path) -> None:
    bad = tmp_path / "model.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ModelSpecError, match="<yaml>"):
        load_spec(bad)
    with pytest.raises(ModelSpecError, match="no such file"):
        load_spec(tmp_path / "missing.yaml")


def test_zoo_info_shows_the_spec(toy, zoo_cli) -> None:
    code, out, _ = zoo_cli("info", "toy")
    info = yaml.safe_load(out)
    assert code == 0 and info["name"] == "toy" and info["plugin"] == "zoo-toy"
    assert info["inputs"][0]["encoding"] == "one-hot-acgt"


def test_template_documents_every_field() -> None:
    """Each top-level key of ModelSpec appears in the commented template (so users see all of them)."""
    text = (ROOT / "templates/model.yaml").read_text()
    for key in json_schema()["properties"]:
        assert f"\n{key}:" in text or text.startswith(f"{key}:") or f"\n# {key}" in text, key


def test_every_schema_field_has_a_description() -> None:
    schema = json_schema()
    for owner, definition in [("ModelSpec", schema), *schema["$defs"].items()]:
        for key, prop in definition.get("properties", {}).items():
            assert prop.get("description"), f"{owner}.{key} has no description"
