"""Inference: the class-token score (spec §1.3, §1.4, §7), greedy decoding and OpenNMT's beam search.

The model must be in eval mode (``model.eval()``) for deterministic results; these functions do not
switch modes themselves. ``classify`` keeps the autograd graph so attributions (Taylor, IG, MDIG) can
differentiate S w.r.t. a one-hot input; the decoders run without gradients.

Beam search reproduces OpenNMT-py's ``BeamSearch`` with ``GNMTGlobalScorer(alpha=0, beta=0,
length_penalty="avg")`` as the authors ran it (beam 4, n_best 4): candidates are ranked by cumulative
log-probability divided by the current length counting ``<s>``, a finished hypothesis keeps that score,
and a transcript is done once its best candidate has ended and ``n_best`` hypotheses were collected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.nn import functional as F

from zoo_bioseq2seq.network import Bioseq2Seq, pad_sequences
from zoo_bioseq2seq.vocab import BOS, EOS, NC, PAD, PC, TGT_TOKENS, encode_rna, split_prediction

MAX_DECODE_LEN = 400  # the authors' full-decoding limit; class-only inference used 1


def encode_batch(seqs: Sequence[str]) -> tuple[Tensor, Tensor]:
    """Token ids (B, L) and lengths (B,) of nucleotide strings (normalised, ``U`` read as ``T``)."""
    return pad_sequences([encode_rna(s) for s in seqs])


@dataclass(frozen=True)
class ClassScores:
    """Generator logits at the first decoding step (decoder input ``<s>``), (B, 28)."""

    logits: Tensor

    @property
    def logit_diff(self) -> Tensor:
        """S = l_<PC> − l_<NC> on raw logits, the scalar of ISM, Taylor and MDIG (spec §7)."""
        return self.logits[:, PC] - self.logits[:, NC]

    @property
    def coding_prob(self) -> Tensor:
        """P(<PC>) with the softmax over all 28 tokens, the original ``translate.py``'s ``coding_prob``."""
        return torch.softmax(self.logits, dim=-1)[:, PC]

    @property
    def coding_prob_2class(self) -> Tensor:
        """P(<PC>) / (P(<PC>) + P(<NC>)) = sigmoid(S)."""
        return torch.sigmoid(self.logit_diff)

    @property
    def top_token(self) -> Tensor:
        """The first token of the top beam: the arg-max over all tokens, normally <PC> or <NC>."""
        return self.logits.argmax(dim=-1)

    def labels(self) -> list[str]:
        return [TGT_TOKENS[int(t)] for t in self.top_token]


def classify(model: Bioseq2Seq, src: Tensor, lengths: Tensor) -> ClassScores:
    """One encoder pass and one decoder step from ``<s>``: the paper's class-only inference.

    ``src`` is token ids (B, L) or a float one-hot (B, L, 8) for gradients w.r.t. the input.
    """
    memory = model.encode(src, lengths)
    state = model.start_decoding(memory, lengths)
    bos = torch.full((memory.shape[0],), BOS, dtype=torch.long, device=memory.device)
    return ClassScores(model.decode_step(bos, state))


@dataclass(frozen=True)
class Hypothesis:
    """A decoded target: ``tokens`` after ``<s>``, ending with ``</s>`` unless the length limit was hit."""

    tokens: tuple[int, ...]
    log_prob: float  # summed log-probability of the tokens
    score: float  # log_prob / (len(tokens) + 1): OpenNMT's "avg" length penalty, which counts <s>

    @property
    def finished(self) -> bool:
        return bool(self.tokens) and self.tokens[-1] == EOS

    @property
    def label(self) -> str:
        return split_prediction(self.tokens)[0]

    @property
    def protein(self) -> str:
        """The peptide after ``<PC>``; empty for ``<NC>``."""
        return split_prediction(self.tokens)[1]


def _hypothesis(tokens: list[int], log_prob: float) -> Hypothesis:
    return Hypothesis(tuple(tokens), log_prob, log_prob / (len(tokens) + 1))


