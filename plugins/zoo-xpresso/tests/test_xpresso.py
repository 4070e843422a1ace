"""zoo-xpresso: published weights reproduce the published Kipoi predictions, in every input mode."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import zoo
from zoo_core.seqio import read_fasta, reverse_complement

PKG = Path(__file__).resolve().parents[1] / "src" / "zoo_xpresso"
EX = PKG / "examples"
GENOME = EX / "chr22_32000000_32300000.fa"
SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "expression"
KIPOI = pd.read_csv(EX / "kipoi_expected.tsv", sep="\t")

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _xpresso_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "zoo-xpresso")


def _check_against_kipoi(out: Path, sep: str = "\t") -> None:
    got = pd.read_csv(out, sep=sep).merge(KIPOI, on="id", suffixes=("", "_kipoi"))
    assert len(got) == 4
    assert np.abs(got["expression_pred"] - got["expression_pred_kipoi"]).max() < 1e-5


@pytest.mark.parametrize(
    "inputs",
    [
        ["promoters.fa"],  # FASTA of stranded 10,500-nt windows
        ["promoters.bed", "--genome", "GENOME"],  # genome + BED of windows
        ["tss.bed", "--genome", "GENOME"],  # genome + BED of 1-nt TSSs, anchored at index 7,000
    ],
    ids=["fasta", "genome-bed-windows", "genome-bed-tss"],
)
def test_reproduces_published_kipoi_predictions(inputs: list[str], zoo_cli, tmp_path: Path) -> None:
    args = [str(GENOME) if a == "GENOME" else (str(EX / a) if a.endswith((".fa", ".bed")) else a) for a in inputs]
    out = tmp_path / "out.tsv"
    code, _, err = zoo_cli("predict", "xpresso-human-median", *args, "-o", out, "-q")
    assert code == 0, err
    _check_against_kipoi(out)


def test_genome_gtf_mode(zoo_cli, tmp_path: Path) -> None:
    """Transcripts from a GTF: the 5' end (strand-aware) is the TSS."""
    gtf = tmp_path / "tx.gtf"
    rows = []
    for line in (EX / "tss.bed").read_text().splitlines():
        chrom, start, _, name, _, strand = line.split("\t")
        tss = int(start)
        lo, hi = (tss + 1, tss + 2000) if strand == "+" else (tss - 1999, tss + 1)  # 1-based inclusive
        rows.append(f'{chrom}\tzoo\ttranscript\t{lo}\t{hi}\t.\t{strand}\t.\tgene_id "{name}"; transcript_id "{name}";')
        rows.append(f'{chrom}\tzoo\texon\t{lo}\t{hi}\t.\t{strand}\t.\tgene_id "{name}"; transcript_id "{name}";')
    gtf.write_text("\n".join(rows) + "\n")
    out = tmp_path / "out.csv"
    assert zoo_cli("predict", "xpresso-human-median", gtf, "--genome", GENOME, "-o", out, "-q")[0] == 0
    _check_against_kipoi(out, sep=",")


def test_xpresso_20kb_windows_are_cropped(tmp_path: Path) -> None:
    """Xpresso's own TSS±10 kb (20,000-nt) windows give the same prediction as the 10.5 kb window."""
    piece = next(read_fasta(GENOME)).seq
    fa = tmp_path / "w20k.fa"
    with fa.open("w") as fh:
        for line in (EX / "tss.bed").read_text().splitlines():
            _, start, _, name, _, strand = line.split("\t")
            tss = int(start)
            seq = piece[tss - 10000: tss + 10000] if strand == "+" else reverse_complement(piece[tss - 9999: tss + 10001])
            fh.write(f">{name}\n{seq}\n")
    df = zoo.get_model("xpresso-human-median").predict(fa)
    merged = df.merge(KIPOI, on="id", suffixes=("", "_kipoi"))
    assert np.abs(merged["expression_pred"] - merged["expression_pred_kipoi"]).max() < 1e-5


