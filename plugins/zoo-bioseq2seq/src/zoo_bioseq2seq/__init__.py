"""zoo-bioseq2seq: bioseq2seq and EDC (Valencia & Hendrix 2023), RNA -> class token (+ protein) with an LFNet encoder.

Importing this module imports no framework. Models are registered from ``models/*/model.yaml`` (the shipped
``bioseq2seq-4layer`` and ``edc-4layer``, aliases ``bioseq2seq`` and ``edc``) and built on first use by
``zoo_bioseq2seq.model.Bioseq2SeqModel``. The network is in :mod:`zoo_bioseq2seq.network`, inference in
:mod:`zoo_bioseq2seq.decoding`, the vocabularies in :mod:`zoo_bioseq2seq.vocab`, the ``transcripts``
dataloader in :mod:`zoo_bioseq2seq.dataloader` and MDIG attributions in :mod:`zoo_bioseq2seq.mdig`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from zoo_core import hookimpl

MODELS_DIR = Path(__file__).parent / "models"
DEFAULT_MAX_TOKENS = 20_000  # padded nucleotides per window and per forward pass


def transcripts(spec: Any, sources: Any, *, batch_size: int = 32, max_tokens: int = DEFAULT_MAX_TOKENS,
                full_decode: bool = False) -> Iterator[Any]:
    """See :func:`zoo_bioseq2seq.dataloader.transcripts` (imported on first use: it needs numpy).

    The options are spelled out so that a CLI option this dataloader does not take is refused by name.
    """
    from zoo_bioseq2seq.dataloader import transcripts as impl

    return impl(spec, sources, batch_size=batch_size, max_tokens=max_tokens, full_decode=full_decode)


@hookimpl
def register_models(register: Callable[..., None]) -> None:
    for spec in sorted(MODELS_DIR.glob("*/model.yaml")):
        register(spec, "zoo_bioseq2seq.model:Bioseq2SeqModel")


@hookimpl
def register_dataloaders(register: Callable[[str, Callable[..., Any]], None]) -> None:
    register("transcripts", transcripts)
