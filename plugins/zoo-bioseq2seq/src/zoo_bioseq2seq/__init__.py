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
from typing import Any, Literal

from pydantic import Field

from zoo_core import hookimpl
from zoo_core.options import Options

MODELS_DIR = Path(__file__).parent / "models"
DEFAULT_MAX_TOKENS = 20_000  # padded nucleotides per window and per forward pass


class TranscriptsOptions(Options):
    max_tokens: int = Field(DEFAULT_MAX_TOKENS, ge=1,
                            description="Nucleotides per window of records read together (bounds memory).")


class PrecisionOptions(Options):
    precision: Literal["float32", "bfloat16"] = Field(
        "float32", description="Arithmetic of the class scores. bfloat16 runs the network under autocast: on a CPU "
                               "with AVX512-BF16 the paper-size encoder ran 2.1x faster, bioseq2seq-4layer 1.0-1.3x; "
                               "CPUs without it are slower. On the two test splits it changed 5 of 1,011 calls of "
                               "bioseq2seq-4layer (see the README).")


class Bioseq2SeqOptions(PrecisionOptions):
    full_decode: bool = Field(
        False, description="Also beam-decode the protein: adds 'protein' (top beam, empty for NC) and 'beams' "
                           "(label:protein:score|..., 4 best). Slow: one decoding step per amino acid.")


def transcripts(spec: Any, sources: Any, *, batch_size: int = 32, genome: Any = None,
                options: TranscriptsOptions | None = None, **model_args: Any) -> Iterator[Any]:
    """See :func:`zoo_bioseq2seq.dataloader.transcripts` (imported on first use: it needs numpy)."""
    from zoo_bioseq2seq.dataloader import transcripts as impl
    from zoo_core.errors import InputError

    if genome is not None:
        raise InputError(genome, f"{spec.name} reads transcripts from FASTA or sequences; it takes no --genome")
    max_tokens = options.max_tokens if options else DEFAULT_MAX_TOKENS
    # model_args: model.yaml's dataloader.args (training_range: the lengths the model was trained on)
    return impl(spec, sources, batch_size=batch_size, max_tokens=max_tokens, **model_args)


def mdig_attributions(*args: Any, **kwargs: Any) -> Any:
    """Mutation-directed integrated gradients (the paper's attribution; :func:`zoo_bioseq2seq.mdig.explainer`)."""
    from zoo_bioseq2seq.mdig import explainer

    return explainer(*args, **kwargs)


@hookimpl
def register_models(register: Callable[..., None]) -> None:
    for spec in sorted(MODELS_DIR.glob("*/model.yaml")):
        # EDC models are class-only: there is no protein to decode, so they take no --full-decode
        decodes = not spec.parent.name.startswith("edc")
        register(spec, "zoo_bioseq2seq.model:Bioseq2SeqModel", options=Bioseq2SeqOptions if decodes else PrecisionOptions)


@hookimpl
def register_dataloaders(register: Callable[..., None]) -> None:
    register("transcripts", transcripts, options=TranscriptsOptions)


@hookimpl
def register_explainers(register: Callable[..., None]) -> None:
    register("mdig", mdig_attributions, doc="mutation-directed integrated gradients (Valencia & Hendrix 2023, Eq. 4), 32 steps",
             passes=lambda length: 4 * 32)
