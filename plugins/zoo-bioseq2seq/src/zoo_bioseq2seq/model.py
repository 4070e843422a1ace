"""The zoo model: one bioseq2seq or EDC network read from ``model.safetensors`` and ``config.json``.

Outputs, in whatever order model.yaml lists them (spec §1.4), all from the generator logits at the first
decoding step (decoder input ``<s>``):

- ``coding_prob``: P(<PC>) with the softmax over all 28 target tokens (the original ``translate.py``'s);
- ``logit_diff``: S = l_<PC> − l_<NC> on raw logits, the scalar ISM, Taylor and MDIG explain (spec §7);
- ``coding_prob_2class``: sigmoid(S), optional.

:meth:`Bioseq2SeqModel.predict` adds ``class``: the first token of the top beam of class-only decoding, which is the arg-max
over all 28 tokens at that step (the paper's metric rule, spec §1.3): ``PC`` or ``NC``, or the winning
token itself (e.g. ``<unk>``) in the rare case that neither class token wins, so that such a failure stays
visible. Hence ``class == "PC"`` implies ``logit_diff > 0`` and ``class == "NC"`` implies ``logit_diff < 0``.
With the ``full_decode`` option it also adds ``protein`` (the top beam's peptide, empty
for ``<NC>``) and ``beams`` (``label:protein:score|…``, n-best of a beam search, score = exp of the
length-averaged log-probability, not a calibrated probability). ``class`` stays the class-only rule.

Inputs: the one-hot sequence input, ``(N, L, 4)`` padded at the end, and optionally ``tokens``, ``(N, L)``
source-vocabulary ids, which the plugin's dataloader adds to each batch. The network reads an 8-channel one-hot over its source
vocabulary (``<unk> <blank> A C G T N R``): rows with a base go to the A/C/G/T columns; all-zero rows take
their token (N, R or ``<unk>``) and padding ``<blank>``. Without ``tokens`` (a raw array) a sequence ends at
its last non-zero row and all-zero rows before it are N.

Every forward pass sorts its records by length and runs groups of at most ``max_tokens`` padded nucleotides,
each cut to its own longest record, so memory stays bounded for batches, ISM mutants and IG/MDIG paths alike.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import torch
from safetensors.torch import load_file

from zoo_bioseq2seq import DEFAULT_MAX_TOKENS
from zoo_bioseq2seq.dataloader import TOKENS_INPUT
from zoo_bioseq2seq.decoding import MAX_DECODE_LEN, Hypothesis, beam_search, classify, decode_limit
from zoo_bioseq2seq.network import Bioseq2Seq, Bioseq2SeqConfig
from zoo_bioseq2seq.vocab import NC, PAD, PC, SRC_INDEX, TGT_TOKENS
from zoo_core.errors import ExplainError, InputError, ModelSpecError
from zoo_core.model import Batch, ZooModel
from zoo_core.spec import ModelSpec

if TYPE_CHECKING:
    from zoo_bioseq2seq import PrecisionOptions

OUTPUTS = ("coding_prob", "logit_diff", "coding_prob_2class")
LABELS = ("class", "protein", "beams")
N_TOKEN = SRC_INDEX["N"]
BASE_COLUMNS = slice(SRC_INDEX["A"], SRC_INDEX["T"] + 1)  # A C G T are consecutive source ids
T = TypeVar("T")
# more, tighter groups beat fewer padded ones: 0.8 ran 1.47x faster than 0.5 on 1,000 transcripts (throughput.py, one run)
GROUP_LENGTH_RATIO = 0.8


@dataclass(frozen=True)
class InferenceSettings:
    """The optional ``inference`` block of config.json. ``mdig_beta`` None: 0.5 for bioseq2seq, 0.1 for EDC (spec §6.7)."""

    max_tokens: int = DEFAULT_MAX_TOKENS
    beam_size: int = 4
    n_best: int = 4
    max_decode_len: int = MAX_DECODE_LEN
    mdig_beta: float | None = None


def read_config(values: dict[str, Any], *, source: object) -> tuple[Bioseq2SeqConfig, InferenceSettings]:
    """The network config (``Bioseq2SeqConfig.to_dict()`` keys) and inference settings of a config.json.

    Besides the network keys, config.json may hold ``inference`` (see :class:`InferenceSettings`) and a free-form
    ``provenance`` block (data, replicate, training run), which loading ignores.

    Raises
    ------
    ModelSpecError
        An unknown key or a value the config refuses.
    """
    network_keys = {f.name for f in dataclasses.fields(Bioseq2SeqConfig)}
    unknown = sorted(set(values) - network_keys - {"inference", "provenance"})
    if unknown:
        raise ModelSpecError(source, unknown[0], "unknown key in config.json")
    try:
        config = Bioseq2SeqConfig.from_dict({k: v for k, v in values.items() if k in network_keys})
        settings = InferenceSettings(**values.get("inference", {}))
    except (TypeError, ValueError) as e:
        raise ModelSpecError(source, "<config>", str(e)) from None
    return config, settings


class Bioseq2SeqModel(ZooModel):
    """A bioseq2seq or EDC network; see the module docstring for inputs, outputs and added columns."""

    framework = "torch"

    def __init__(self, spec: ModelSpec, weights: dict[str, Path]) -> None:
        super().__init__(spec, weights)
        config_path, weights_path = weights["config.json"], weights["model.safetensors"]
        self.config, self.settings = read_config(json.loads(config_path.read_text()), source=config_path)
        self.max_tokens = self.settings.max_tokens
        self.output_names = [o.name for o in spec.numeric_outputs]
        odd = [n for n in self.output_names if n not in OUTPUTS]
        if odd:
            raise ModelSpecError(spec.name, "outputs", f"{odd[0]!r} is not one of {', '.join(OUTPUTS)}")
        odd = [o.name for o in spec.outputs if not o.numeric_scalar and o.name not in LABELS]
        if odd:
            raise ModelSpecError(spec.name, "outputs", f"{odd[0]!r} is not one of {', '.join(LABELS)}")
        self.sequence_name = spec.sequence_input.name
        self.network = Bioseq2Seq(self.config)
        try:
            self.network.load_state_dict(load_file(str(weights_path)), strict=True)
        except RuntimeError as e:
            raise ModelSpecError(weights_path, "<tensors>", f"do not fit config.json: {str(e).splitlines()[0]}") from None
        # attributions differentiate w.r.t. the input only; parameter gradients would be wasted work
        self.network.eval().requires_grad_(False)
        self.device = torch.device("cpu")

    @property
    def mdig_beta(self) -> float:
        """MDIG's default β: config.json's, else the paper's best, 0.5 for bioseq2seq and 0.1 for EDC."""
        if self.settings.mdig_beta is not None:
            return self.settings.mdig_beta
        return 0.1 if self.config.class_only else 0.5

    def to(self, device: str | None) -> Bioseq2SeqModel:
        self.device = torch.device(device.replace("gpu", "cuda") if device else "cpu")
        self.network.to(self.device)
        return self

    # ---- inputs -----------------------------------------------------------------------------------------------

    def source_onehot(self, inputs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """The network's input: an 8-channel float one-hot ``(N, L, 8)`` over the source vocabulary, and lengths ``(N,)``.

        Columns A, C, G, T equal the sequence input itself (fractions too, as on an IG path), so the gradient
        w.r.t. the ``(N, L, 4)`` input is that w.r.t. these four columns.

        Raises
        ------
        InputError
            A record with no sequence (no non-zero row and no tokens).
        """
        x = np.asarray(inputs[self.sequence_name], np.float32)
        n, width, _ = x.shape
        occupied = np.abs(x).sum(axis=-1) > 0
        tokens = inputs.get(TOKENS_INPUT)
        if tokens is not None and np.shape(tokens) == (n, width):
            ids = np.asarray(tokens).astype(np.int64)
            lengths = (ids != PAD).sum(axis=1)
            # an all-zero row is N in zoo's one-hot even where the token says A/C/G/T (e.g. a masked position)
            special = np.where((ids >= BASE_COLUMNS.start) & (ids < BASE_COLUMNS.stop), N_TOKEN, ids)
        else:
            lengths = np.where(occupied.any(axis=1), width - np.argmax(occupied[:, ::-1], axis=1), 0)
            special = np.full((n, width), N_TOKEN)
        if (lengths == 0).any():
            raise InputError("<inputs>", f"record {int(np.argmin(lengths))} of the batch has no sequence")
        inside = np.arange(width)[None, :] < lengths[:, None]
        x8 = np.zeros((n, width, len(SRC_INDEX)), np.float32)
        x8[..., BASE_COLUMNS] = np.where(inside[..., None], x, 0.0)
        special = np.where(inside, special, PAD)
        rows = ~occupied | ~inside
        x8[rows, special[rows]] = 1.0
        return x8, lengths

    def _groups(self, lengths: np.ndarray, budget: int) -> list[np.ndarray]:
        """Record indices by decreasing length, in groups of at most ``budget`` padded nucleotides.

        A record joins a group only if it is at least ``GROUP_LENGTH_RATIO`` as long as the group's first, so
        padding stays under a fifth of a group's work; a record longer than ``budget`` runs alone.
        """
        groups: list[list[int]] = []
        longest = 0
        for i in np.argsort(-lengths, kind="stable"):
            n = int(lengths[i])
            if not groups or (len(groups[-1]) + 1) * longest > budget or n < GROUP_LENGTH_RATIO * longest:
                groups.append([])
                longest = n
            groups[-1].append(int(i))
        return [np.array(g) for g in groups]

    def _per_group(self, x8: np.ndarray, lengths: np.ndarray, fn: Callable[[torch.Tensor, torch.Tensor], T],
                   budget: int | None = None) -> list[tuple[np.ndarray, T]]:
        """``(indices, fn(x8 group cut to its longest, its lengths))`` for each group of :meth:`_groups`."""
        out = []
        for g in self._groups(lengths, budget or self.max_tokens):
            width = int(lengths[g].max())
            xg = torch.as_tensor(x8[g, :width], device=self.device)
            out.append((g, fn(xg, torch.as_tensor(lengths[g], device=self.device))))
        return out

    # ---- outputs ----------------------------------------------------------------------------------------------

    def logits(self, inputs: dict[str, np.ndarray], precision: str = "float32") -> np.ndarray:
        """Generator logits ``(N, 28)`` at the first decoding step (``precision`` bfloat16: under autocast)."""
        x8, lengths = self.source_onehot(inputs)
        out = np.zeros((len(x8), self.config.tgt_vocab_size), np.float32)
        with torch.no_grad(), self._autocast(precision):
            for g, values in self._per_group(x8, lengths, lambda x, n: classify(self.network, x, n).logits.float().cpu().numpy()):
                out[g] = values
        return out

    def _autocast(self, precision: str) -> torch.autocast:
        if precision == "bfloat16" and self.device.type == "cpu" and not torch.backends.mkldnn.is_available():
            raise InputError("--precision", "bfloat16 needs oneDNN (mkldnn), which this torch build lacks")
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=precision == "bfloat16")

    def predict_on_batch(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return self._numeric(self.logits(inputs))

    def _numeric(self, logits: np.ndarray) -> dict[str, np.ndarray]:
        t = torch.as_tensor(logits)
        return {name: _output(t, name).numpy() for name in self.output_names}

    def predict(self, batch: Batch, options: PrecisionOptions | None = None) -> dict[str, Any]:
        """The numeric outputs and ``class`` from one forward pass; ``protein`` and ``beams`` with ``full_decode``."""
        logits = self.logits(batch.inputs, getattr(options, "precision", "float32"))
        out: dict[str, Any] = self._numeric(logits)
        out["class"] = [class_label(int(t)) for t in logits.argmax(axis=1)]
        if getattr(options, "full_decode", False):
            hypotheses = self.decode(batch.inputs)
            out["protein"] = [hyps[0].protein for hyps in hypotheses]
            out["beams"] = [format_beams(hyps) for hyps in hypotheses]
        return out

    def source_gradient(self, x8: np.ndarray, lengths: np.ndarray, *, output: str = "logit_diff") -> np.ndarray:
        """d ``output`` / d ``x8`` for an 8-channel one-hot ``(N, L, 8)`` (e.g. an MDIG path point); zero past each length."""

        def grad(x: torch.Tensor, n: torch.Tensor) -> np.ndarray:
            x.requires_grad_(True)
            _output(classify(self.network, x, n).logits, output).sum().backward()
            assert x.grad is not None
            return x.grad.cpu().numpy()

        out = np.zeros_like(x8, dtype=np.float32)
        for g, values in self._per_group(x8, lengths, grad):
            out[g, : values.shape[1]] = values
        return out

    def gradient(self, inputs: dict[str, np.ndarray], *, target: str, name: str) -> np.ndarray:
        if name != self.sequence_name:
            raise ExplainError(f"{self.spec.name} is differentiable w.r.t. {self.sequence_name!r} only, not {name!r}")
        self.output_index(target)
        x8, lengths = self.source_onehot(inputs)
        return self.source_gradient(x8, lengths, output=target)[..., BASE_COLUMNS]

    # ---- decoding ---------------------------------------------------------------------------------------------

    def decode(self, inputs: dict[str, np.ndarray]) -> list[list[Hypothesis]]:
        """The n-best hypotheses per record of OpenNMT's beam search (spec §4: beam 4, n_best 4, 400 tokens)."""
        s = self.settings
        x8, lengths = self.source_onehot(inputs)
        out: list[list[Hypothesis]] = [[] for _ in range(len(x8))]
        # every record is decoded by beam_size rows at once, so a group gets a beam_size-th of the budget
        for g, hyps in self._per_group(x8, lengths, lambda x, n: beam_search(
                self.network, x, n, beam_size=s.beam_size, n_best=s.n_best, max_len=decode_limit(n, s.max_decode_len)),
                budget=max(1, self.max_tokens // s.beam_size)):
            for i, h in zip(g, hyps, strict=True):
                out[i] = h
        return out


def _output(logits: torch.Tensor, name: str) -> torch.Tensor:
    """The named output of first-step logits ``(N, 28)``."""
    diff = logits[:, PC] - logits[:, NC]
    if name == "logit_diff":
        return diff
    if name == "coding_prob":
        return torch.softmax(logits, dim=-1)[:, PC]
    if name == "coding_prob_2class":
        return torch.sigmoid(diff)
    raise ExplainError(f"unknown output {name!r}; outputs are {', '.join(OUTPUTS)}")


def class_label(token: int) -> str:
    """``PC`` or ``NC`` for the class tokens; any other winning token as itself (a model failure, kept visible)."""
    return TGT_TOKENS[token].strip("<>") if token in (PC, NC) else TGT_TOKENS[token]


def format_beams(hypotheses: list[Hypothesis]) -> str:
    """``label:protein:score|…``, best first; score = exp(length-averaged log-probability)."""
    return "|".join(f"{h.label.strip('<>')}:{h.protein}:{math.exp(h.score):.4g}" for h in hypotheses)
