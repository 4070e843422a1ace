"""Commands that take a model id followed by that model's own options (``zoo predict``, ``zoo explain``).

The model's options are read from the catalog (no plugin import) when the arguments are parsed, and become
ordinary flags: ``zoo predict ptr-cnn-athaliana genes.fa --<option> …``; ``zoo predict MODEL --help`` lists
them with their help.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


def flag(name: str) -> str:
    """The CLI spelling of an option name (as :func:`zoo_core.options.flag`, without importing pydantic)."""
    return "--" + name.replace("_", "-")


_TYPES: dict[str, Any] = {"path": click.Path(path_type=Path), "int": int, "float": float, "str": str}


def option_param(o: dict[str, Any]) -> click.Option:
    """A click option for one entry of :func:`zoo_core.options.describe`."""
    name = o["name"]
    decl = flag(name)
    kwargs: dict[str, Any] = {"help": o["help"] or None, "required": o["required"]}
    if o["type"] == "bool":
        if o["default"]:
            return click.Option([f"{decl}/--no-{decl[2:]}", name], default=None, show_default=False, **kwargs)
        return click.Option([decl, name], is_flag=True, default=None, **kwargs)
    if o["type"] == "choice":
        kwargs["type"] = click.Choice(o["choices"])
    else:
        kwargs["type"] = _TYPES[o["type"]]
    if o["default"] is not None:
        kwargs["help"] = f"{kwargs['help'] or ''} [default: {o['default']}]".strip()
    return click.Option([decl, name], default=None, **kwargs)


def _choose_method(param: click.Parameter, methods: list[str]) -> click.Parameter:
    """``--method`` restricted to the attribution methods this model's model.yaml lists (the first is the default)."""
    if param.name != "method" or not methods or not isinstance(param, click.Option):
        return param
    return click.Option([*param.opts, "method"], type=click.Choice(methods), default=methods[0], show_default=True,
                        help="Attribution method of this model.")


class ModelCommand(click.Command):
    """A command whose first argument is a model id and whose flags include that model's options."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.core_params = list(self.params)
        self.model_options: list[str] = []
        self.model_id: str | None = None

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        self.params = list(self.core_params)
        self.model_options = []
        model_id = args[0] if args and not args[0].startswith("-") else None
        self.model_id = model_id
        if model_id is not None:
            from zoo_core.catalog import load_catalog

            root = ctx.find_root().command
            catalog = load_catalog(set(getattr(root, "commands", {})))
            entry = catalog.get(model_id)  # an unknown id stops here, with a suggestion
            options = entry["options"]
            methods = entry["spec"].get("explain", {}).get("methods", [])
            self.params = [_choose_method(p, methods) for p in self.params]
            self.params += [option_param(o) for o in options]
            self.model_options = [o["name"] for o in options]
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as e:
            if model_id is None:
                raise
            valid = ", ".join(flag(n) for n in self.model_options) or "none"
            raise click.UsageError(f"model {model_id} has no option {e.option_name}; its own options: {valid} "
                                   f"(`zoo {self.name} {model_id} --help`)", ctx) from None

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        core, own = [], []
        for p in self.get_params(ctx):
            record = p.get_help_record(ctx)
            if record:
                (own if p.name in self.model_options else core).append(record)
        with formatter.section("Options"):
            formatter.write_dl(core)
        if own:
            with formatter.section(f"Options of {self.model_id}"):
                formatter.write_dl(own)

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_help_text(ctx, formatter)
        if not self.model_options:
            formatter.write_paragraph()
            formatter.write_text(f"`zoo {self.name} MODEL --help` also lists MODEL's own options.")


def split_options(params: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """The model's own options out of a command's parsed parameters (``None`` = not given)."""
    return {n: params.pop(n) for n in names if n in params}
