"""The zoo model, the ``transcripts`` dataloader and MDIG, on a tiny network trained for a moment on two transcripts."""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

import zoo_bioseq2seq
from zoo_bioseq2seq.dataloader import MAX_LENGTH, WARN_LENGTH, transcripts
from zoo_bioseq2seq.decoding import classify, encode_batch
from zoo_bioseq2seq.mdig import explainer as mdig_explainer
from zoo_bioseq2seq.mdig import mdig
from zoo_bioseq2seq.model import Bioseq2SeqModel, read_config
from zoo_bioseq2seq.network import Bioseq2Seq, Bioseq2SeqConfig, pad_sequences, sequence_loss
from zoo_bioseq2seq.vocab import encode_target
from zoo_core import hookimpl
from zoo_core.api import Model, get_model
from zoo_core.errors import InputError, ModelSpecError, ZooError
from zoo_core.explain import ism
from zoo_core.registry import Registry
from zoo_core.spec import load_spec

TINY = Bioseq2SeqConfig.bioseq2seq(model_dim=32, heads=4, n_enc_layers=2, n_dec_layers=1, d_ff=64, window_size=32,
                                   dropout=0.0, attention_dropout=0.0)
CODONS = {"M": "ATG", "A": "GCT", "S": "TCC", "K": "AAA", "L": "CTG", "E": "GAA", "W": "TGG"}
PROTEIN = "MASKLEW"
MRNA = "GGCTTCAAACGTTAGCCA" + "".join(CODONS[aa] for aa in PROTEIN) + "TGA" + "CTGTATATAAAGCC"
LNCRNA = "GTTCAGGAATCCTTAGGCAAGTCTAGTTACGGA" * 2
MAX_TOKENS = 500  # the model's forward-pass budget in these tests, small so that groups form

MODEL_YAML = """\
spec_version: 1
name: tiny-bioseq2seq
version: 0.0.1
description: A tiny bioseq2seq trained for 40 steps on one mRNA and one lncRNA, for tests.
authors: [{{name: Joseph D. Valencia}}, {{name: David A. Hendrix}}]
citation:
  text: Valencia JD, Hendrix DA. Improving deep models of protein-coding potential with a Fourier-transform
    architecture and machine translation task. bioRxiv (2023).
  doi: 10.1101/2023.04.03.535488
license: MIT
organism: Mammalia
task: RNA -> coding class and protein
inputs:
  - name: transcript
    kind: rna
    encoding: one-hot-acgt
    doc: A transcript (FASTA, RNA or cDNA).
outputs:
  - {{name: coding_prob, unit: probability, doc: "P(<PC>) at the first decoding step, softmax over 28 tokens."}}
  - {{name: logit_diff, unit: logit, doc: "S = l_<PC> - l_<NC> at the first decoding step."}}
  - {{name: class, dtype: str, unit: label, doc: "PC or NC."}}
  - {{name: protein, dtype: str, optional: true, unit: amino acids, doc: "The top beam's peptide."}}
  - {{name: beams, dtype: str, optional: true, unit: "label:protein:score", doc: "The 4 best hypotheses."}}
dataloader: {{name: transcripts}}
weights:
  repo_id: zoo-models/tiny-bioseq2seq
  revision: "{revision}"
  framework: torch
  files:
    - {{name: model.safetensors, sha256: "{weights_sha}"}}
    - {{name: config.json, sha256: "{config_sha}"}}
explain: {{methods: [mdig, ism, grad, ig], target: logit_diff}}
test: {{inputs: [example.fa], expected: expected.tsv}}
"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """model.yaml, model.safetensors and config.json of a tiny network that tells MRNA (PC) from LNCRNA (NC)."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    net = Bioseq2Seq(TINY)
    src, lengths = encode_batch([MRNA, LNCRNA])
    tgt, _ = pad_sequences([encode_target(PROTEIN), encode_target(None)])
    optimizer = torch.optim.AdamW(net.parameters(), lr=3e-3)
    for _ in range(40):
        loss = sequence_loss(net(src, lengths, tgt[:, :-1]), tgt[:, 1:])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    folder = tmp_path_factory.mktemp("tiny-bioseq2seq")
    save_file({k: v.detach().contiguous() for k, v in net.state_dict().items()}, str(folder / "model.safetensors"))
    config = {**TINY.to_dict(), "inference": {"max_tokens": MAX_TOKENS, "max_decode_len": 20},
              "provenance": {"note": "test fixture"}}
    (folder / "config.json").write_text(json.dumps(config))
    digest = {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in ("model.safetensors", "config.json")}
    (folder / "model.yaml").write_text(MODEL_YAML.format(revision="0" * 40, weights_sha=digest["model.safetensors"],
                                                         config_sha=digest["config.json"]))
    return folder


