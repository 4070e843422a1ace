"""zoo: a plugin model zoo for sequence → expression models.

>>> import zoo
>>> [m.name for m in zoo.list_models()]
>>> zoo.get_model("xpresso-human-median").predict("promoters.fa")

Importing ``zoo`` loads no plugin, framework or data; names resolve on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Model", "__version__", "get_model", "list_models"]

if TYPE_CHECKING:
    from zoo_core.api import Model, get_model, list_models


def __getattr__(name: str) -> Any:
    if name in {"Model", "get_model", "list_models"}:
        from zoo_core import api

        return getattr(api, name)
    raise AttributeError(f"module 'zoo' has no attribute {name!r}")
