"""zoo-xpresso: Xpresso promoter → mRNA level models (human and mouse median expression).

Importing this module imports no framework: models are registered from their model.yaml and
built on first use by :class:`zoo_xpresso.model.XpressoModel`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from zoo_core import hookimpl

MODELS_DIR = Path(__file__).parent / "models"


@hookimpl
def register_models(register: Callable[..., None]) -> None:
    for spec in sorted(MODELS_DIR.glob("*/model.yaml")):
        register(spec, "zoo_xpresso.model:XpressoModel")