@pytest.fixture(scope="module")
def model(bundle: Path) -> Bioseq2SeqModel:
    spec = load_spec(bundle / "model.yaml")
    return Bioseq2SeqModel(spec, {n: bundle / n for n in ("model.safetensors", "config.json")})


class _TinyModels:
    """A plugin that registers the fixture's model.yaml, as a plugin registers those it ships."""

    def __init__(self, spec_path: Path) -> None:
        self.spec_path = spec_path

    @hookimpl
    def register_models(self, register: Callable[..., None]) -> None:
        register(self.spec_path, "zoo_bioseq2seq.model:Bioseq2SeqModel", options=zoo_bioseq2seq.Bioseq2SeqOptions)


@pytest.fixture
def registered(bundle: Path, use_plugins: Callable[..., Registry]) -> Model:
    use_plugins((zoo_bioseq2seq, "zoo-bioseq2seq"), (_TinyModels(bundle / "model.yaml"), "tiny-models"))
    return get_model("tiny-bioseq2seq")


def _rna(length: int, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice("ACGT") for _ in range(length))


def _fasta(path: Path, records: dict[str, str]) -> Path:
    path.write_text("".join(f">{rid}\n{seq}\n" for rid, seq in records.items()))
    return path


def _numeric(model: Bioseq2SeqModel, inputs: dict[str, np.ndarray]) -> np.ndarray:
    """coding_prob and logit_diff, ``(N, 2)``."""
    y = model.numeric(inputs)
    return np.stack([y["coding_prob"], y["logit_diff"]], axis=1)


def _network_logit_diff(model: Bioseq2SeqModel, seq: str) -> float:
    with torch.no_grad():
        return float(classify(model.network, *encode_batch([seq])).logit_diff[0])


# ---- predictions -------------------------------------------------------------------------------------------


def test_predictions_do_not_depend_on_batch_composition_or_padding(model: Bioseq2SeqModel) -> None:
    seqs = [_rna(n, seed) for seed, n in enumerate((700, 40, 260, 1300, 90))] + [MRNA, LNCRNA]
    batch = next(transcripts(model.spec, seqs, batch_size=len(seqs), max_tokens=10**6))
    together = _numeric(model, batch.inputs)
    assert together.shape == (len(seqs), 2)
    for k, seq in enumerate(seqs):
        alone = _numeric(model, next(transcripts(model.spec, [seq])).inputs)
        np.testing.assert_allclose(together[k], alone[0], atol=1e-5, rtol=1e-5)
        # and as the network reads token ids (no one-hot, no grouping)
        assert together[k, 1] == pytest.approx(_network_logit_diff(model, seq), abs=1e-4)
    # a raw one-hot array (no tokens, as Model.predict_array passes it) reads the same
    raw = _numeric(model, {"transcript": batch.inputs["transcript"]})
    np.testing.assert_allclose(raw, together, atol=1e-5, rtol=1e-5)


def test_table_keeps_the_input_order_with_long_and_short_transcripts_mixed(registered: Model, tmp_path: Path) -> None:
    lengths = [700, 40, 260, 1300, 90, 1200, 200, 199]
    records = {f"t{k}_{n}": _rna(n, k) for k, n in enumerate(lengths)} | {"mrna": MRNA, "lncrna": LNCRNA}
    fasta = _fasta(tmp_path / "mixed.fa", records)
    table = registered.predict(fasta, batch_size=3, max_tokens=800)
    assert table["id"].tolist() == list(records)
    assert table.columns.tolist() == ["id", "length", "in_domain", "n_non_acgt", "coding_prob", "logit_diff", "class"]
    assert table["length"].tolist() == [len(s) for s in records.values()]
    assert table["in_domain"].tolist() == [200 <= len(s) <= 1200 for s in records.values()]
    impl = registered.load()
    for rid, seq in records.items():
        row = table.set_index("id").loc[rid]
        assert row["logit_diff"] == pytest.approx(_network_logit_diff(impl, seq), abs=1e-4)


