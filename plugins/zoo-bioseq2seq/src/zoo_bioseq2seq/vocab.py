"""Source (RNA) and target (class token + protein) vocabularies of bioseq2seq (spec §2).

Token order is that of the published checkpoints (torchtext 0.4 vocab built by ``data_utils.std_vocab``):
the embedding rows and generator outputs of the authors' weights are indexed by these ids, so the order
must not change.

- Source, 8 tokens: ``<unk> <blank> A C G T N R``. The alphabet is DNA (``U`` is read as ``T``), one
  token per nucleotide; any other letter is ``<unk>`` as in the original pipeline.
- Target, 28 tokens: ``<unk> <blank> <s> </s> <PC> <NC>`` and the 22 amino-acid letters
  ``A C D E F G H I K L M N P Q R S T U V W X Y`` (U = selenocysteine, X = unknown residue).
  A training target is ``<s> <PC> M A S … </s>`` for an mRNA and ``<s> <NC> </s>`` for a lncRNA; EDC's
  targets keep only the class token (``<s> <PC> </s>``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

SRC_TOKENS: tuple[str, ...] = ("<unk>", "<blank>", "A", "C", "G", "T", "N", "R")
AMINO_ACIDS = "ACDEFGHIKLMNPQRSTUVWXY"
TGT_TOKENS: tuple[str, ...] = ("<unk>", "<blank>", "<s>", "</s>", "<PC>", "<NC>", *AMINO_ACIDS)

UNK = 0
PAD = 1  # "<blank>" in both vocabularies, the embeddings' padding_idx
BOS = 2
EOS = 3
PC = 4
NC = 5

SRC_INDEX = {token: i for i, token in enumerate(SRC_TOKENS)}
TGT_INDEX = {token: i for i, token in enumerate(TGT_TOKENS)}
_ACGT = frozenset("ACGT")


def normalize_rna(seq: str) -> str:
    """Upper case, ``U`` -> ``T``, whitespace removed: the form the model was trained on."""
    return "".join(seq.split()).upper().replace("U", "T")


def encode_rna(seq: str) -> list[int]:
    """Source token ids of a transcript; letters other than A/C/G/T/N/R become ``<unk>``."""
    return [SRC_INDEX.get(base, UNK) for base in normalize_rna(seq)]


def count_non_acgt(seq: str) -> int:
    """Positions that are not A/C/G/T after normalisation (those read as N, R or ``<unk>``)."""
    return sum(base not in _ACGT for base in normalize_rna(seq))


def encode_target(protein: str | None, *, class_only: bool = False) -> list[int]:
    """Target ids ``<s> <PC> protein… </s>`` (coding) or ``<s> <NC> </s>`` (``protein`` None).

    A trailing ``*`` is dropped because RefSeq proteins carry none and the model never saw one.
    Residues outside the 22 letters map to ``<unk>``, as torchtext did for the original vocabulary.
    ``class_only`` gives EDC's target, the class token alone.
    """
    if protein is None:
        return [BOS, NC, EOS]
    if class_only:
        return [BOS, PC, EOS]
    residues = protein.strip().upper().removesuffix("*")
    return [BOS, PC, *(TGT_INDEX.get(aa, UNK) for aa in residues), EOS]


def target_tokens(ids: Iterable[int]) -> list[str]:
    """Token strings of target ids."""
    return [TGT_TOKENS[i] for i in ids]


def split_prediction(ids: Sequence[int]) -> tuple[str, str]:
    """(class token, protein) of a decoded target, e.g. ``("<PC>", "MAS…")`` or ``("<NC>", "")``.

    A leading ``<s>`` is skipped and decoding stops at ``</s>`` or padding. Tokens that are not amino
    acids but appear after the class token (a model failure) are kept in their ``<…>`` spelling so they
    stay visible instead of being silently turned into residues.
    """
    tokens = list(ids)
    if tokens and tokens[0] == BOS:
        tokens = tokens[1:]
    end = next((i for i, t in enumerate(tokens) if t in (EOS, PAD)), len(tokens))
    tokens = tokens[:end]
    if not tokens:
        return "", ""
    return TGT_TOKENS[tokens[0]], "".join(TGT_TOKENS[t] for t in tokens[1:])