def test_halflife_features_table(tmp_path: Path) -> None:
    m = zoo.get_model("xpresso-human-median")
    table = tmp_path / "hl.tsv"
    ids = KIPOI["id"].tolist()
    table.write_text("id\t" + "\t".join(f"f{i}" for i in range(6)) + "\n" +
                     "".join(f"{i}\t" + "\t".join(["1.5"] * 6) + "\n" for i in ids))
    with_hl = m.predict(EX / "promoters.fa", features=table)
    zeros = m.predict(EX / "promoters.fa")
    assert not np.allclose(with_hl["expression_pred"], zeros["expression_pred"])
    table.write_text("id\t" + "\t".join(f"f{i}" for i in range(6)) + "\n" + f"{ids[0]}\t" + "\t".join(["0"] * 6) + "\n")
    with pytest.raises(ValueError, match=f"record '{ids[1]}': no row for input 'halflife'"):
        m.predict(EX / "promoters.fa", features=table)


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data/expression (the published h5 files)")
@pytest.mark.parametrize("model_id", ["xpresso-human-median", "xpresso-mouse-median"])
def test_safetensors_equal_the_published_h5(model_id: str) -> None:
    """Every tensor of the bundled safetensors equals the published h5, and so do predictions."""
    import h5py
    from safetensors.numpy import load_file

    from zoo_xpresso.model import LAYERS

    h5name = {"xpresso-human-median": "xpresso_human_median_trainepoch.11-0.426.h5",
              "xpresso-mouse-median": "xpresso_mouse_median_trainepoch.05-0.278.h5"}[model_id]
    ours = load_file(PKG / "models" / model_id / "model.safetensors")
    with h5py.File(SHARED / h5name) as f:
        for layer in LAYERS:
            for kind in ("kernel", "bias"):
                np.testing.assert_array_equal(ours[f"{layer}.{kind}"], f["model_weights"][layer][layer][f"{kind}:0"][:])
    assert len(ours) == 2 * len(LAYERS)


def test_zoo_test_passes_for_both_models(zoo_cli) -> None:
    code, out, err = zoo_cli("test", "xpresso-human-median", "xpresso-mouse-median")
    assert code == 0, err
    assert out.count(": PASS (4 records;") == 2


def test_explain_grad_and_ig(zoo_cli, tmp_path: Path) -> None:
    """Gradient × input and IG from the ACGT background baseline; IG is complete (sums to Δf)."""
    import h5py

    out = tmp_path / "ig.h5"
    assert zoo_cli("explain", "xpresso-human-median", EX / "promoters.fa", "--method", "ig", "-o", out, "-q")[0] == 0
    m = zoo.get_model("xpresso-human-median")
    base = np.broadcast_to(np.array(m.info.explain.baseline, np.float32), (1, 10500, 4)).copy()
    f_base = float(m.load().predict_on_batch({"promoter": base, "halflife": np.zeros((1, 6), np.float32)})[0, 0])
    with h5py.File(out) as h5:
        assert h5["attr/promoter/0"].shape == (10500, 4)
        totals = np.array([h5[f"attr/promoter/{k}"][:].sum() for k in range(4)])
        preds = h5["prediction"][:]
    np.testing.assert_allclose(totals, preds - f_base, atol=0.05 * np.abs(preds - f_base).max())
    grad = tmp_path / "grad.h5"
    assert zoo_cli("explain", "xpresso-human-median", EX / "promoters.fa", "--method", "grad", "-o", grad, "-q")[0] == 0
    with h5py.File(grad) as h5:
        a, x = h5["attr/promoter/1"][:], h5["onehot/promoter/1"][:]
        assert np.all(a[x == 0] == 0) and np.abs(a).max() > 0


def test_help_lists_features_and_only_the_core_flags_besides(zoo_cli) -> None:
    code, out, _ = zoo_cli("predict", "xpresso-human-median", "--help")
    assert code == 0 and "--features PATH" in out
    flags = sorted({w.rstrip(",.") for w in out.split() if w.startswith("--")})
    assert flags == ["--batch-size", "--device", "--engine", "--features", "--genome", "--gpus-per-worker", "--help",
                     "--num-workers", "--output", "--part-size", "--quiet", "--resume", "--shard", "--threads-per-worker",
                     "--weights-dir"]


@pytest.mark.parametrize("device", ["cuda", "banana"])
def test_unavailable_or_unknown_device_is_one_line_not_a_silent_cpu_run(zoo_cli, tmp_path: Path, device: str) -> None:
    """TensorFlow ran a missing GPU's work on the CPU without a word; the core now refuses it."""
    import tensorflow as tf

    if device == "cuda" and tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    out = tmp_path / "out.tsv"
    code, _, err = zoo_cli("predict", "xpresso-human-median", EX / "promoters.fa", "--device", device, "-o", out)
    assert code == 1 and "Traceback" not in err and not out.exists()
    expected = ("Error: --device: 'cuda' is not available: TensorFlow" if device == "cuda"
                else "Error: --device: unknown device 'banana'")
    assert err.splitlines()[0].startswith(expected), err