def test_class_is_the_top_first_token_and_agrees_with_the_sign_of_logit_diff(registered: Model, tmp_path: Path) -> None:
    """class == PC implies logit_diff > 0 and class == NC implies logit_diff < 0; another winning token shows as itself."""
    records = {"mrna": MRNA, "lncrna": LNCRNA} | {f"r{k}": _rna(60 + 37 * k, 100 + k) for k in range(6)}
    table = registered.predict(_fasta(tmp_path / "x.fa", records)).set_index("id")
    assert table.loc["mrna", "class"] == "PC" and table.loc["lncrna", "class"] == "NC"
    assert table.loc["mrna", "coding_prob"] > 0.5 > table.loc["lncrna", "coding_prob"]
    for _, row in table.iterrows():
        if row["class"] == "PC":
            assert row["logit_diff"] > 0
        elif row["class"] == "NC":
            assert row["logit_diff"] < 0
        else:
            assert row["coding_prob"] < 0.5  # neither class token won the first step


def test_full_decode_adds_the_top_protein_and_the_beams(registered: Model, tmp_path: Path) -> None:
    fasta = _fasta(tmp_path / "x.fa", {"mrna": MRNA, "lncrna": LNCRNA})
    table = registered.predict(fasta, full_decode=True).set_index("id")
    assert table.columns.tolist()[-3:] == ["class", "protein", "beams"]
    assert table.loc["mrna", "protein"] == PROTEIN and table.loc["lncrna", "protein"] == ""
    beams = table.loc["mrna", "beams"].split("|")
    assert len(beams) == 4 and beams[0].startswith(f"PC:{PROTEIN}:")
    scores = [float(b.rsplit(":", 1)[1]) for b in beams]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    assert table.loc["lncrna", "beams"].startswith("NC::")
    assert "protein" not in registered.predict(fasta).columns


def test_bfloat16_precision_keeps_the_calls_and_nearly_the_scores(registered: Model, tmp_path: Path) -> None:
    fasta = _fasta(tmp_path / "x.fa", {"mrna": MRNA, "lncrna": LNCRNA})
    exact = registered.predict(fasta).set_index("id")
    fast = registered.predict(fasta, precision="bfloat16").set_index("id")
    assert fast["class"].tolist() == exact["class"].tolist()
    # bfloat16 keeps 8 bits of mantissa: scores agree to a few hundredths, not to float32 precision
    assert (fast["logit_diff"] - exact["logit_diff"]).abs().max() < 0.1
    assert (fast["logit_diff"] != exact["logit_diff"]).any()  # the option does change the arithmetic
    with pytest.raises(ZooError, match="precision"):
        registered.predict(fasta, precision="float16")


