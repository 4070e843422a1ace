"""bioseq2seq and EDC (Valencia & Hendrix 2023) in PyTorch: an LFNet encoder and a Transformer decoder.

The network follows the authors' OpenNMT-py fork (spec §3; ``encoders/fnet.py``, ``decoders/transformer.py``,
``bin/models.py::make_hybrid_seq2seq``) layer for layer, so that the published weights can be loaded by
renaming keys (:func:`from_original_state_dict`), and its parameter count is the spec's: 3,872,940 for
bioseq2seq, 19,204,892 for EDC-large, counting each complex filter entry once, as ``Tensor.numel`` does.

- Encoder: token embedding × √d + sinusoidal position, N LFNet layers, LayerNorm (eps 1e-12).
- LFNet layer (§3.1): LayerNorm -> zero the padding -> STFT (Hann window W, hop W//2, centred, zero
  padded) -> × one learned complex filter per (frequency, hidden channel), the same for every window
  -> soft-shrink(λ) on real and imaginary parts -> inverse STFT -> LayerNorm -> feed-forward with its own
  pre-LayerNorm and residual -> dropout -> outer residual.
- Decoder: OpenNMT pre-LN Transformer layers (masked self-attention with relative position embeddings
  clipped at ±8, encoder-decoder attention, feed-forward), final LayerNorm (eps 1e-6), Linear(d, 28).

One deliberate difference from the original code: the STFT of a padded batch keeps, for every transcript,
only the frames that transcript has on its own, and normalises the overlap-add by that transcript's own
window envelope. The original ran torchaudio on the padded batch, so frames past a transcript's end leaked
into its last W/2 positions (spec §3.1 caveat) and predictions depended on the batch. Here a transcript in
any batch gives what the original gives for it alone (batch size 1, how the authors ran attribution).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, cast

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from zoo_bioseq2seq.vocab import PAD, SRC_TOKENS, TGT_TOKENS

MASK_FILL = -1e18  # OpenNMT's score for masked keys; exp() of it is exactly 0 in float32


@dataclass(frozen=True)
class Bioseq2SeqConfig:
    """Every size of the network. Defaults are the paper's bioseq2seq (spec §3.3).

    ``d_ff`` is used by the encoder and the decoder alike, as in the original. ``dropout`` is the model's
    dropout (feed-forward, residual branches and decoder self-attention); the encoder-decoder attention
    always used 0.1 (``attention_dropout``). ``class_only`` marks an EDC model, whose targets are the class
    token alone; the network itself is identical. ``lr_warmup_steps`` is the Noam warm-up the paper's
    models were trained with, kept here so a checkpoint's config says how it was made.
    """

    n_enc_layers: int = 12
    n_dec_layers: int = 2
    model_dim: int = 64
    d_ff: int = 2048
    heads: int = 8
    window_size: int = 250
    lambd_l1: float = 0.004
    dropout: float = 0.2
    attention_dropout: float = 0.1
    max_relative_positions: int = 8
    src_vocab_size: int = len(SRC_TOKENS)
    tgt_vocab_size: int = len(TGT_TOKENS)
    class_only: bool = False
    lr_warmup_steps: int = 2000

    def __post_init__(self) -> None:
        if self.model_dim % 2:
            raise ValueError(f"model_dim must be even for the sinusoidal position encoding, got {self.model_dim}")
        if self.model_dim % self.heads:
            raise ValueError(f"model_dim {self.model_dim} is not divisible by heads {self.heads}")
        if self.window_size < 2:
            raise ValueError(f"window_size must be at least 2, got {self.window_size}")
        if self.lambd_l1 < 0:
            raise ValueError(f"lambd_l1 must be >= 0, got {self.lambd_l1}")

    @classmethod
    def bioseq2seq(cls, **changes: Any) -> Bioseq2SeqConfig:
        """The paper's bioseq2seq: LFNet 12 layers, decoder 2, d 64, W 250, λ 0.004, dropout 0.2."""
        return dataclasses.replace(cls(), **changes)

    @classmethod
    def edc_large(cls, **changes: Any) -> Bioseq2SeqConfig:
        """EDC with its own tuned hyperparameters: 16 + 16 layers, d 128, W 200, λ 0.011, dropout 0.1."""
        return dataclasses.replace(cls(n_enc_layers=16, n_dec_layers=16, model_dim=128, window_size=200, lambd_l1=0.011,
                                       dropout=0.1, class_only=True, lr_warmup_steps=4000), **changes)

    @classmethod
    def edc_small(cls, **changes: Any) -> Bioseq2SeqConfig:
        """EDC trained with bioseq2seq's hyperparameters."""
        return dataclasses.replace(cls(class_only=True), **changes)

    def scaled(self, **changes: Any) -> Bioseq2SeqConfig:
        """A variant of this config, e.g. ``cfg.scaled(n_enc_layers=4, d_ff=256)`` for CPU training."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Bioseq2SeqConfig:
        return cls(**values)


PRESETS = {"bioseq2seq": Bioseq2SeqConfig.bioseq2seq, "edc_large": Bioseq2SeqConfig.edc_large,
           "edc_small": Bioseq2SeqConfig.edc_small}


def padding_mask(lengths: Tensor, max_len: int) -> Tensor:
    """(B, max_len) bool, True on padding."""
    return torch.arange(max_len, device=lengths.device)[None, :] >= lengths[:, None]


def pad_sequences(seqs: list[list[int]], pad: int = PAD) -> tuple[Tensor, Tensor]:
    """Right-padded (B, L) long tensor and the (B,) lengths."""
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    out = torch.full((len(seqs), int(lengths.max())), pad, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = torch.as_tensor(s, dtype=torch.long)
    return out, lengths


def sinusoidal_encoding(length: int, dim: int, start: int = 0, device: torch.device | None = None) -> Tensor:
    """(length, dim) sin/cos position encoding of positions start … start+length-1.

    Computed on demand with OpenNMT's float32 formula, so values equal the original's 5000-row buffer
    where that exists and extend it beyond 5000 nt (the original's hard cap).
    """
    position = torch.arange(start, start + length, device=device).unsqueeze(1).float()
    div_term = torch.exp(torch.arange(0, dim, 2, dtype=torch.float, device=device) * -(math.log(10000.0) / dim))
    pe = torch.zeros(length, dim, device=device)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe


class PositionwiseFeedForward(nn.Module):
    """OpenNMT's feed-forward: x + Dropout(W2(Dropout(ReLU(W1(LayerNorm(x)))))), LayerNorm eps 1e-6."""

    def __init__(self, d_model: int, d_ff: int, dropout: float) -> None:
        super().__init__()
        self.w_1 = nn.Linear(d_model, d_ff)
        self.w_2 = nn.Linear(d_ff, d_model)
        self.layer_norm = nn.LayerNorm(d_model, eps=1e-6)
        self.dropout_1 = nn.Dropout(dropout)
        self.dropout_2 = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        inter = self.dropout_1(F.relu(self.w_1(self.layer_norm(x))))
        return self.dropout_2(self.w_2(inter)) + x


class LocalFilterLayer(nn.Module):
    """One LFNet layer (spec §3.1). Parameter names are the original's ``LocalFilterEncoderLayer``'s."""

    window: Tensor

    def __init__(self, d_model: int, d_ff: int, window_size: int, lambd: float, dropout: float) -> None:
        super().__init__()
        self.window_size = window_size
        self.hop = window_size // 2
        self.lambd = lambd
        self.input_norm = nn.LayerNorm(d_model, eps=1e-12)
        # one complex weight per (frequency bin, hidden channel), shared by all STFT windows
        self.global_filter = nn.Parameter(torch.randn(window_size // 2 + 1, d_model, dtype=torch.cfloat) * 0.02)
        self.feed_forward_norm = nn.LayerNorm(d_model, eps=1e-12)
        self.feed_forward = PositionwiseFeedForward(d_model, d_ff, dropout)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("window", torch.hann_window(window_size), persistent=False)

    def n_frames(self, lengths: Tensor) -> Tensor:
        """STFT frames of a signal of each length on its own (centred, padded by W//2 on both sides)."""
        w = self.window_size
        return 1 + (lengths + 2 * (w // 2) - w) // self.hop

    def stft(self, x: Tensor) -> Tensor:
        """(B, L, d) -> (B, d, F, T) complex; torchaudio ``Spectrogram(n_fft=W, power=None, pad_mode='constant')``."""
        b, length, d = x.shape
        spec = torch.stft(x.transpose(1, 2).reshape(b * d, length), n_fft=self.window_size, hop_length=self.hop,
                          win_length=self.window_size, window=self.window, center=True, pad_mode="constant",
                          normalized=False, onesided=True, return_complex=True)
        return spec.reshape(b, d, *spec.shape[-2:])

    def istft(self, spec: Tensor, valid: Tensor, length: int) -> Tensor:
        """Inverse of :meth:`stft` (B, d, F, T) -> (B, L, d), normalised per transcript.

        Same as ``torch.istft(..., center=True, length=L)``, except that the window-square envelope is
        summed over each transcript's valid frames only (``valid``, (B, T) bool). Frames past a transcript's
        end are zero, so the overlap-add then equals that of the transcript STFT'd on its own.
        """
        n = spec.shape[-1]
        w = self.window_size
        total = w + self.hop * (n - 1)
        frames = torch.fft.irfft(spec, n=w, dim=2) * self.window[:, None]  # (B, d, W, T)
        weights = (self.window.square()[None, :, None] * valid[:, None, :].to(frames.dtype))  # (B, W, T)
        start = w // 2
        signal = self.overlap_add(frames, total)[:, :, start : start + length]
        envelope = self.overlap_add(weights[:, None], total)[:, :, start : start + length]
        # past a transcript's end the envelope can be 0; 1 there keeps the (later masked) values and their
        # gradients finite
        envelope = torch.where(envelope > 1e-11, envelope, torch.ones_like(envelope))
        return (signal / envelope).transpose(1, 2)

    def overlap_add(self, frames: Tensor, total: int) -> Tensor:
        """(B, C, W, T) frames at hop ``self.hop`` -> (B, C, total) summed signal.

        With hop W/2 each output block of W/2 samples is the first half of one frame plus the second half of
        the previous one: two shifted adds instead of ``F.fold`` (col2im), several times faster on CPU.
        """
        b, c, w, n = frames.shape
        if w != 2 * self.hop:
            out = F.fold(frames.reshape(b * c, w, n), output_size=(1, total), kernel_size=(1, w), stride=(1, self.hop))
            return out.reshape(b, c, total)
        first = F.pad(frames[:, :, : self.hop], (0, 1))  # frame k's first half goes to block k
        second = F.pad(frames[:, :, self.hop :], (1, 0))  # frame k's second half goes to block k + 1
        return (first + second).transpose(2, 3).reshape(b, c, total)

    def mix_tokens(self, x: Tensor, lengths: Tensor) -> Tensor:
        """The filter path: STFT -> × filter -> soft-shrink -> inverse STFT. ``x`` must be zero past lengths."""
        spec = self.stft(x)
        valid = torch.arange(spec.shape[-1], device=x.device)[None, :] < self.n_frames(lengths)[:, None]
        spec = spec * self.global_filter.T[None, :, :, None]
        spec = torch.view_as_complex(F.softshrink(torch.view_as_real(spec), self.lambd))
        spec = spec.masked_fill(~valid[:, None, None, :], 0)
        return self.istft(spec, valid, x.shape[1])

    def forward(self, x: Tensor, pad_mask: Tensor, lengths: Tensor) -> Tensor:
        """(B, L, d) -> (B, L, d); ``pad_mask`` (B, L, 1) True on padding, where the input passes unchanged."""
        h = self.input_norm(x).masked_fill(pad_mask, 0.0)
        mixed = self.feed_forward_norm(self.mix_tokens(h, lengths))
        return x + self.dropout(self.feed_forward(mixed)).masked_fill(pad_mask, 0.0)


class LFNetEncoder(nn.Module):
    """Embeddings, N LFNet layers, final LayerNorm. Output (B, L, d)."""

    def __init__(self, config: Bioseq2SeqConfig) -> None:
        super().__init__()
        self.model_dim = config.model_dim
        self.embedding = nn.Embedding(config.src_vocab_size, config.model_dim, padding_idx=PAD)
        self.fnet = nn.ModuleList(
            LocalFilterLayer(config.model_dim, config.d_ff, config.window_size, config.lambd_l1, config.dropout)
            for _ in range(config.n_enc_layers))
        self.layer_norm = nn.LayerNorm(config.model_dim, eps=1e-12)

    def embed(self, src: Tensor) -> Tensor:
        """Token ids (B, L), or a float one-hot (B, L, V) so attributions can differentiate w.r.t. the input."""
        emb = src @ self.embedding.weight if src.is_floating_point() else self.embedding(src)
        pe = sinusoidal_encoding(emb.shape[1], self.model_dim, device=emb.device)
        return emb * math.sqrt(self.model_dim) + pe

    def forward(self, src: Tensor, lengths: Tensor) -> Tensor:
        out = self.embed(src)
        pad_mask = padding_mask(lengths, out.shape[1])[:, :, None]
        for layer in self.fnet:
            out = layer(out, pad_mask, lengths)
        return self.layer_norm(out)


class MultiHeadedAttention(nn.Module):
    """OpenNMT multi-head attention, optionally with Shaw et al. relative positions (self-attention only).

    Relative position embeddings (2·max+1 rows of size d/heads) are added to the keys and, weighted by the
    attention, to the values; the same table serves both, as in the original.
    """

    def __init__(self, heads: int, model_dim: int, dropout: float, max_relative_positions: int = 0) -> None:
        super().__init__()
        self.heads = heads
        self.dim_per_head = model_dim // heads
        self.linear_keys = nn.Linear(model_dim, model_dim)
        self.linear_values = nn.Linear(model_dim, model_dim)
        self.linear_query = nn.Linear(model_dim, model_dim)
        self.final_linear = nn.Linear(model_dim, model_dim)
        self.dropout = nn.Dropout(dropout)
        self.max_relative_positions = max_relative_positions
        if max_relative_positions > 0:
            self.relative_positions_embeddings = nn.Embedding(2 * max_relative_positions + 1, self.dim_per_head)

    def _split_heads(self, x: Tensor) -> Tensor:
        b, n, _ = x.shape
        return x.view(b, n, self.heads, self.dim_per_head).transpose(1, 2)

    def keys_values(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Projected keys and values (B, heads, n, d/heads) of ``x``, computed once and cached when decoding."""
        return self._split_heads(self.linear_keys(x)), self._split_heads(self.linear_values(x))

    def forward(self, query: Tensor, keys: Tensor, values: Tensor, mask: Tensor | None,
                query_start: int = 0) -> Tensor:
        """Attend ``query`` (B, q, d) to projected keys/values; returns the output (B, q, d).

        ``mask`` (bool, True = blocked) broadcasts to (B, 1, q, k). ``query_start`` is the position of the
        first query among the keys, which relative positions need when decoding one step at a time.
        """
        b, n_query, _ = query.shape
        q = self._split_heads(self.linear_query(query)) / math.sqrt(self.dim_per_head)
        if self.max_relative_positions == 0:
            # encoder-decoder attention: the fused kernel never holds the (B, h, q, k) weights, which for a 3 kb
            # transcript and its protein are most of a training step's memory traffic (and its dropout mask)
            context = F.scaled_dot_product_attention(
                q, keys, values, attn_mask=None if mask is None else ~mask.unsqueeze(1),
                dropout_p=self.dropout.p if self.training else 0.0, scale=1.0)
        else:
            context = self._relative_attention(q, keys, values, mask, query_start)
        context = context.transpose(1, 2).reshape(b, n_query, self.heads * self.dim_per_head)
        return self.final_linear(context)

    def _relative_attention(self, q: Tensor, keys: Tensor, values: Tensor, mask: Tensor | None,
                            query_start: int) -> Tensor:
        """Shaw et al.: relative position embeddings added to the keys and, weighted by the attention, to the values."""
        n_query = q.shape[2]
        q_pos = torch.arange(query_start, query_start + n_query, device=q.device)
        k_pos = torch.arange(keys.shape[2], device=q.device)
        distance = (k_pos[None, :] - q_pos[:, None]).clamp(-self.max_relative_positions, self.max_relative_positions)
        relations = self.relative_positions_embeddings(distance + self.max_relative_positions)  # (q, k, d/h)
        scores = q @ keys.transpose(2, 3) + torch.einsum("bhqc,qkc->bhqk", q, relations)
        if mask is not None:
            scores = scores.masked_fill(mask.unsqueeze(1), MASK_FILL)
        dropped = self.dropout(torch.softmax(scores, dim=-1))
        return dropped @ values + torch.einsum("bhqk,qkc->bhqc", dropped, relations)


@dataclass
class LayerCache:
    """Keys and values a decoder layer reuses when decoding step by step."""

    memory_keys: Tensor
    memory_values: Tensor
    self_keys: Tensor | None = None
    self_values: Tensor | None = None


class TransformerDecoderLayer(nn.Module):
    """Pre-LN decoder layer of OpenNMT: self-attention, encoder-decoder attention, feed-forward."""

    def __init__(self, config: Bioseq2SeqConfig) -> None:
        super().__init__()
        d = config.model_dim
        self.self_attn = MultiHeadedAttention(config.heads, d, config.dropout, config.max_relative_positions)
        self.context_attn = MultiHeadedAttention(config.heads, d, config.attention_dropout)
        self.feed_forward = PositionwiseFeedForward(d, config.d_ff, config.dropout)
        self.layer_norm_1 = nn.LayerNorm(d, eps=1e-6)
        self.layer_norm_2 = nn.LayerNorm(d, eps=1e-6)
        self.drop = nn.Dropout(config.dropout)

    def forward(self, x: Tensor, memory_kv: tuple[Tensor, Tensor], src_mask: Tensor, self_mask: Tensor | None,
                cache: LayerCache | None = None, start: int = 0) -> Tensor:
        """``x`` (B, t, d) target states from position ``start``; returns the new states."""
        normed = self.layer_norm_1(x)
        keys, values = self.self_attn.keys_values(normed)
        if cache is not None:
            if cache.self_keys is not None and cache.self_values is not None:
                keys = torch.cat([cache.self_keys, keys], dim=2)
                values = torch.cat([cache.self_values, values], dim=2)
            cache.self_keys, cache.self_values = keys, values
        attended = self.self_attn(normed, keys, values, self_mask, query_start=start)
        query = self.drop(attended) + x
        mid = self.context_attn(self.layer_norm_2(query), *memory_kv, src_mask)
        return self.feed_forward(self.drop(mid) + query)


@dataclass
class DecoderState:
    """Incremental decoding state: encoder padding mask, per-layer caches, next target position."""

    src_mask: Tensor
    caches: list[LayerCache]
    step: int = 0

    def reorder(self, index: Tensor) -> None:
        """Keep rows ``index`` (beam search: follow back-pointers, drop finished transcripts)."""
        self.src_mask = self.src_mask.index_select(0, index)
        for cache in self.caches:
            for name in ("memory_keys", "memory_values", "self_keys", "self_values"):
                value = getattr(cache, name)
                if value is not None:
                    setattr(cache, name, value.index_select(0, index))


class TransformerDecoder(nn.Module):
    """Target embeddings × √d + sinusoidal position, N decoder layers, final LayerNorm (eps 1e-6)."""

    def __init__(self, config: Bioseq2SeqConfig) -> None:
        super().__init__()
        self.model_dim = config.model_dim
        self.embedding = nn.Embedding(config.tgt_vocab_size, config.model_dim, padding_idx=PAD)
        self.transformer_layers = nn.ModuleList(TransformerDecoderLayer(config) for _ in range(config.n_dec_layers))
        self.layer_norm = nn.LayerNorm(config.model_dim, eps=1e-6)

    @property
    def layers(self) -> list[TransformerDecoderLayer]:
        return cast(list[TransformerDecoderLayer], list(self.transformer_layers))

    def embed(self, tgt: Tensor, start: int = 0) -> Tensor:
        pe = sinusoidal_encoding(tgt.shape[1], self.model_dim, start=start, device=tgt.device)
        return self.embedding(tgt) * math.sqrt(self.model_dim) + pe

    def forward(self, tgt: Tensor, memory: Tensor, src_lengths: Tensor) -> Tensor:
        """Teacher-forced pass: ``tgt`` (B, T) from ``<s>`` -> states (B, T, d)."""
        n = tgt.shape[1]
        src_mask = padding_mask(src_lengths, memory.shape[1])[:, None, :]
        future = torch.ones(n, n, dtype=torch.bool, device=tgt.device).triu(1)
        self_mask = (tgt == PAD)[:, None, :] | future[None]
        out = self.embed(tgt)
        for layer in self.layers:
            out = layer(out, layer.context_attn.keys_values(memory), src_mask, self_mask)
        return self.layer_norm(out)

    def start(self, memory: Tensor, src_lengths: Tensor) -> DecoderState:
        """State for :meth:`step`, with the encoder-decoder keys/values computed once."""
        src_mask = padding_mask(src_lengths, memory.shape[1])[:, None, :]
        caches = [LayerCache(*layer.context_attn.keys_values(memory)) for layer in self.layers]
        return DecoderState(src_mask, caches)

    def step(self, tokens: Tensor, state: DecoderState) -> Tensor:
        """Feed one token per row (B,) at position ``state.step``; returns the states (B, d)."""
        out = self.embed(tokens[:, None], start=state.step)
        for layer, cache in zip(self.layers, state.caches, strict=True):
            # a single query may see every cached key: the causal mask is implicit
            out = layer(out, (cache.memory_keys, cache.memory_values), state.src_mask, None, cache, state.step)
        state.step += 1
        return self.layer_norm(out)[:, 0]


class Bioseq2Seq(nn.Module):
    """LFNet encoder + Transformer decoder + generator. bioseq2seq and EDC share it; only the targets differ.

    ``forward`` returns raw generator logits (the log-softmax is the caller's): the interpretation scalar
    S = l_<PC> − l_<NC> is defined on unnormalised logits (spec §7).
    """

    def __init__(self, config: Bioseq2SeqConfig | None = None) -> None:
        super().__init__()
        self.config = config or Bioseq2SeqConfig()
        self.encoder = LFNetEncoder(self.config)
        self.decoder = TransformerDecoder(self.config)
        self.generator = nn.Linear(self.config.model_dim, self.config.tgt_vocab_size)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """The original's initialisation: Xavier-uniform on every parameter with ≥ 2 dimensions.

        That includes the complex filters (real and imaginary parts drawn alike), the embedding tables and
        their padding rows; biases and LayerNorms keep PyTorch's defaults.
        """
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def encode(self, src: Tensor, lengths: Tensor) -> Tensor:
        return self.encoder(src, lengths)

    def forward(self, src: Tensor, lengths: Tensor, tgt_in: Tensor) -> Tensor:
        """Teacher forcing: ``tgt_in`` is the target without its last token -> logits (B, T, V)."""
        states = self.decoder(tgt_in, self.encode(src, lengths), lengths)
        return self.generator(states)

    def start_decoding(self, memory: Tensor, lengths: Tensor) -> DecoderState:
        return self.decoder.start(memory, lengths)

    def decode_step(self, tokens: Tensor, state: DecoderState) -> Tensor:
        """Logits (B, V) of the next token after ``tokens`` (B,)."""
        return self.generator(self.decoder.step(tokens, state))


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters, a complex entry counted once (the spec's convention)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def sequence_loss(logits: Tensor, tgt_out: Tensor) -> Tensor:
    """The training loss (spec §4): summed token NLL, padding ignored, divided by the number of sequences."""
    nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1), ignore_index=PAD, reduction="sum")
    return nll / tgt_out.shape[0]


_ORIGINAL_PREFIXES = (
    ("encoder.embeddings.make_embedding.emb_luts.0.", "encoder.embedding."),
    ("decoder.embeddings.make_embedding.emb_luts.0.", "decoder.embedding."),
)
_ORIGINAL_BUFFERS = (".pe.pe", ".stft.window", ".inv_stft.window")


def from_original_state_dict(model_state: dict[str, Tensor], generator_state: dict[str, Tensor]) -> dict[str, Tensor]:
    """State dict for :class:`Bioseq2Seq` from an OpenNMT checkpoint's ``model`` and ``generator`` entries.

    Layer parameters already carry the original names; only the embedding tables and the generator move,
    and the original's fixed buffers (position table, STFT windows) are dropped as this model computes them.
    """
    out: dict[str, Tensor] = {}
    for key, value in model_state.items():
        if key.endswith(_ORIGINAL_BUFFERS):
            continue
        for old, new in _ORIGINAL_PREFIXES:
            if key.startswith(old):
                key = new + key[len(old):]
        out[key] = value
    out.update({"generator." + key.removeprefix("proj."): value for key, value in generator_state.items()})
    return out
