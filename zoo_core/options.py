"""Options a plugin declares for its dataloader or its model, and how the core checks and shows them.

A plugin declares its options once, as a subclass of :class:`Options` (pydantic, unknown keys refused):

    class TranscriptOptions(Options):
        gff: Path | None = Field(None, description="GFF3/GTF annotation: cut transcripts from --genome.")

and passes it when it registers the dataloader or the model. The core turns each field into a CLI flag
after the model name (``--gff``), lists it in ``zoo info`` and ``--help``, and validates the same names
as keyword arguments of ``Model.predict``. Generic options (``--genome``, ``--batch-size``, ``--device``,
``--weights-dir``, ``-q``) belong to the core and may not be redeclared.

:func:`describe` reduces an options class to plain JSON (name, type, default, help), which is what the
registry cache stores, so ``--help`` never imports a plugin.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from zoo_core.errors import InputError

CORE_OPTIONS = frozenset({"genome", "batch_size", "device", "weights_dir", "quiet", "output", "method", "target",
                          "png_dir", "inputs", "model_id", "help"})


class Options(BaseModel):
    """Base class of plugin options: typed fields with a default and a ``description`` (the help text)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _base_type(annotation: Any) -> Any:
    """The annotation without ``None`` (``Path | None`` → ``Path``)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def describe(cls: type[Options] | None) -> list[dict[str, Any]]:
    """JSON description of each option: ``name``, ``type`` (path, bool, int, float, str or choice),
    ``choices``, ``default``, ``required`` and ``help``."""
    if cls is None:
        return []
    out = []
    for name, field in cls.model_fields.items():
        base = _base_type(field.annotation)
        choices = None
        if typing.get_origin(base) is Literal:
            kind, choices = "choice", [str(c) for c in typing.get_args(base)]
        elif isinstance(base, type) and issubclass(base, Path):
            kind = "path"
        elif base in (bool, int, float):
            kind = base.__name__
        else:
            kind = "str"
        default = None if field.is_required() else field.get_default(call_default_factory=True)
        out.append({"name": name, "type": kind, "choices": choices,
                    "default": str(default) if isinstance(default, Path) else default,
                    "required": field.is_required(), "help": field.description or ""})
    return out


def check_names(cls: type[Options] | None, owner: str) -> None:
    """Refuse an options class that redeclares a core option.

    Raises
    ------
    ValueError
        Naming the option and its owner.
    """
    if cls is None:
        return
    if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
        raise ValueError(f"{owner}: options must be a subclass of zoo_core.options.Options")
    clash = sorted(set(cls.model_fields) & CORE_OPTIONS)
    if clash:
        raise ValueError(f"{owner}: option '{clash[0]}' is a core option and cannot be redeclared")


def flag(name: str) -> str:
    """The CLI spelling of an option name."""
    return "--" + name.replace("_", "-")


def validate(model_id: str, classes: list[type[Options] | None], given: dict[str, Any]) -> list[Options | None]:
    """Split ``given`` (``None`` = not given) over ``classes`` and validate each part.

    Raises
    ------
    InputError
        An unknown option (naming it and the valid ones) or a value of the wrong type.
    """
    given = {k: v for k, v in given.items() if v is not None}
    known = {n: c for c in classes if c is not None for n in c.model_fields}
    unknown = sorted(set(given) - set(known))
    if unknown:
        valid = ", ".join(flag(n) for n in known) or "none besides the core ones"
        raise InputError("<options>", f"model {model_id} has no option {flag(unknown[0])}; its options: {valid}")
    out: list[Options | None] = []
    for cls in classes:
        if cls is None:
            out.append(None)
            continue
        mine = {k: v for k, v in given.items() if k in cls.model_fields}
        try:
            out.append(cls.model_validate(mine))
        except ValidationError as e:
            err = e.errors()[0]
            name = str(err["loc"][0]) if err["loc"] else "?"
            raise InputError("<options>", f"option {flag(name)}: {err['msg']} (got {mine.get(name)!r})") from None
    return out