def test_gzip_rna_and_non_acgt_letters_read_as_the_original_pipeline(registered: Model, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    odd = MRNA[:20] + "NRY" + MRNA[23:]  # N and R have tokens of their own, Y becomes <unk>
    fasta = tmp_path / "x.fa.gz"
    fasta.write_bytes(gzip.compress(f">rna\n{MRNA.replace('T', 'U').lower()}\n>odd\n{odd}\n".encode()))
    table = registered.predict(fasta).set_index("id")
    impl = registered.load()
    assert table.loc["rna", "logit_diff"] == pytest.approx(_network_logit_diff(impl, MRNA), abs=1e-4)
    assert table.loc["odd", "logit_diff"] == pytest.approx(_network_logit_diff(impl, odd), abs=1e-4)
    assert table.loc["odd", "n_non_acgt"] == 3
    assert "record 'odd': 1 IUPAC code(s) other than N and R read as <unk>" in capsys.readouterr().err


# ---- input errors ------------------------------------------------------------------------------------------


def test_an_over_long_record_is_an_error_naming_file_and_record(model: Bioseq2SeqModel, tmp_path: Path) -> None:
    fasta = _fasta(tmp_path / "long.fa", {"ok": MRNA, "huge": "ACGT" * (MAX_LENGTH // 4 + 1)})
    with pytest.raises(InputError, match=r"long\.fa: record 'huge': 30,004 nt is longer than the 30,000 nt"):
        list(transcripts(model.spec, [fasta]))


def test_a_long_record_is_kept_whole_with_a_warning(model: Bioseq2SeqModel, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    fasta = _fasta(tmp_path / "long.fa", {"long": "ACGT" * (WARN_LENGTH // 4 + 1)})
    (batch,) = transcripts(model.spec, [fasta])
    assert batch.meta["length"] == [WARN_LENGTH + 4] and batch.inputs["transcript"].shape == (1, WARN_LENGTH + 4, 4)
    assert "long.fa: record 'long': 10,004 nt, far beyond the 200–1200 nt training range" in capsys.readouterr().err


def test_a_model_trained_on_longer_transcripts_declares_its_own_range(model: Bioseq2SeqModel, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    fasta = _fasta(tmp_path / "x.fa", {"short": _rna(150, 1), "mid": _rna(2000, 2), "long": _rna(WARN_LENGTH + 1, 3)})
    default = next(iter(transcripts(model.spec, [fasta])))
    wider = next(iter(transcripts(model.spec, [fasta], training_range=[200, 3000])))  # model.yaml: dataloader.args
    assert default.meta["in_domain"] == [False, False, False]
    assert wider.meta["in_domain"] == [False, True, False]
    assert "far beyond the 200–3000 nt training range" in capsys.readouterr().err


def test_a_bad_letter_is_an_error_naming_file_and_record(model: Bioseq2SeqModel, tmp_path: Path) -> None:
    fasta = _fasta(tmp_path / "bad.fa", {"ok": MRNA, "bad": "ACGUAXCG"})
    with pytest.raises(InputError, match=r"bad\.fa: record 'bad': invalid nucleotide letter 'X' at position 6"):
        list(transcripts(model.spec, [fasta]))


def test_a_genome_is_refused_and_unknown_options_are_named(registered: Model, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="it takes no --genome"):
        registered.predict(_fasta(tmp_path / "x.fa", {"a": MRNA}), genome=tmp_path / "g.fa")
    with pytest.raises(InputError, match="has no option --full-decod; its options: --max-tokens, --precision, --full-decode"):
        registered.predict(_fasta(tmp_path / "x.fa", {"a": MRNA}), full_decod=True)
    with pytest.raises(InputError, match="option --max-tokens: Input should be a valid integer"):
        registered.predict(_fasta(tmp_path / "x.fa", {"a": MRNA}), max_tokens="many")


def test_config_json_keys_are_checked() -> None:
    config, settings = read_config({**TINY.to_dict(), "inference": {"beam_size": 2}}, source="config.json")
    assert config == TINY and settings.beam_size == 2 and settings.n_best == 4
    with pytest.raises(ModelSpecError, match=r"config\.json: windowsize: unknown key"):
        read_config({**TINY.to_dict(), "windowsize": 3}, source="config.json")


# ---- attributions ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mrna_batch(model: Bioseq2SeqModel) -> tuple[dict[str, np.ndarray], int]:
    """The mRNA padded by a longer record, so that attributions must stop at its length."""
    batch = next(transcripts(model.spec, [MRNA, LNCRNA]))
    return {k: v[:1] for k, v in batch.inputs.items()}, len(MRNA)


@pytest.fixture(scope="module")
def ism_mrna(model: Bioseq2SeqModel, mrna_batch: tuple[dict[str, np.ndarray], int]) -> np.ndarray:
    inputs, n = mrna_batch
    return ism(model, inputs, "transcript", target="logit_diff", lengths=[n])[0]


def test_ism_is_exact_and_zero_at_the_wild_type(model: Bioseq2SeqModel, mrna_batch: tuple[dict[str, np.ndarray], int],
                                                ism_mrna: np.ndarray) -> None:
    inputs, n = mrna_batch
    wild = inputs["transcript"][0] == 1
    assert (ism_mrna[wild] == 0).all() and (ism_mrna[~wild][: 3 * n] != 0).all() and (ism_mrna[n:] == 0).all()
    mutant = MRNA[:18] + "C" + MRNA[19:]  # ATG -> CTG: knocks out the start codon
    expected = _network_logit_diff(model, mutant) - _network_logit_diff(model, MRNA)
    assert ism_mrna[18, 1] == pytest.approx(expected, abs=1e-4)


def test_mdig_is_zero_at_the_wild_type_and_agrees_with_ism(model: Bioseq2SeqModel,
                                                           mrna_batch: tuple[dict[str, np.ndarray], int],
                                                           ism_mrna: np.ndarray) -> None:
    inputs, n = mrna_batch
    attr = mdig_explainer(model, inputs, "transcript", target="logit_diff")[0]
    np.testing.assert_array_equal(attr, mdig(model, inputs, beta=0.5, steps=32)[0])
    wild = inputs["transcript"][0] == 1
    assert (attr[wild] == 0).all() and not np.signbit(attr[wild]).any() and (attr[n:] == 0).all()
    mutations = ~wild[:n]
    a, b = attr[:n][mutations], ism_mrna[:n][mutations]
    assert (a != 0).all()
    # the paper's claim, on this small model: MDIG estimates ISM's ΔS (here r 0.72), with its sign where the
    # effect is large (0.86 of the quarter of mutations with the largest |ΔS|), and per position (r 0.81)
    assert np.corrcoef(a, b)[0, 1] > 0.5
    large = np.abs(b) >= np.quantile(np.abs(b), 0.75)
    assert (np.sign(a[large]) == np.sign(b[large])).mean() > 0.75
    assert np.corrcoef(attr[:n].sum(axis=1), ism_mrna[:n].sum(axis=1))[0, 1] > 0.5


def test_mdig_follows_the_definition_on_a_n_position(model: Bioseq2SeqModel) -> None:
    """At an N there is no wild-type base: all four entries are the integrated ΔS estimates, as ISM gives four."""
    inputs = next(transcripts(model.spec, [MRNA[:30] + "N" + MRNA[31:]])).inputs
    attr = mdig(model, inputs, beta=0.25, steps=4)[0]
    assert (attr[30] != 0).all() and (attr[:30][inputs["transcript"][0, :30] == 1] == 0).all()
    # by hand: x̃_b moves position i a quarter of the way to b; the path gradient is averaged over 4 points
    x8, lengths = model.source_onehot(inputs)
    eye = np.eye(8, dtype=np.float32)
    delta = 0.25 * (x8[0] - eye[4])  # b = G, source id 4
    path = np.stack([x8[0] - delta + a * delta for a in np.linspace(0, 1, 4, dtype=np.float32)])
    grads = model.source_gradient(path, np.full(4, lengths[0]))
    np.testing.assert_allclose(attr[:, 2], -(delta * grads.mean(axis=0)).sum(axis=-1), rtol=1e-4, atol=1e-6)


def test_core_grad_and_ig_run_on_the_one_hot_and_stop_at_each_length(registered: Model, tmp_path: Path) -> None:
    fasta = _fasta(tmp_path / "x.fa", {"mrna": MRNA, "lncrna": LNCRNA})
    impl = registered.load()
    for method in ("grad", "ig"):
        got = list(registered.explain(fasta, method=method))
        assert [(a.id, a.attr.shape) for a in got] == [("mrna", (len(MRNA), 4)), ("lncrna", (len(LNCRNA), 4))]
        assert all(np.isfinite(a.attr).all() and np.abs(a.attr).sum() > 0 for a in got)
    # IG's completeness: the attributions sum to about S(x) − S(baseline). The path scales the A/C/G/T embeddings
    # toward 0, so its start is the zero 8-channel input (an exactly all-zero row would read as N instead)
    with torch.no_grad():
        zero = classify(impl.network, torch.zeros(1, len(MRNA), 8), torch.tensor([len(MRNA)])).logit_diff.item()
    assert got[0].attr.sum() == pytest.approx(got[0].prediction - zero, rel=0.1)


def test_zoo_predict_and_explain_from_the_command_line(registered: Model, zoo_cli: Callable[..., tuple[int, str, str]],
                                                       tmp_path: Path) -> None:
    import h5py
    import pandas as pd

    fasta = _fasta(tmp_path / "x.fa", {"mrna": MRNA, "lncrna": LNCRNA})
    code, _, err = zoo_cli("predict", "tiny-bioseq2seq", fasta, "-o", tmp_path / "out.tsv", "-q")
    assert code == 0, err
    table = pd.read_csv(tmp_path / "out.tsv", sep="\t")
    assert table["id"].tolist() == ["mrna", "lncrna"] and table["class"].tolist() == ["PC", "NC"]
    code, _, err = zoo_cli("explain", "tiny-bioseq2seq", fasta, "--method", "ism", "-o", tmp_path / "a.h5", "-q")
    assert code == 0, err
    with h5py.File(tmp_path / "a.h5") as h5:
        assert h5["attr/transcript/0"].shape == (len(MRNA), 4) and h5.attrs["target"] == "logit_diff"

    code, _, err = zoo_cli("explain", "tiny-bioseq2seq", fasta, "--method", "mdig", "-o", tmp_path / "m.h5", "-q")
    assert code == 0, err
    with h5py.File(tmp_path / "m.h5") as h5:
        attr, onehot = h5["attr/transcript/0"][:], h5["onehot/transcript/0"][:]
        assert attr.shape == (len(MRNA), 4) and h5.attrs["method"] == "mdig"
        assert np.all(attr[onehot == 1] == 0) and np.abs(attr).max() > 0
    code, _, err = zoo_cli("predict", "tiny-bioseq2seq", fasta, "--full-decode", "-o", tmp_path / "full.tsv", "-q")
    assert code == 0, err
    assert {"protein", "beams"} <= set(pd.read_csv(tmp_path / "full.tsv", sep="\t").columns)
