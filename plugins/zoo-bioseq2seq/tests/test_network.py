"""The bioseq2seq / EDC network: sizes, the LFNet STFT path, padding, decoding, and that it can learn."""

from __future__ import annotations

import random

import pytest
import torch
from torch.nn import functional as F

from zoo_bioseq2seq.decoding import beam_search, classify, encode_batch, greedy_decode
from zoo_bioseq2seq.network import (
    Bioseq2Seq,
    Bioseq2SeqConfig,
    LocalFilterLayer,
    count_parameters,
    from_original_state_dict,
    pad_sequences,
    sequence_loss,
)
from zoo_bioseq2seq.vocab import PAD, encode_target

# the paper's d, W and λ with fewer/narrower layers: realistic STFT frames, quick on a CPU
SMALL = Bioseq2SeqConfig.bioseq2seq(n_enc_layers=2, n_dec_layers=2, d_ff=128)
TINY = Bioseq2SeqConfig.bioseq2seq(model_dim=32, heads=4, n_enc_layers=2, n_dec_layers=1, d_ff=64, window_size=32,
                                   dropout=0.0, attention_dropout=0.0)


def _model(config: Bioseq2SeqConfig, seed: int = 0) -> Bioseq2Seq:
    torch.manual_seed(seed)
    return Bioseq2Seq(config).eval()


def _random_rna(length: int, rng: random.Random) -> str:
    return "".join(rng.choice("ACGT") for _ in range(length))


def _lfnet_layer(lambd: float, d: int = 8, window: int = 50) -> LocalFilterLayer:
    torch.manual_seed(1)
    layer = LocalFilterLayer(d, 16, window, lambd, dropout=0.0).eval()
    torch.nn.init.xavier_uniform_(layer.global_filter)
    return layer


# ---- sizes -------------------------------------------------------------------------------------------------