@torch.no_grad()
def decode_limit(lengths: Tensor, floor: int = MAX_DECODE_LEN) -> int:
    """Tokens to decode for these transcripts: ``floor`` (the authors' 400), or more where a transcript can hold a
    longer protein (its length / 3 + the class token and ``</s>``), so a 3 kb mRNA's protein is never cut at 398."""
    return max(floor, int(lengths.max()) // 3 + 2)


def greedy_decode(model: Bioseq2Seq, src: Tensor, lengths: Tensor, *, max_len: int = MAX_DECODE_LEN) -> list[Hypothesis]:
    """Arg-max decoding until ``</s>`` or ``max_len`` tokens, one hypothesis per transcript."""
    memory = model.encode(src, lengths)
    state = model.start_decoding(memory, lengths)
    batch = memory.shape[0]
    tokens = torch.full((batch,), BOS, dtype=torch.long, device=memory.device)
    log_prob = torch.zeros(batch, device=memory.device)
    done = torch.zeros(batch, dtype=torch.bool, device=memory.device)
    steps = []
    for _ in range(max_len):
        best, tokens = F.log_softmax(model.decode_step(tokens, state), dim=-1).max(dim=-1)
        log_prob += best.masked_fill(done, 0.0)
        # finished rows keep decoding (cheaper than re-batching); their tokens are discarded as padding
        tokens = tokens.masked_fill(done, PAD)
        steps.append(tokens)
        done |= tokens == EOS
        if bool(done.all()):
            break
    out = []
    for row, lp in zip(torch.stack(steps, dim=1).tolist(), log_prob.tolist(), strict=True):
        end = row.index(EOS) + 1 if EOS in row else len(row)
        out.append(_hypothesis(row[:end], lp))
    return out


@torch.no_grad()
def beam_search(model: Bioseq2Seq, src: Tensor, lengths: Tensor, *, beam_size: int = 4, n_best: int = 4,
                max_len: int = MAX_DECODE_LEN) -> list[list[Hypothesis]]:
    """The ``n_best`` best hypotheses per transcript, best first (spec §4: beam 4, n_best 4)."""
    if not 1 <= n_best <= beam_size:
        raise ValueError(f"need 1 <= n_best <= beam_size, got n_best={n_best}, beam_size={beam_size}")
    k = beam_size
    memory = model.encode(src, lengths)
    device = memory.device
    state = model.start_decoding(memory.repeat_interleave(k, dim=0), lengths.repeat_interleave(k))
    batch = memory.shape[0]
    alive = torch.full((batch * k, 1), BOS, dtype=torch.long, device=device)
    # only the first beam is live at the start, so the first step's k candidates all extend one <s>
    cum = torch.tensor([0.0] + [float("-inf")] * (k - 1), device=device).repeat(batch)
    owners = list(range(batch))  # transcript of each group of k rows still decoding
    top_finished = torch.zeros(batch, dtype=torch.bool)
    found: list[list[Hypothesis]] = [[] for _ in range(batch)]
    results: list[list[Hypothesis]] = [[] for _ in range(batch)]
    beam_rows = torch.arange(k, device=device)
    for step in range(1, max_len + 1):
        log_probs = F.log_softmax(model.decode_step(alive[:, -1], state), dim=-1)
        vocab = log_probs.shape[-1]
        penalty = step + 1  # current length counting <s> and the token chosen now
        scores = ((log_probs + cum[:, None]) / penalty).view(len(owners), k * vocab)
        top_scores, top_ids = scores.topk(k, dim=-1)
        origin = (top_ids // vocab + k * torch.arange(len(owners), device=device)[:, None]).view(-1)
        alive = torch.cat([alive[origin], (top_ids % vocab).view(-1, 1)], dim=1)
        state.reorder(origin)
        cum = (top_scores * penalty).view(-1)
        finished = (top_ids % vocab == EOS).cpu()
        if step == max_len:
            finished[:] = True
        top_finished |= finished[:, 0]
        keep = []
        for g, b in enumerate(owners):
            for j in finished[g].nonzero().flatten().tolist():
                row = g * k + j
                found[b].append(Hypothesis(tuple(alive[row, 1:].tolist()), float(cum[row]), float(top_scores[g, j])))
            if top_finished[g] and len(found[b]) >= n_best:
                results[b] = sorted(found[b], key=lambda h: h.score, reverse=True)[:n_best]
            else:
                keep.append(g)
        # a finished beam stays in place but can no longer win a slot
        cum = cum.masked_fill(finished.view(-1).to(device), -1e10)
        if not keep:
            break
        if len(keep) < len(owners):
            groups = torch.tensor(keep, device=device)
            rows = (groups[:, None] * k + beam_rows).view(-1)
            alive, cum = alive[rows], cum[rows]
            state.reorder(rows)
            top_finished = top_finished[groups.cpu()]
            owners = [owners[g] for g in keep]
    return results
