"""The vocabularies are the published checkpoints' (spec §2) and targets are built as the authors built them."""

from __future__ import annotations

from zoo_bioseq2seq.vocab import (
    BOS,
    EOS,
    NC,
    PAD,
    PC,
    SRC_TOKENS,
    TGT_TOKENS,
    count_non_acgt,
    encode_rna,
    encode_target,
    split_prediction,
    target_tokens,
)


def test_vocabularies_have_the_checkpoint_order() -> None:
    assert SRC_TOKENS == ("<unk>", "<blank>", "A", "C", "G", "T", "N", "R")
    assert len(TGT_TOKENS) == 28
    assert TGT_TOKENS[:6] == ("<unk>", "<blank>", "<s>", "</s>", "<PC>", "<NC>")
    assert "".join(TGT_TOKENS[6:]) == "ACDEFGHIKLMNPQRSTUVWXY"
    assert (PAD, BOS, EOS, PC, NC) == (1, 2, 3, 4, 5)


def test_rna_is_read_as_dna_and_unknown_letters_become_unk() -> None:
    assert encode_rna("acgu N\nR") == [2, 3, 4, 5, 6, 7]
    assert encode_rna("AYK") == [2, 0, 0]
    assert count_non_acgt("ACGUNRY") == 3


def test_targets_and_predictions() -> None:
    assert target_tokens(encode_target("MAS*")) == ["<s>", "<PC>", "M", "A", "S", "</s>"]
    assert target_tokens(encode_target(None)) == ["<s>", "<NC>", "</s>"]
    assert target_tokens(encode_target("MAS", class_only=True)) == ["<s>", "<PC>", "</s>"]
    assert encode_target("MBZ")[3:5] == [0, 0]
    assert split_prediction(encode_target("MKV")) == ("<PC>", "MKV")
    assert split_prediction([NC, EOS, PC]) == ("<NC>", "")
    assert split_prediction([PC, 16, NC, 6]) == ("<PC>", "M<NC>A")  # a stray class token stays visible
    assert split_prediction([]) == ("", "")
