"""Write model.yaml from a validated :class:`~zoo_core.spec.ModelSpec`, never by editing its text.

Packaging scripts and ``zoo publish`` build or update a spec in Python (``load_spec`` →
``model_copy(update=...)``) and hand it to :func:`write_spec`, which dumps it canonically and checks
that the file reads back as the same spec before it replaces the old one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from zoo_core.errors import ModelSpecError
from zoo_core.spec import ModelSpec, load_spec
from zoo_core.weights import sha256sum

WIDTH = 100
FOLD_AT = 80  # strings longer than this are written as folded '>-' blocks, like the hand-written files


class _Dumper(yaml.SafeDumper):
    """Block style with indented sequences (``  - name:``), as in the committed model.yaml files."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = ">" if len(value) > FOLD_AT and "\n" not in value and value == value.strip() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    # short lists of scalars (aliases, methods, example inputs, a baseline) read best on one line
    flow = all(isinstance(v, (str, int, float, bool)) for v in value) and len(repr(value)) <= 60
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(list, _list)


def spec_to_dict(spec: ModelSpec) -> dict[str, Any]:
    """The keys model.yaml needs: defaults are left out, except ``weights.revision``, whose null says "unpublished"."""
    # python mode, not json: dataloader args may have integer keys (Xpresso's crop: {20000: 3000}) that
    # json mode would turn into strings, and the file would then no longer load as the same spec
    data = spec.model_dump(mode="python", exclude_defaults=True)
    weights = spec.weights.model_dump(mode="python", exclude_defaults=True)
    data["weights"] = {k: (weights[k] if k in weights else None) for k in type(spec.weights).model_fields
                       if k in weights or k == "revision"}
    return data


def spec_to_yaml(spec: ModelSpec) -> str:
    """model.yaml text of ``spec``: field order of :class:`ModelSpec`, block style, long strings folded."""
    return yaml.dump(spec_to_dict(spec), Dumper=_Dumper, sort_keys=False, width=WIDTH, allow_unicode=True,
                     default_flow_style=False)


def write_spec(spec: ModelSpec, path: str | Path) -> Path:
    """Write ``spec`` to ``path`` as model.yaml, replacing the file only once it reloads as the same spec.

    Raises
    ------
    ModelSpecError
        The written text does not load back (through :func:`zoo_core.spec.load_spec`) as ``spec``.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(spec_to_yaml(spec))
    try:
        again = load_spec(tmp)
        if again.model_dump() != spec.model_dump():
            raise ModelSpecError(path, "<root>", "the YAML written does not reload as the same spec")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def pin_weights(spec: ModelSpec, folder: str | Path) -> ModelSpec:
    """``spec`` with the sha256 of each listed weights file recomputed from ``folder``.

    The pinned hub revision is kept only while every digest is unchanged: new weights are not what
    that commit holds, so they are unpublished (revision null) until ``zoo publish`` uploads them.

    Raises
    ------
    FileNotFoundError
        A listed weights file is missing from ``folder``.
    """
    folder = Path(folder)
    files = [f.model_copy(update={"sha256": sha256sum(folder / f.name)}) for f in spec.weights.files]
    update: dict[str, Any] = {"files": files}
    if files != spec.weights.files:
        update["revision"] = None
    return spec.model_copy(update={"weights": spec.weights.model_copy(update=update)})
