"""The Perceiver networks: spec §3 parameter counts, shapes, batch independence, and gradients to the input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from torch import nn
from zoo_perceiver.network import (
    DNA_ALPHABET,
    PROTEIN_CHANNELS,
    DNAPerceiver,
    DNAProteinPerceiver,
    ProteinPerceiver,
    count_parameters,
    exponential_linspace_int,
)


@pytest.fixture(autouse=True)
def _two_threads() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def _dna(n: int, length: int, seed: int = 0, n_fraction: float = 0.02) -> torch.Tensor:
    """Random one-hot A,C,G,T `(n, length, 4)`, with a few all-zero (N) rows."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, len(DNA_ALPHABET), (n, length), generator=g)
    x = nn.functional.one_hot(idx, len(DNA_ALPHABET)).float()
    x[torch.rand(n, length, generator=g) < n_fraction] = 0.0
    return x


def _protein(lengths: list[int], padded_to: int, seed: int = 0) -> torch.Tensor:
    """Random protein one-hot `(len(lengths), padded_to, 23)`; residues in channels 1–22, pad channel 0 after each end."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(1, len(PROTEIN_CHANNELS), (len(lengths), padded_to), generator=g)
    for row, length in enumerate(lengths):
        idx[row, length:] = 0
    return nn.functional.one_hot(idx, len(PROTEIN_CHANNELS)).float()


def _half_life(n: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, 8, generator=torch.Generator().manual_seed(seed))


def _model(cls: type[nn.Module], seed: int = 0, **kwargs: object) -> nn.Module:
    torch.manual_seed(seed)
    return cls(**kwargs).eval()


# --------------------------------------------------------------------------------------------------------------------
# (1) parameter counts: spec §3.1, §3.2, §3.3 (the acceptance numbers)


def test_dnaperceiver_parameter_count() -> None:
    assert count_parameters(DNAPerceiver()) == 794_557
    assert count_parameters(DNAPerceiver(n_outputs=2)) == 794_686


def test_proteinperceiver_parameter_count() -> None:
    assert count_parameters(ProteinPerceiver()) == 636_669


def test_dnaproteinperceiver_parameter_counts_at_the_authors_pool_10() -> None:
    # spec §3.3 instantiated the authors' script default att_pool_size=10; the default here is the paper's 12
    assert count_parameters(DNAProteinPerceiver(perceiver_input="protein", att_pool_size=10)) == 635_325
    assert count_parameters(DNAProteinPerceiver(perceiver_input="dna", att_pool_size=10)) == 732_285


def test_dnaperceiver_component_breakdown() -> None:
    # spec §3.1 "Sizes": positional table 336,000, token embedding 160, perceiver layers 315,872, stem 12,288,
    # tower 28,892, dense query 49,728, decoder cross-attention 26,064, latent head 9,040
    m = DNAPerceiver()
    assert m.embedding.pos_emb.numel() == 10_500 * 32 == 336_000
    assert m.embedding.token_emb.weight.numel() == 5 * 32 == 160
    assert m.encoder.latents.shape == (128, 128)
    assert count_parameters(m.encoder) - m.encoder.latents.numel() == 315_872
    assert count_parameters(m.query.stem) == 12_288
    assert count_parameters(m.query.tower) == 28_892
    assert count_parameters(m.query.dense) == 49_728
    assert count_parameters(m.decoder) == 26_064
    assert count_parameters(m.latent_norm) + count_parameters(m.latent_proj) == 9_040
    assert m.encoder.width == 136


def test_conv_tower_bookkeeping() -> None:
    assert exponential_linspace_int(64, 32, num=3, divisible_by=2) == [64, 46, 32]
    # 10,500 → 875 → 145 → 24 (DNA, pools 12/6/6); 6,000 → 600 → 120 → 24 (protein, pools 10/5/5): flatten 32 × 24
    assert DNAPerceiver().query.out_length == 24
    assert DNAPerceiver().query.flat_dim == 768
    assert ProteinPerceiver().query.out_length == 24
    # 8,000 bp DNA in the conv path: 666 → 111 → 18 at 12/6/6 (spec §3.3)
    assert DNAProteinPerceiver(perceiver_input="protein").query.out_length == 18


# --------------------------------------------------------------------------------------------------------------------
# (2) forward shapes at the spec's input lengths


@torch.no_grad()
def test_forward_shapes_at_full_length() -> None:
    dna, hl = _dna(2, 10_500), _half_life(2)
    assert _model(DNAPerceiver)(dna, hl).shape == (2, 1)
    out = _model(DNAPerceiver, n_outputs=2, tanh=True)(dna, hl)
    assert out.shape == (2, 2)
    assert out.abs().max() < 1.0

    assert _model(ProteinPerceiver)(_protein([6_000, 4_000], 6_000)).shape == (2, 1)
    # shorter inputs are padded to 6,000 with the pad channel
    assert _model(ProteinPerceiver)(_protein([250, 300], 300)).shape == (2, 1)

    dna8, prot = _dna(2, 8_000), _protein([500, 1_200], 1_200)
    for arrangement in ("dna", "protein"):
        assert _model(DNAProteinPerceiver, perceiver_input=arrangement)(dna8, prot, hl).shape == (2, 1)


@torch.no_grad()
def test_autopadding_equals_explicit_padding() -> None:
    model = _model(ProteinPerceiver)
    short = _protein([200, 150], 200)
    explicit = torch.cat([short, _protein([0, 0], 6_000 - 200)], dim=1)
    assert torch.equal(model(short), model(explicit))


def test_wrong_shapes_are_rejected() -> None:
    model = _model(DNAPerceiver, seq_len=720)
    with pytest.raises(ValueError, match="720 long"):
        model(_dna(1, 700), _half_life(1))
    with pytest.raises(ValueError, match="half_life"):
        model(_dna(1, 720))
    with pytest.raises(ValueError, match="at most 6000"):
        _model(ProteinPerceiver)(_protein([6_001], 6_001))
    with pytest.raises(ValueError, match="too short"):
        DNAPerceiver(seq_len=100)


@torch.no_grad()
def test_one_hot_embedding_equals_the_lookup() -> None:
    # the one-hot matmul embedding must be the authors' nn.Embedding lookup: P=0 for an all-zero DNA row
    model = _model(DNAPerceiver, seq_len=720)
    dna = _dna(1, 720, n_fraction=0.2)
    tokens = torch.where(dna.sum(-1) > 0, dna.argmax(-1) + 1, 0)
    emb, mask = model.embedding(dna)
    expected = model.embedding.token_emb(tokens) + model.embedding.pos_emb
    assert torch.allclose(emb, expected, atol=1e-6)
    assert torch.equal(mask, tokens != 0)


# --------------------------------------------------------------------------------------------------------------------
# (3) a record's prediction does not depend on the other records of the batch (eval mode)


@torch.no_grad()
def test_dnaperceiver_batch_independence() -> None:
    model = _model(DNAPerceiver, n_outputs=2)
    dna, hl = _dna(3, 10_500, seed=1), _half_life(3, seed=1)
    batch = model(dna, hl)
    assert not torch.allclose(batch[0], batch[1])  # the records really differ
    for k in range(3):
        alone = model(dna[k : k + 1], hl[k : k + 1])
        assert torch.allclose(alone, batch[k : k + 1], rtol=0.0, atol=1e-6)


@torch.no_grad()
def test_proteinperceiver_batch_independence_with_different_padding() -> None:
    model = _model(ProteinPerceiver)
    prot = _protein([6_000, 900, 37], 6_000, seed=2)
    batch = model(prot)
    assert not torch.allclose(batch[1], batch[2])
    for k in range(3):
        assert torch.allclose(model(prot[k : k + 1]), batch[k : k + 1], rtol=0.0, atol=1e-6)


@torch.no_grad()
@pytest.mark.parametrize("arrangement", ["dna", "protein"])
def test_dnaproteinperceiver_batch_independence(arrangement: str) -> None:
    model = _model(DNAProteinPerceiver, perceiver_input=arrangement)
    dna, prot, hl = _dna(2, 8_000, seed=3), _protein([2_000, 60], 2_000, seed=3), _half_life(2, seed=3)
    batch = model(dna, prot, hl)
    for k in range(2):
        alone = model(dna[k : k + 1], prot[k : k + 1], hl[k : k + 1])
        assert torch.allclose(alone, batch[k : k + 1], rtol=0.0, atol=1e-6)


# --------------------------------------------------------------------------------------------------------------------
# (4) gradients reach the one-hot input through both flows (needed by grad / ig attribution)


def test_gradients_flow_to_the_dna_input() -> None:
    model = _model(DNAPerceiver)
    dna = _dna(2, 10_500, seed=4).requires_grad_(True)
    hl = _half_life(2, seed=4).requires_grad_(True)
    model(dna, hl).sum().backward()
    assert dna.grad is not None and torch.isfinite(dna.grad).all()
    assert (dna.grad.abs().sum(-1) > 0).float().mean() > 0.99
    assert hl.grad is not None and hl.grad.abs().sum() > 0


def test_gradients_flow_through_the_perceiver_path_alone() -> None:
    # the token embedding is a matmul on the one-hot, so the attention flow is differentiable too (a lookup is not)
    model = _model(DNAPerceiver, seq_len=720)
    dna = _dna(1, 720, seed=5).requires_grad_(True)
    context, mask = model.embedding(dna)
    model.encoder(context, mask, _half_life(1)).sum().backward()
    assert dna.grad is not None and (dna.grad.abs().sum(-1) > 0).float().mean() > 0.9


def test_gradients_flow_to_the_protein_input() -> None:
    model = _model(ProteinPerceiver)
    prot = _protein([3_000], 3_000, seed=6).requires_grad_(True)
    model(prot).sum().backward()
    assert prot.grad is not None and torch.isfinite(prot.grad).all()
    assert (prot.grad.abs().sum(-1) > 0).all()


# --------------------------------------------------------------------------------------------------------------------
# (5) the cross-attention map of `zoo explain --method attention`


@torch.no_grad()
def test_cross_attention_map_is_the_latents_mean_softmax_over_valid_positions() -> None:
    model = _model(DNAPerceiver, seq_len=720)
    dna, hl = _dna(2, 720, seed=7, n_fraction=0.1), _half_life(2, seed=7)
    got = model.cross_attention_map(dna, hl)
    assert got.shape == (2, 720)
    # by hand: 1 head, scaled dot products of the normed latents (+ tiled half-life) with the normed embedded sequence
    attn = model.encoder.layers[0]["cross_attn"]
    context, mask = model.embedding(dna)
    latents = torch.cat([model.encoder.latents.expand(2, -1, -1), hl[:, None, :].expand(-1, 128, -1)], dim=-1)
    q = attn.to_q(attn.norm(latents))
    k = attn.to_kv(attn.norm_context(context)).chunk(2, dim=-1)[0]
    logits = (q @ k.transpose(1, 2)) * attn.scale
    want = logits.masked_fill(~mask[:, None, :], float("-inf")).softmax(dim=-1).mean(dim=1)
    torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)
    assert torch.allclose(got.sum(dim=1), torch.ones(2)) and (got[dna.sum(-1) == 0] == 0).all()

    protein = _model(ProteinPerceiver)
    weights = protein.cross_attention_map(_protein([40, 300], 300))
    assert (weights[0, 40:] == 0).all() and torch.allclose(weights.sum(dim=1), torch.ones(2))
