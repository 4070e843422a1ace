"""zoo-bioseq2seq: bioseq2seq and EDC (Valencia & Hendrix 2023), RNA -> class token (+ protein) with an LFNet encoder.

Importing this module imports no framework. Models are registered from ``models/*/model.yaml`` and built
on first use by ``zoo_bioseq2seq.model.Bioseq2SeqModel``; no model ships yet (none until weights exist),
so nothing is registered. The network is in :mod:`zoo_bioseq2seq.network`, inference in
:mod:`zoo_bioseq2seq.decoding`, the vocabularies in :mod:`zoo_bioseq2seq.vocab`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from zoo_core import hookimpl

MODELS_DIR = Path(__file__).parent / "models"


@hookimpl
def register_models(register: Callable[..., None]) -> None:
    for spec in sorted(MODELS_DIR.glob("*/model.yaml")):
        register(spec, "zoo_bioseq2seq.model:Bioseq2SeqModel")
