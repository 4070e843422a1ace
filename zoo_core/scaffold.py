"""`zoo init NAME`: scaffold a plugin from the templates that installs and passes `zoo test`."""

from __future__ import annotations

import importlib.util
import re
from importlib.resources import files
from pathlib import Path

import numpy as np

from zoo_core.errors import InputError
from zoo_core.spec import MODEL_ID, load_spec
from zoo_core.weights import sha256sum

EXAMPLE_LENGTH = 200
KERNEL, FILTERS = 8, 16


def _render(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], text)


def init_plugin(name: str, dest: str | Path = ".", *, seed: int = 0) -> Path:
    """Create ``dest/zoo-NAME/``: pyproject, package, model.yaml, model card, seeded weights, example, expected.

    Returns the plugin folder.

    Raises
    ------
    InputError
        Bad model id, or the folder already exists.
    """
    if not re.match(MODEL_ID, name):
        raise InputError(name, "model id must be lower case letters, digits, '.', '_' or '-'")
    dist, package = f"zoo-{name}", "zoo_" + re.sub(r"[^a-z0-9_]", "_", name)
    root = Path(dest) / dist
    if root.exists():
        raise InputError(root, "already exists; choose another name or folder")
    values = {
        "name": name, "dist": dist, "package": package, "description": f"{name}: describe what it predicts.",
        "author": "Your Name", "citation_text": "Author A. Title. Journal (year).", "doi": "10.0000/replace-me",
        "organism": "Homo sapiens", "task": "sequence -> score", "length": str(EXAMPLE_LENGTH),
        "repo_id": f"your-org/{name}", "sha256": "",
    }
    tpl = files("zoo_core.templates")
    model_dir = root / "src" / package / "models" / name
    model_dir.mkdir(parents=True)
    (root / "pyproject.toml").write_text(_render(tpl.joinpath("plugin", "pyproject.toml.tmpl").read_text(), values))
    (root / "README.md").write_text(_render(tpl.joinpath("plugin", "README.md").read_text(), values))
    for rel in ("__init__.py", "model.py"):
        src = tpl.joinpath("plugin", "src", "__package__", f"{rel}.tmpl").read_text()
        (root / "src" / package / rel).write_text(_render(src, values))
    (model_dir / "example.fa").write_text(tpl.joinpath("plugin", "example.fa").read_text())
    (model_dir / "README.md").write_text(_render(tpl.joinpath("plugin", "model_card.md").read_text(), values))

    from safetensors.numpy import save_file

    rng = np.random.default_rng(seed)
    save_file({
        "conv.kernel": rng.normal(0, 0.5, (KERNEL, 4, FILTERS)).astype(np.float32),
        "conv.bias": rng.normal(0, 0.1, FILTERS).astype(np.float32),
        "dense.kernel": rng.normal(0, 1.0, (FILTERS, 1)).astype(np.float32),
        "dense.bias": np.zeros(1, np.float32),
    }, model_dir / "model.safetensors")
    values["sha256"] = sha256sum(model_dir / "model.safetensors")
    (model_dir / "model.yaml").write_text(_render(tpl.joinpath("model.yaml").read_text(), values))
    _write_expected(model_dir, root / "src" / package / "model.py")
    return root


def _write_expected(model_dir: Path, model_py: Path) -> None:
    """Run the fresh model on its example so `zoo test` has a baseline to guard."""
    from zoo_core.dataloaders import dna_window

    spec = load_spec(model_dir / "model.yaml")
    mod_spec = importlib.util.spec_from_file_location(f"_zoo_scaffold_{spec.name}", model_py)
    assert mod_spec and mod_spec.loader
    module = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(module)
    model = module.Model(spec, {"model.safetensors": model_dir / "model.safetensors"})
    lines = ["id\tscore\tlabel"]
    for batch in dna_window(spec, [model_dir / "example.fa"]):
        out = model.predict(batch)
        for rid, y, label in zip(batch.ids, out["score"], out["label"], strict=True):
            lines.append(f"{rid}\t{float(y):.8g}\t{label}")
    (model_dir / "expected.tsv").write_text("\n".join(lines) + "\n")