def test_paper_bioseq2seq_has_the_specs_parameter_count() -> None:
    model = Bioseq2Seq(Bioseq2SeqConfig.bioseq2seq())
    d, d_ff, n_freq = 64, 2048, 250 // 2 + 1
    lfnet_layer = 2 * d * d_ff + d_ff + 7 * d + n_freq * d  # FFN, 3 LayerNorms, complex filter
    decoder_layer = 8 * d * d + 8 * d + 17 * (d // 8) + 2 * d * d_ff + d_ff + 7 * d  # 2 attentions, rel. pos., FFN, 3 LN
    rest = 8 * d + 28 * d + 2 * 2 * d + 28 * d + 28  # embeddings, final LayerNorms, generator
    assert sum(p.numel() for p in model.encoder.fnet[0].parameters()) == lfnet_layer == 272_704
    assert sum(p.numel() for p in model.decoder.transformer_layers[0].parameters()) == decoder_layer == 298_056
    assert count_parameters(model) == 12 * lfnet_layer + 2 * decoder_layer + rest == 3_872_940
    # the filters' complex entries counted as two reals: the spec's "3.97 M"
    assert sum(p.numel() * (2 if p.is_complex() else 1) for p in model.parameters()) == 3_969_708
    assert count_parameters(Bioseq2Seq(Bioseq2SeqConfig.edc_small())) == 3_872_940


def test_edc_large_has_the_specs_parameter_count() -> None:
    config = Bioseq2SeqConfig.edc_large()
    assert (config.n_enc_layers, config.n_dec_layers, config.model_dim, config.window_size) == (16, 16, 128, 200)
    assert (config.lambd_l1, config.dropout, config.class_only) == (0.011, 0.1, True)
    model = Bioseq2Seq(config)
    assert count_parameters(model) == 19_204_892
    assert sum(p.numel() * (2 if p.is_complex() else 1) for p in model.parameters()) == 19_411_740


def test_config_round_trips_and_scales() -> None:
    config = Bioseq2SeqConfig.bioseq2seq().scaled(n_enc_layers=4, d_ff=256)
    assert Bioseq2SeqConfig.from_dict(config.to_dict()) == config
    assert (config.n_enc_layers, config.d_ff, config.model_dim) == (4, 256, 64)
    with pytest.raises(ValueError, match="divisible"):
        Bioseq2SeqConfig(model_dim=60, heads=8)


# ---- the LFNet filter path -----------------------------------------------------------------------------------


def test_filter_path_equals_torch_stft_istft_for_a_lone_transcript() -> None:
    """torchaudio's Spectrogram(power=None, pad_mode='constant') / InverseSpectrogram, as the original ran them."""
    layer = _lfnet_layer(lambd=0.05)
    x = torch.randn(1, 333, 8)
    window = torch.hann_window(50)
    spec = torch.stft(x[0].T, 50, 25, 50, window, center=True, pad_mode="constant", return_complex=True)
    spec = spec * layer.global_filter.detach().T[:, :, None]
    spec = torch.view_as_complex(F.softshrink(torch.view_as_real(spec), 0.05))
    expected = torch.istft(spec, 50, 25, 50, window, center=True, length=333).T
    torch.testing.assert_close(layer.mix_tokens(x, torch.tensor([333]))[0], expected, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("window", [50, 49])
def test_all_ones_filter_without_shrinkage_returns_its_input(window: int) -> None:
    """Hann at hop W//2 satisfies NOLA, so STFT -> × 1 -> soft-shrink(0) -> iSTFT is the identity, per transcript."""
    layer = _lfnet_layer(lambd=0.0, window=window)
    with torch.no_grad():
        layer.global_filter.fill_(1.0)
    lengths = torch.tensor([1, 24, 25, 50, 137, 300])
    pad = torch.arange(300)[None, :, None] >= lengths[:, None, None]
    x = torch.randn(len(lengths), 300, 8).masked_fill(pad, 0.0)
    with torch.no_grad():
        mixed = layer.mix_tokens(x, lengths)
        real = ~pad[:, :, 0]
        torch.testing.assert_close(mixed[real], x[real], atol=1e-4, rtol=1e-4)

        # the whole layer then reduces to x + FFN(LN_ff(LN_in(x))), the feed-forward branch zeroed on padding
        normed = layer.input_norm(x).masked_fill(pad, 0.0)
        expected = x + layer.feed_forward(layer.feed_forward_norm(normed)).masked_fill(pad, 0.0)
        torch.testing.assert_close(layer(x, pad, lengths), expected, atol=1e-4, rtol=1e-4)


def test_lfnet_layer_of_a_padded_batch_equals_each_transcript_alone() -> None:
    layer = _lfnet_layer(lambd=0.05)
    lengths = [333, 210, 60, 7]  # 210 and 60 end mid-hop, so a padded batch has frames past their ends
    xs = [torch.randn(n, 8) for n in lengths]
    batch = torch.nn.utils.rnn.pad_sequence(xs, batch_first=True)
    mixed = layer.mix_tokens(batch, torch.tensor(lengths))
    for i, x in enumerate(xs):
        alone = layer.mix_tokens(x[None], torch.tensor([len(x)]))[0]
        torch.testing.assert_close(mixed[i, : len(x)], alone, atol=1e-5, rtol=1e-5)

    # the original (torchaudio on the padded batch) leaks those frames into the last W/2 positions
    window = torch.hann_window(50)
    flat = batch.transpose(1, 2).reshape(-1, batch.shape[1])
    spec = torch.stft(flat, 50, 25, 50, window, center=True, pad_mode="constant", return_complex=True)
    spec = spec.view(4, 8, *spec.shape[1:]) * layer.global_filter.detach().T[None, :, :, None]
    spec = torch.view_as_complex(F.softshrink(torch.view_as_real(spec), 0.05)).flatten(0, 1)
    leaky = torch.istft(spec, 50, 25, 50, window, center=True, length=batch.shape[1]).view(4, 8, -1).transpose(1, 2)
    assert (leaky[1, :210] - mixed[1, :210]).abs().max() > 1e-3


# ---- padding, lengths, inputs --------------------------------------------------------------------------------


def test_predictions_do_not_depend_on_the_batch() -> None:
    model = _model(SMALL)
    rng = random.Random(0)
    seqs = [_random_rna(n, rng) for n in (1000, 517, 300, 45)]
    targets = [encode_target("MKV" * 3), encode_target("MKV" * 10), encode_target("M"), encode_target(None)]
    src, lengths = encode_batch(seqs)
    tgt, _ = pad_sequences(targets)
    with torch.no_grad():
        memory = model.encode(src, lengths)
        logits = model(src, lengths, tgt[:, :-1])
        scores = classify(model, src, lengths)
        for i, (seq, target) in enumerate(zip(seqs, targets, strict=True)):
            src_i, len_i = encode_batch([seq])
            tgt_i = torch.tensor([target])
            torch.testing.assert_close(memory[i, : len(seq)], model.encode(src_i, len_i)[0], atol=1e-4, rtol=1e-4)
            n = len(target) - 1
            torch.testing.assert_close(logits[i, :n], model(src_i, len_i, tgt_i[:, :-1])[0], atol=1e-4, rtol=1e-4)
            torch.testing.assert_close(scores.logits[i], classify(model, src_i, len_i).logits[0], atol=1e-4, rtol=1e-4)
    assert (tgt[:, 1:] == PAD).any()  # the targets were padded too


def test_step_by_step_decoding_equals_teacher_forcing() -> None:
    """The cached keys/values and the relative positions of one-token steps match the full pass."""
    model = _model(SMALL.scaled(max_relative_positions=3))
    src, lengths = encode_batch(["ACGTTGCA" * 40, "ATGGCC" * 30])
    tgt, _ = pad_sequences([encode_target("MASKLEWRPVG"), encode_target("MKKLLW")])
    with torch.no_grad():
        full = model(src, lengths, tgt)
        state = model.start_decoding(model.encode(src, lengths), lengths)
        steps = torch.stack([model.decode_step(tgt[:, t], state) for t in range(tgt.shape[1])], dim=1)
    real = tgt != PAD
    torch.testing.assert_close(steps[real], full[real], atol=1e-5, rtol=1e-5)


def test_long_and_very_short_transcripts_run() -> None:
    """No length cap (the original's position table stopped at 5000 nt); lengths below W/2 work too."""
    model = _model(SMALL)
    long = _random_rna(12_000, random.Random(1))
    src, lengths = encode_batch([long, "A", "ACGTACGTACGT"])
    with torch.no_grad():
        scores = classify(model, src, lengths)
        long_alone = classify(model, *encode_batch([long]))
    assert torch.isfinite(scores.logits).all()
    torch.testing.assert_close(scores.logits[0], long_alone.logits[0], atol=1e-4, rtol=1e-4)


def test_one_hot_input_equals_token_ids_and_gives_input_gradients() -> None:
    model = _model(TINY)
    src, lengths = encode_batch(["ACGTNRACGTTTGA", "GGGCC"])
    one_hot = F.one_hot(src, 8).float().requires_grad_(True)
    by_ids = classify(model, src, lengths).logit_diff
    by_one_hot = classify(model, one_hot, lengths).logit_diff
    torch.testing.assert_close(by_one_hot, by_ids)
    by_one_hot.sum().backward()
    assert one_hot.grad is not None and one_hot.grad[0].abs().sum() > 0
    assert one_hot.grad[1, 5:].abs().sum() == 0  # padding does not influence the score


def test_class_scores_follow_their_definitions() -> None:
    model = _model(TINY)
    scores = classify(model, *encode_batch(["ACGT" * 30]))
    probs = torch.softmax(scores.logits, dim=-1)
    torch.testing.assert_close(scores.coding_prob, probs[:, 4])
    torch.testing.assert_close(scores.coding_prob_2class, probs[:, 4] / (probs[:, 4] + probs[:, 5]))
    torch.testing.assert_close(scores.logit_diff, scores.logits[:, 4] - scores.logits[:, 5])


# ---- decoding ------------------------------------------------------------------------------------------------


def test_beam_search_with_one_beam_is_greedy() -> None:
    model = _model(SMALL, seed=3)
    rng = random.Random(2)
    src, lengths = encode_batch([_random_rna(n, rng) for n in (400, 250, 90)])
    greedy = greedy_decode(model, src, lengths, max_len=25)
    beams = beam_search(model, src, lengths, beam_size=1, n_best=1, max_len=25)
    assert [b[0].tokens for b in beams] == [g.tokens for g in greedy]
    for b, g in zip(beams, greedy, strict=True):
        assert b[0].score == pytest.approx(g.score, abs=1e-5)


def test_beam_search_returns_n_best_sorted_and_batch_independent() -> None:
    model = _model(SMALL, seed=4)
    rng = random.Random(3)
    seqs = [_random_rna(n, rng) for n in (300, 160)]
    batched = beam_search(model, *encode_batch(seqs), max_len=12)
    for seq, hyps in zip(seqs, batched, strict=True):
        assert len(hyps) == 4
        assert [h.score for h in hyps] == sorted((h.score for h in hyps), reverse=True)
        alone = beam_search(model, *encode_batch([seq]), max_len=12)[0]
        assert [h.tokens for h in alone] == [h.tokens for h in hyps]


def test_a_tiny_model_learns_one_transcript_and_decodes_its_protein() -> None:
    codons = {"M": "ATG", "A": "GCT", "S": "TCC", "K": "AAA", "L": "CTG", "E": "GAA", "W": "TGG", "R": "CGT",
              "P": "CCA", "V": "GTT", "G": "GGC", "T": "ACA", "Y": "TAC", "F": "TTC", "D": "GAC"}
    protein = "MASKLEWRPVGTYFD"
    mrna = "GGCTTCAAACGTTAGCCATTGACCTGATCA" + "".join(codons[aa] for aa in protein) + "TGA" + "CTGTATATAAAGCCTTG"
    lncrna = "GTTCAGGAATCCTTAGGCAAGTCTAGTTACGGA" * 3
    model = _model(TINY)
    src, lengths = encode_batch([mrna, lncrna])
    tgt, _ = pad_sequences([encode_target(protein), encode_target(None)])
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(200):
        loss = sequence_loss(model(src, lengths, tgt[:, :-1]), tgt[:, 1:])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    assert loss.item() < 0.2
    greedy = greedy_decode(model, src, lengths, max_len=40)
    assert [(h.label, h.protein, h.finished) for h in greedy] == [("<PC>", protein, True), ("<NC>", "", True)]
    top = [hyps[0] for hyps in beam_search(model, src, lengths, max_len=40)]
    assert [(h.label, h.protein) for h in top] == [("<PC>", protein), ("<NC>", "")]
    scores = classify(model, src, lengths)
    assert scores.labels() == ["<PC>", "<NC>"]
    assert scores.logit_diff[0] > 0 > scores.logit_diff[1]


# ---- weights -------------------------------------------------------------------------------------------------


def test_original_checkpoint_keys_map_onto_this_model() -> None:
    model = _model(TINY)
    ours = model.state_dict()
    original = {}
    for key, value in ours.items():
        if key.startswith("generator."):
            continue
        key = key.replace("encoder.embedding.", "encoder.embeddings.make_embedding.emb_luts.0.")
        key = key.replace("decoder.embedding.", "decoder.embeddings.make_embedding.emb_luts.0.")
        original[key] = value
    original["encoder.embeddings.make_embedding.pe.pe"] = torch.zeros(5000, 1, 32)
    original["encoder.fnet.0.stft.window"] = torch.hann_window(32)
    generator = {"proj.weight": ours["generator.weight"], "proj.bias": ours["generator.bias"]}
    restored = Bioseq2Seq(TINY)
    restored.load_state_dict(from_original_state_dict(original, generator), strict=True)
    assert all(torch.equal(restored.state_dict()[k], v) for k, v in ours.items())


def test_the_decoding_limit_fits_the_longest_protein_a_transcript_can_hold() -> None:
    from zoo_bioseq2seq.decoding import decode_limit

    assert decode_limit(torch.tensor([300, 1194])) == 400  # the authors' limit covers nearly all of 200-1200 nt
    # a 3,000 nt transcript holds at most 1,000 codons: <PC>, 1,000 residues (a CDS without its stop) and </s>
    assert decode_limit(torch.tensor([3000, 500])) == 1002
