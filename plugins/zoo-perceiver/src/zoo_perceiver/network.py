"""The Perceiver networks of Stefanini et al. 2023, in plain PyTorch.

The paper is "Predicting gene and protein expression levels from DNA and protein sequences with Perceiver",
CMPB 234 (2023) 107504. It describes three networks:

- `DNAPerceiver`: promoter DNA and 8 half-life features in, mRNA (or [mRNA, protein]) out;
- `ProteinPerceiver`: amino-acid sequence in, protein level out;
- `DNAProteinPerceiver`: both sequences in, protein level out.

All three share one layout, described in the spec `shared/specs/seed001_perceiver.md` §3 (Fig. 1 of the paper).

- The upper flow is a Perceiver IO encoder. A learned latent array (128 × 128, plus the half-life features tiled on
  every latent when DNA feeds it) reads the embedded sequence through 1-head cross-attention. An 8-head latent
  self-attention follows, with GEGLU feed-forwards after each attention.
- The lower flow is an Enformer-like convolutional tower on the one-hot sequence. Its attention pooling divides the
  length by 12, then 6, then 6. A dense layer turns the flattened tower output (plus the half-life features) into the
  single decoder query.
- The decoder is a cross-attention from that query to the latents. The head reads [decoder output, latent mean].

The spec tags each number. [P] numbers come from the paper. [R] numbers come from the authors' code, which fills in
what the paper leaves out. The comments below cite the spec section for every choice the paper does not state. At
the spec's defaults, the parameter counts equal the spec's own instantiation of the authors' code: 794,557 for
`DNAPerceiver` with 1 output and 636,669 for `ProteinPerceiver` (§3.1, §3.2).

The inputs are one-hot float tensors, not token ids, so that gradient attribution reaches the sequence. The token
embedding is computed as `one_hot @ table`, which gives the same result as the authors' `nn.Embedding` lookup (§2.1:
the paper itself calls the embedding "a linear projection of one-hot").

- DNA is `(N, L, 4)` in channel order A,C,G,T. An all-zero row (N, or padding) is the pad token P and is masked out
  of the cross-attention (§2.1 [choice]).
- Protein is `(N, L, 23)`. Channel 0 is the pad, 1–20 are `ACDEFGHIKLMNPQRSTVWY`, 21 is X (every other ambiguity
  code) and 22 is U (§2.3 [choice]).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

DNA_ALPHABET = "ACGT"
"""The DNA one-hot channel order (spec §2.1 [choice]: A,C,G,T everywhere, as in Xpresso's `promoter` arrays)."""

PROTEIN_CHANNELS: tuple[str, ...] = ("<pad>", *"ACDEFGHIKLMNPQRSTVWY", "X", "U")
"""The 23 protein one-hot channels (spec §2.3 [choice]); channel 0 is the pad, as in the authors' `one_hot(tokens, 23)`."""

HALF_LIFE_FEATURES: tuple[str, ...] = (
    "UTR5LEN", "CDSLEN", "INTRONLEN", "UTR3LEN", "UTR5GC", "CDSGC", "UTR3GC", "ORFEXONDENSITY",
)
"""Xpresso's 8 half-life features in column order (spec §2.2 [X]); the networks only need their number."""


# --------------------------------------------------------------------------------------------------------------------
# helpers


def exponential_linspace_int(start: int, end: int, num: int, divisible_by: int = 1) -> list[int]:
    """Return `num` channel widths on a geometric path from `start` to `end`, each rounded to a multiple of `divisible_by`.

    This is Enformer's rule for the conv-tower widths. For 64 → 32 with num=3 it gives 64, 46, 32 (spec §3.1 B).
    """
    if num < 2:
        return [start]
    base = math.exp(math.log(end / start) / (num - 1))
    return [int(round(start * base**i / divisible_by) * divisible_by) for i in range(num)]


def sinusoid_table(length: int, dim: int) -> torch.Tensor:
    """Return the Vaswani sin/cos table `(length, dim)`: sin in even columns, cos in odd ones.

    The spec (§2.1) says the positional encoding is learnable and initialised with the sinusoidal table. The authors'
    helper `sinusoid_encoding_table` is not in their repository, so this is the standard table of Vaswani et al.
    """
    position = torch.arange(length, dtype=torch.float64).unsqueeze(1)
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float64) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim, dtype=torch.float64)
    table[:, 0::2] = torch.sin(position * freq)
    table[:, 1::2] = torch.cos(position * freq)[:, : dim // 2]
    return table.float()


def pooled_length(length: int, pool_sizes: Sequence[int]) -> int:
    """Return the sequence length after the conv path's attention pools; each pool crops its remainder (spec §3.1 B)."""
    for pool in pool_sizes:
        length //= pool
    return length


def count_parameters(module: nn.Module) -> int:
    """Return the number of trainable parameters (BatchNorm running statistics are buffers, so they are not counted)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


# --------------------------------------------------------------------------------------------------------------------
# Perceiver building blocks (spec §3.1 A and C)


class GEGLU(nn.Module):
    """GELU-gated linear unit: the first half of the features, times GELU of the second half (spec §3.1 A [R])."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        value, gate = x.chunk(2, dim=-1)
        return value * F.gelu(gate)


class FeedForward(nn.Module):
    """Pre-norm GEGLU feed-forward. It returns the update; the caller adds the residual.

    For width 136 and mult 2 this is LayerNorm(136) → Linear(136, 544) → GEGLU (272) → Linear(272, 136) → dropout.
    The paper's "FF dim 256, GELU" is 128 × 2; the authors apply mult 2 to the widened 136 (spec §3.1 A [R]).
    """

    def __init__(self, dim: int, *, mult: int = 2, dropout: float = 0.0) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.proj_in = nn.Linear(dim, dim * mult * 2)
        self.geglu = GEGLU()
        self.proj_out = nn.Linear(dim * mult, dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.proj_out(self.geglu(self.proj_in(self.norm(x)))))


class Attention(nn.Module):
    """Pre-norm multi-head attention. It returns the update; the caller adds the residual.

    Queries come from `x` and keys/values from `context`, which defaults to `x` (self-attention). Both are
    layer-normed: the context gets its own LayerNorm when `context_dim` is given, as in Perceiver IO. q, k and v have
    no bias; the output projection has one. A boolean `mask` `(N, L)` marks the valid keys; dropout acts on the
    attention weights (spec §3.1 A [R]).
    """

    def __init__(
        self,
        query_dim: int,
        *,
        context_dim: int | None = None,
        heads: int = 8,
        dim_head: int = 64,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        inner = heads * dim_head
        self.heads = heads
        self.scale = dim_head**-0.5
        self.norm = nn.LayerNorm(query_dim)
        self.norm_context = nn.LayerNorm(context_dim) if context_dim is not None else None
        kv_dim = context_dim if context_dim is not None else query_dim
        self.to_q = nn.Linear(query_dim, inner, bias=False)
        self.to_kv = nn.Linear(kv_dim, inner * 2, bias=False)
        self.dropout = nn.Dropout(dropout)
        self.to_out = nn.Linear(inner, query_dim)

    def attention_weights(
        self, x: torch.Tensor, context: torch.Tensor | None = None, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the post-softmax weights `(N, heads, Lq, Lk)` (before dropout) and the values `(N, heads, Lk, d)`."""
        x = self.norm(x)
        if context is None:
            context = x
        elif self.norm_context is not None:
            context = self.norm_context(context)
        n, lq, _ = x.shape
        lk = context.shape[1]
        q = self.to_q(x).view(n, lq, self.heads, -1).transpose(1, 2)
        k, v = self.to_kv(context).chunk(2, dim=-1)
        k = k.reshape(n, lk, self.heads, -1).transpose(1, 2)
        v = v.reshape(n, lk, self.heads, -1).transpose(1, 2)
        sim = torch.matmul(q, k.transpose(-1, -2)) * self.scale
        if mask is not None:
            # the authors fill masked logits with -finfo.max, not -inf: an all-pad record then attends uniformly
            # instead of producing NaN (spec §2.1 [R] padding mask)
            sim = sim.masked_fill(~mask[:, None, None, :], -torch.finfo(sim.dtype).max)
        return sim.softmax(dim=-1), v

    def forward(
        self, x: torch.Tensor, context: torch.Tensor | None = None, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        attn, v = self.attention_weights(x, context, mask)
        out = torch.matmul(self.dropout(attn), v)
        n, _, lq, _ = out.shape
        return self.to_out(out.transpose(1, 2).reshape(n, lq, -1))


class LatentEncoder(nn.Module):
    """The Perceiver flow: a learned latent array reads the embedded sequence and then attends to itself.

    Each of the `depth` layers is cross-attention + FF, followed by `self_per_cross_attn` × (self-attention + FF).
    Every sub-block is pre-norm and residual. The spec fixes depth 1 and one self-attention block with no weight tying
    (spec §3.1 A [R]). The latents are N(0, 1)-initialised, 128 × 128 (§3.1 A [P]). `n_extra` per-record features
    (the half-life features) are tiled onto every latent, which widens it to `latent_dim + n_extra` (§2.2 (a) [R]).
    """

    def __init__(
        self,
        *,
        context_dim: int,
        num_latents: int,
        latent_dim: int,
        n_extra: int,
        cross_heads: int,
        cross_dim_head: int,
        latent_heads: int,
        ff_mult: int,
        depth: int,
        self_per_cross_attn: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.latents = nn.Parameter(torch.randn(num_latents, latent_dim))
        self.n_extra = n_extra
        width = latent_dim + n_extra
        self.width = width
        # the self-attention head size comes from the latent size *before* the half-life widening: 128 // 8 = 16,
        # so the inner width stays 128 while the residual stream is 136 (spec §3.1 A [R])
        latent_dim_head = latent_dim // latent_heads
        self.layers = nn.ModuleList()
        for _ in range(depth):
            layer = nn.ModuleDict(
                {
                    "cross_attn": Attention(
                        width, context_dim=context_dim, heads=cross_heads, dim_head=cross_dim_head, dropout=dropout
                    ),
                    "cross_ff": FeedForward(width, mult=ff_mult, dropout=dropout),
                    "self_blocks": nn.ModuleList(
                        nn.ModuleDict(
                            {
                                "attn": Attention(width, heads=latent_heads, dim_head=latent_dim_head, dropout=dropout),
                                "ff": FeedForward(width, mult=ff_mult, dropout=dropout),
                            }
                        )
                        for _ in range(self_per_cross_attn)
                    ),
                }
            )
            self.layers.append(layer)

    def initial_latents(self, batch: int, extra: torch.Tensor | None) -> torch.Tensor:
        """Return the latent array `(N, num_latents, width)` with `extra` `(N, n_extra)` tiled onto every latent."""
        latents = self.latents.unsqueeze(0).expand(batch, -1, -1)
        if self.n_extra:
            assert extra is not None
            tiled = extra.to(latents.dtype).unsqueeze(1).expand(-1, latents.shape[1], -1)
            latents = torch.cat([latents, tiled], dim=-1)
        return latents

    def forward(self, context: torch.Tensor, mask: torch.Tensor, extra: torch.Tensor | None) -> torch.Tensor:
        x = self.initial_latents(context.shape[0], extra)
        for layer in self.layers:
            x = layer["cross_attn"](x, context, mask) + x
            x = layer["cross_ff"](x) + x
            for block in layer["self_blocks"]:
                x = block["attn"](x) + x
                x = block["ff"](x) + x
        return x


class SequenceEmbedding(nn.Module):
    """Token embedding plus a learnable positional table initialised sinusoidally, computed from one-hot input.

    There are `n_content + 1` tokens: token 0 is the pad P and the others follow the one-hot channels. The one-hot
    row `x` embeds as `x @ E[1:] + (1 - sum(x)) · E[0]`. For a one-hot or all-zero row this is exactly the lookup
    `nn.Embedding(n_content + 1, dim)`, so the parameter count is the authors' (DNA: 5 × 32, protein: 23 × 32;
    spec §2.1, §2.3 [R]). Unlike a lookup, it is differentiable with respect to the input.

    When `pad_channel` is true, the input carries the pad as its own channel 0 (the protein one-hot, spec §2.3). That
    channel is ignored here, because an all-zero content row already means "pad".

    Dropout acts on the token embedding before the positions are added (spec §3.1 A [R]). The mask is True where a
    row has content. The positional table is `seq_len × dim` (§2.1 [R]: `sin_learned`).
    """

    def __init__(self, *, n_content: int, dim: int, seq_len: int, pad_channel: bool, dropout: float) -> None:
        super().__init__()
        self.n_content = n_content
        self.pad_channel = pad_channel
        self.token_emb = nn.Embedding(n_content + 1, dim)
        self.pos_emb = nn.Parameter(sinusoid_table(seq_len, dim))
        self.dropout = nn.Dropout(dropout)

    def forward(self, one_hot: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        content = one_hot[..., 1:] if self.pad_channel else one_hot
        table = self.token_emb.weight
        occupancy = content.sum(dim=-1, keepdim=True)
        tokens = content @ table[1:] + (1.0 - occupancy) * table[0]
        x = self.dropout(tokens) + self.pos_emb[: one_hot.shape[1]]
        mask = occupancy.squeeze(-1).detach() > 0.5
        return x, mask


# --------------------------------------------------------------------------------------------------------------------
# Enformer-like convolutional query (spec §3.1 B)


class SigmoidGELU(nn.Module):
    """The sigmoid approximation of GELU, x · sigmoid(1.702 x). Enformer's conv blocks use it (spec §3.1 B [R])."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(1.702 * x) * x


class ConvBlock(nn.Sequential):
    """BatchNorm1d → sigmoid-GELU → Conv1d with 'same' padding (odd kernels), as in Enformer (spec §3.1 B [R])."""

    def __init__(self, dim: int, dim_out: int | None = None, kernel_size: int = 1) -> None:
        super().__init__(
            nn.BatchNorm1d(dim),
            SigmoidGELU(),
            nn.Conv1d(dim, dim_out if dim_out is not None else dim, kernel_size, padding=kernel_size // 2),
        )


class Residual(nn.Module):
    """Add the wrapped module's output to its input."""

    def __init__(self, fn: nn.Module) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x) + x


class AttentionPool(nn.Module):
    """Softmax-weighted pooling over non-overlapping windows of `pool_size` positions.

    The logits are `x` times a learned d × d matrix initialised to the identity. A trailing remainder that does not
    fill a window is cropped, not padded (spec §3.1 B [R]).
    """

    def __init__(self, dim: int, pool_size: int) -> None:
        super().__init__()
        self.pool_size = pool_size
        self.to_attn_logits = nn.Parameter(torch.eye(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, d, length = x.shape
        windows = length // self.pool_size
        x = x[:, :, : windows * self.pool_size]
        logits = torch.einsum("bdn,de->ben", x, self.to_attn_logits)
        x = x.reshape(n, d, windows, self.pool_size)
        weights = logits.reshape(n, d, windows, self.pool_size).softmax(dim=-1)
        return (x * weights).sum(dim=-1)


class ConvQuery(nn.Module):
    """The lower flow. It turns a one-hot sequence (plus optional per-record features) into one `queries_dim` query.

    - Stem: Conv1d(in, 64, 15) → Residual(ConvBlock(64, k=1)) → AttentionPool(`att_pool_size`).
    - Tower: `conv_tower_blocks` blocks with widths `exponential_linspace_int(64, 32, blocks + 1, 2)`, i.e. 64 → 46 →
      32. Each block is ConvBlock(k=5) → Residual(ConvBlock(k=1)) → AttentionPool(`att_pool_size // 2`).
    - Head: flatten, append `n_extra` features, then Linear → ReLU → dropout.

    The input length is fixed, because the flattened size feeds a dense layer. The authors use a `LazyLinear`; here
    the size is computed from `seq_len` (spec §3.1 B [R]).
    """

    def __init__(
        self,
        *,
        in_channels: int,
        seq_len: int,
        n_extra: int,
        queries_dim: int,
        stem_kernel_size: int,
        tower_kernel_size: int,
        conv_tower_blocks: int,
        att_pool_size: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.seq_len = seq_len
        self.n_extra = n_extra
        self.stem = nn.Sequential(
            nn.Conv1d(in_channels, queries_dim, stem_kernel_size, padding=stem_kernel_size // 2),
            Residual(ConvBlock(queries_dim)),
            AttentionPool(queries_dim, pool_size=att_pool_size),
        )
        # widths 64 → 46 → 32: Enformer's halving over the tower, with num = blocks + 1 (spec §3.1 B [R]:
        # num_downsamples=4 → num=3 → 2 blocks)
        widths = exponential_linspace_int(queries_dim, queries_dim // 2, num=conv_tower_blocks + 1, divisible_by=2)
        tower_pool = att_pool_size // 2  # 12 → 6 (DNA), 10 → 5 (protein), spec §3.1 B / §3.2
        self.tower = nn.Sequential(
            *(
                nn.Sequential(
                    ConvBlock(dim_in, dim_out, kernel_size=tower_kernel_size),
                    Residual(ConvBlock(dim_out, dim_out, 1)),
                    AttentionPool(dim_out, pool_size=tower_pool),
                )
                for dim_in, dim_out in itertools.pairwise(widths)
            )
        )
        self.out_length = pooled_length(seq_len, [att_pool_size] + [tower_pool] * conv_tower_blocks)
        if self.out_length < 1:
            raise ValueError(
                f"seq_len={seq_len} is too short for pools {att_pool_size}/{tower_pool}×{conv_tower_blocks}: "
                "the conv tower would leave no positions"
            )
        self.flat_dim = widths[-1] * self.out_length
        self.dense = nn.Linear(self.flat_dim + n_extra, queries_dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, one_hot: torch.Tensor, extra: torch.Tensor | None) -> torch.Tensor:
        x = self.tower(self.stem(one_hot.transpose(1, 2)))
        x = x.flatten(1)
        if self.n_extra:
            assert extra is not None
            # the half-life features join the flattened tower output before the dense projection (spec §2.2 (b))
            x = torch.cat([x, extra.to(x.dtype)], dim=-1)
        return self.dropout(F.relu(self.dense(x)))


# --------------------------------------------------------------------------------------------------------------------
# the shared network


class _PerceiverNet(nn.Module):
    """Perceiver flow, conv query, decoder and head. The public classes below choose its inputs and sizes."""

    def __init__(
        self,
        *,
        perceiver_channels: int,
        perceiver_pad_channel: bool,
        perceiver_len: int,
        perceiver_extra: int,
        conv_channels: int,
        conv_len: int,
        conv_extra: int,
        n_half_life: int,
        n_outputs: int,
        embed_dim: int,
        num_latents: int,
        latent_dim: int,
        cross_heads: int,
        cross_dim_head: int,
        latent_heads: int,
        ff_mult: int,
        depth: int,
        self_per_cross_attn: int,
        queries_dim: int,
        stem_kernel_size: int,
        tower_kernel_size: int,
        conv_tower_blocks: int,
        att_pool_size: int,
        dropout: float,
        tanh: bool,
    ) -> None:
        super().__init__()
        if depth < 1 or self_per_cross_attn < 0:
            raise ValueError("depth must be ≥ 1 and self_per_cross_attn ≥ 0")
        if latent_dim % latent_heads:
            raise ValueError(f"latent_dim={latent_dim} must be divisible by latent_heads={latent_heads}")
        self.n_half_life = n_half_life
        self.n_outputs = n_outputs
        self.tanh = tanh
        self.embedding = SequenceEmbedding(
            n_content=perceiver_channels - (1 if perceiver_pad_channel else 0),
            dim=embed_dim,
            seq_len=perceiver_len,
            pad_channel=perceiver_pad_channel,
            dropout=dropout,
        )
        self.encoder = LatentEncoder(
            context_dim=embed_dim,
            num_latents=num_latents,
            latent_dim=latent_dim,
            n_extra=perceiver_extra,
            cross_heads=cross_heads,
            cross_dim_head=cross_dim_head,
            latent_heads=latent_heads,
            ff_mult=ff_mult,
            depth=depth,
            self_per_cross_attn=self_per_cross_attn,
            dropout=dropout,
        )
        width = self.encoder.width
        self.query = ConvQuery(
            in_channels=conv_channels,
            seq_len=conv_len,
            n_extra=conv_extra,
            queries_dim=queries_dim,
            stem_kernel_size=stem_kernel_size,
            tower_kernel_size=tower_kernel_size,
            conv_tower_blocks=conv_tower_blocks,
            att_pool_size=att_pool_size,
            dropout=dropout,
        )
        # decoder: the single query attends to the processed latents, 1 head of 64, pre-norm on both sides, residual
        # to the query, no dropout and no decoder FF (spec §3.1 C [R]: decoder_ff=False)
        self.decoder = Attention(queries_dim, context_dim=width, heads=cross_heads, dim_head=cross_dim_head)
        # "average" latent head: mean over latents → LayerNorm → Linear(width, queries_dim) (spec §3.1 A [R]:
        # final_perceiver_head=True)
        self.latent_norm = nn.LayerNorm(width)
        self.latent_proj = nn.Linear(width, queries_dim)
        self.to_score = nn.Linear(queries_dim * 2, n_outputs)

    def _half_life(self, half_life: torch.Tensor | None, batch: int) -> torch.Tensor | None:
        if not self.n_half_life:
            if half_life is not None and half_life.shape[-1] != 0:
                raise ValueError("this network takes no half-life features (n_half_life=0)")
            return None
        if half_life is None:
            raise ValueError(f"half_life features (N, {self.n_half_life}) are required")
        if half_life.shape != (batch, self.n_half_life):
            raise ValueError(f"half_life must be ({batch}, {self.n_half_life}), got {tuple(half_life.shape)}")
        return half_life

    def _run(
        self,
        perceiver_input: torch.Tensor,
        conv_input: torch.Tensor,
        perceiver_extra: torch.Tensor | None,
        conv_extra: torch.Tensor | None,
    ) -> torch.Tensor:
        context, mask = self.embedding(perceiver_input)
        latents = self.encoder(context, mask, perceiver_extra)
        query = self.query(conv_input, conv_extra)
        decoded = self.decoder(query.unsqueeze(1), latents).squeeze(1) + query
        pooled = self.latent_proj(self.latent_norm(latents.mean(dim=1)))
        score = self.to_score(torch.cat([decoded, pooled], dim=-1))
        # tanh on the output is optional: the paper uses it for Xpresso mRNA and for mRNA&protein (spec §3.1 C)
        return torch.tanh(score) if self.tanh else score

    def cross_attention_map(
        self, perceiver_input: torch.Tensor, perceiver_extra: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Return the input cross-attention weights `(N, L)`, averaged over heads and latents (spec §9 explain (1)).

        `perceiver_input` is the one-hot the Perceiver flow reads (DNA, or the protein padded to its length) and
        `perceiver_extra` the half-life features tiled onto the latents where this network has them. Each row is a
        mean of softmax rows over the first cross-attention's keys, so it sums to 1; masked positions (N, pad) get 0.
        """
        context, mask = self.embedding(perceiver_input)
        latents = self.encoder.initial_latents(context.shape[0], perceiver_extra)
        attn, _ = self.encoder.layers[0]["cross_attn"].attention_weights(latents, context, mask)
        return attn.mean(dim=(1, 2))


def _check_one_hot(name: str, x: torch.Tensor, channels: int, length: int) -> None:
    if x.dim() != 3 or x.shape[2] != channels:
        raise ValueError(f"{name} must be one-hot (N, L, {channels}), got {tuple(x.shape)}")
    if x.shape[1] != length:
        raise ValueError(f"{name} must be {length} long (the network's fixed window), got {x.shape[1]}")


def _pad_protein(protein: torch.Tensor, length: int) -> torch.Tensor:
    """Pad a protein one-hot `(N, L ≤ length, 23)` to `length` with the pad channel (spec §2.3 [R])."""
    if protein.dim() != 3 or protein.shape[2] != len(PROTEIN_CHANNELS):
        raise ValueError(f"protein must be one-hot (N, L, {len(PROTEIN_CHANNELS)}), got {tuple(protein.shape)}")
    missing = length - protein.shape[1]
    if missing < 0:
        raise ValueError(
            f"protein is {protein.shape[1]} residues long; the network reads at most {length} "
            "(truncate to the first residues first, spec §2.3)"
        )
    if missing == 0:
        return protein
    pad = protein.new_zeros(protein.shape[0], missing, protein.shape[2])
    pad[..., 0] = 1.0
    return torch.cat([protein, pad], dim=1)


# --------------------------------------------------------------------------------------------------------------------
# the three published networks


class DNAPerceiver(_PerceiverNet):
    """DNAPerceiver (spec §3.1): promoter DNA and half-life features in, `n_outputs` expression levels out.

    `forward(dna, half_life)` takes `dna` `(N, seq_len, 4)`, a one-hot A,C,G,T window (all-zero rows are N or
    padding and are masked), and `half_life` `(N, n_half_life)`. It returns `(N, n_outputs)`: 1 output for the
    Xpresso setting (mRNA), 2 for the Lung/Glio setting, in the order [mRNA, protein] (spec §1).

    Keyword arguments (all have the spec's defaults):
        n_outputs: 1 (mRNA) or 2 ([mRNA, protein]) (§1).
        seq_len: the DNA window, 10,500 bp = TSS−7,000…+3,500 (§2.1 [P]).
        n_half_life: 8 half-life features, tiled onto the latents and appended to the conv flatten (§2.2).
        embed_dim: 32, the token embedding and positional table width (§2.1 [R]).
        num_latents, latent_dim: the 128 × 128 latent array (§3.1 A [P]).
        cross_heads, cross_dim_head: 1 head of 64 for the input and decoder cross-attention (§3.1 A [P]/[R]).
        latent_heads: 8 heads of latent_dim // 8 = 16 for the self-attention (§3.1 A [P]/[R]).
        ff_mult: 2, the GEGLU feed-forward multiplier (§3.1 A [R]).
        depth, self_per_cross_attn: 1 and 1, one cross block and one self block, untied (§3.1 A [R]).
        queries_dim: 64, the conv stem width and the decoder query size (§3.1 B [R]).
        stem_kernel_size, tower_kernel_size: 15 and 5 (§3.1 B [R]).
        conv_tower_blocks: 2, widths 64 → 46 → 32 (§3.1 B [R]; the paper's figure says "× N").
        att_pool_size: 12 in the stem, 12 // 2 = 6 in each tower block (§3.1 B [P]).
        dropout: 0.2, the paper's keep probability 0.8 (§3.1 sizes [P]).
        tanh: False, apply tanh to the output. The paper uses it for Xpresso mRNA and for mRNA&protein; the
            authors' default is off (§3.1 C).
    """

    def __init__(
        self,
        *,
        n_outputs: int = 1,
        seq_len: int = 10_500,
        n_half_life: int = len(HALF_LIFE_FEATURES),
        embed_dim: int = 32,
        num_latents: int = 128,
        latent_dim: int = 128,
        cross_heads: int = 1,
        cross_dim_head: int = 64,
        latent_heads: int = 8,
        ff_mult: int = 2,
        depth: int = 1,
        self_per_cross_attn: int = 1,
        queries_dim: int = 64,
        stem_kernel_size: int = 15,
        tower_kernel_size: int = 5,
        conv_tower_blocks: int = 2,
        att_pool_size: int = 12,
        dropout: float = 0.2,
        tanh: bool = False,
    ) -> None:
        super().__init__(
            perceiver_channels=len(DNA_ALPHABET),
            perceiver_pad_channel=False,
            perceiver_len=seq_len,
            perceiver_extra=n_half_life,
            conv_channels=len(DNA_ALPHABET),
            conv_len=seq_len,
            conv_extra=n_half_life,
            n_half_life=n_half_life,
            n_outputs=n_outputs,
            embed_dim=embed_dim,
            num_latents=num_latents,
            latent_dim=latent_dim,
            cross_heads=cross_heads,
            cross_dim_head=cross_dim_head,
            latent_heads=latent_heads,
            ff_mult=ff_mult,
            depth=depth,
            self_per_cross_attn=self_per_cross_attn,
            queries_dim=queries_dim,
            stem_kernel_size=stem_kernel_size,
            tower_kernel_size=tower_kernel_size,
            conv_tower_blocks=conv_tower_blocks,
            att_pool_size=att_pool_size,
            dropout=dropout,
            tanh=tanh,
        )
        self.seq_len = seq_len

    def forward(self, dna: torch.Tensor, half_life: torch.Tensor | None = None) -> torch.Tensor:
        """Predict `(N, n_outputs)` from `dna` `(N, seq_len, 4)` and `half_life` `(N, n_half_life)`."""
        _check_one_hot("dna", dna, len(DNA_ALPHABET), self.seq_len)
        features = self._half_life(half_life, dna.shape[0])
        # the same one-hot feeds both flows: tokens for the Perceiver, channels for the conv query (spec §2.1)
        return self._run(dna, dna, features, features)


class ProteinPerceiver(_PerceiverNet):
    """ProteinPerceiver (spec §3.2): amino-acid sequence in, protein level out.

    `forward(protein)` takes `protein` `(N, L, 23)` with L ≤ `seq_len`. Channel 0 is the pad; the other channels
    follow `PROTEIN_CHANNELS`. Shorter inputs are padded to `seq_len` with the pad channel, and pad rows are masked in
    the cross-attention. The conv path sees all 23 channels, pad included, as in the authors' `one_hot(tokens, 23)`.
    There are no half-life features, so the latents stay 128 wide. The output is `(N, n_outputs)`.

    Keyword arguments (spec defaults; only the ones that differ from `DNAPerceiver` are explained):
        seq_len: 6,000 aa; longer proteins must be truncated to their first 6,000 residues beforehand (§2.3 [P]/[R]).
        att_pool_size: 10 in the stem and 5 in the tower: 6,000 → 600 → 120 → 24 (§3.2 [P]).
        dropout: 0.3, keep probability 0.7 (§3.2 [P]).
        The rest (n_outputs, embed_dim, num_latents, latent_dim, cross_heads, cross_dim_head, latent_heads, ff_mult,
        depth, self_per_cross_attn, queries_dim, kernel sizes, conv_tower_blocks, tanh): as in DNAPerceiver (§3.2:
        "same structure").
    """

    def __init__(
        self,
        *,
        n_outputs: int = 1,
        seq_len: int = 6_000,
        embed_dim: int = 32,
        num_latents: int = 128,
        latent_dim: int = 128,
        cross_heads: int = 1,
        cross_dim_head: int = 64,
        latent_heads: int = 8,
        ff_mult: int = 2,
        depth: int = 1,
        self_per_cross_attn: int = 1,
        queries_dim: int = 64,
        stem_kernel_size: int = 15,
        tower_kernel_size: int = 5,
        conv_tower_blocks: int = 2,
        att_pool_size: int = 10,
        dropout: float = 0.3,
        tanh: bool = False,
    ) -> None:
        super().__init__(
            perceiver_channels=len(PROTEIN_CHANNELS),
            perceiver_pad_channel=True,
            perceiver_len=seq_len,
            perceiver_extra=0,
            conv_channels=len(PROTEIN_CHANNELS),
            conv_len=seq_len,
            conv_extra=0,
            n_half_life=0,
            n_outputs=n_outputs,
            embed_dim=embed_dim,
            num_latents=num_latents,
            latent_dim=latent_dim,
            cross_heads=cross_heads,
            cross_dim_head=cross_dim_head,
            latent_heads=latent_heads,
            ff_mult=ff_mult,
            depth=depth,
            self_per_cross_attn=self_per_cross_attn,
            queries_dim=queries_dim,
            stem_kernel_size=stem_kernel_size,
            tower_kernel_size=tower_kernel_size,
            conv_tower_blocks=conv_tower_blocks,
            att_pool_size=att_pool_size,
            dropout=dropout,
            tanh=tanh,
        )
        self.seq_len = seq_len

    def forward(self, protein: torch.Tensor) -> torch.Tensor:
        """Predict `(N, n_outputs)` from `protein` `(N, L ≤ seq_len, 23)`."""
        protein = _pad_protein(protein, self.seq_len)
        return self._run(protein, protein, None, None)


class DNAProteinPerceiver(_PerceiverNet):
    """DNA&ProteinPerceiver (spec §3.3): promoter DNA, protein sequence and half-life features in, protein level out.

    One sequence feeds the Perceiver flow and the other the conv query. `perceiver_input` picks the arrangement:
    - "dna" (Supp. Fig. S3, the authors' default): DNA tokens go to the Perceiver and the half-life features are
      tiled onto the latents (width 136). The protein one-hot (23 channels) goes to the conv query.
    - "protein" (Supp. Fig. S2): protein tokens go to the Perceiver (latents stay 128). The DNA one-hot goes to the
      conv query, and the half-life features are appended to its flatten.

    `forward(dna, protein, half_life)` takes `dna` `(N, dna_len, 4)`, `protein` `(N, L ≤ protein_len, 23)` (padded
    as in `ProteinPerceiver`) and `half_life` `(N, n_half_life)`. It returns `(N, n_outputs)`.

    Keyword arguments (spec defaults; the rest as in DNAPerceiver):
        perceiver_input: "dna" or "protein". The paper does not say which arrangement produced its Table 6. "dna" is
            the authors' script default (§3.3 [R]).
        dna_len: 8,000 bp = TSS−5,000…+3,000 (§3.3 [P], window [R]).
        protein_len: 6,000 aa (§2.3).
        att_pool_size: 12 (tower 6), because the paper says "same hyperparameters as DNAPerceiver unless
            specified" (§3.3 [P]). The authors' script default is 10 (tower 5). The spec's parameter counts for this
            network (635,325 for "protein", 732,285 for "dna") are at 10.
        dropout: 0.2, as DNAPerceiver (§3.3 [P] and the authors' script default).
    """

    def __init__(
        self,
        *,
        perceiver_input: str = "dna",
        n_outputs: int = 1,
        dna_len: int = 8_000,
        protein_len: int = 6_000,
        n_half_life: int = len(HALF_LIFE_FEATURES),
        embed_dim: int = 32,
        num_latents: int = 128,
        latent_dim: int = 128,
        cross_heads: int = 1,
        cross_dim_head: int = 64,
        latent_heads: int = 8,
        ff_mult: int = 2,
        depth: int = 1,
        self_per_cross_attn: int = 1,
        queries_dim: int = 64,
        stem_kernel_size: int = 15,
        tower_kernel_size: int = 5,
        conv_tower_blocks: int = 2,
        att_pool_size: int = 12,
        dropout: float = 0.2,
        tanh: bool = False,
    ) -> None:
        if perceiver_input not in ("dna", "protein"):
            raise ValueError(f"perceiver_input must be 'dna' or 'protein', got {perceiver_input!r}")
        dna_first = perceiver_input == "dna"
        super().__init__(
            perceiver_channels=len(DNA_ALPHABET) if dna_first else len(PROTEIN_CHANNELS),
            perceiver_pad_channel=not dna_first,
            perceiver_len=dna_len if dna_first else protein_len,
            # the half-life features go wherever the DNA goes (spec §0, §3.3 [R])
            perceiver_extra=n_half_life if dna_first else 0,
            conv_channels=len(PROTEIN_CHANNELS) if dna_first else len(DNA_ALPHABET),
            conv_len=protein_len if dna_first else dna_len,
            conv_extra=0 if dna_first else n_half_life,
            n_half_life=n_half_life,
            n_outputs=n_outputs,
            embed_dim=embed_dim,
            num_latents=num_latents,
            latent_dim=latent_dim,
            cross_heads=cross_heads,
            cross_dim_head=cross_dim_head,
            latent_heads=latent_heads,
            ff_mult=ff_mult,
            depth=depth,
            self_per_cross_attn=self_per_cross_attn,
            queries_dim=queries_dim,
            stem_kernel_size=stem_kernel_size,
            tower_kernel_size=tower_kernel_size,
            conv_tower_blocks=conv_tower_blocks,
            att_pool_size=att_pool_size,
            dropout=dropout,
            tanh=tanh,
        )
        self.perceiver_input = perceiver_input
        self.dna_len = dna_len
        self.protein_len = protein_len

    def forward(
        self, dna: torch.Tensor, protein: torch.Tensor, half_life: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Predict `(N, n_outputs)` from `dna` `(N, dna_len, 4)`, `protein` `(N, L ≤ protein_len, 23)`, `half_life`."""
        _check_one_hot("dna", dna, len(DNA_ALPHABET), self.dna_len)
        protein = _pad_protein(protein, self.protein_len)
        if protein.shape[0] != dna.shape[0]:
            raise ValueError(f"dna and protein batches differ: {dna.shape[0]} vs {protein.shape[0]}")
        features = self._half_life(half_life, dna.shape[0])
        if self.perceiver_input == "dna":
            return self._run(dna, protein, features, None)
        return self._run(protein, dna, None, features)
