"""zoo-mirex as a plugin: the commands a user runs on the bundled models and examples, and the miRNA profile's effect.

The bundled weights come from a smoke training; what is checked is the plumbing (gene → targets → features, the
profile's units and errors), which holds for any weights.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from zoo_mirex.dataloader import match_names, resolve_gene

from zoo_core.api import get_model
from zoo_core.errors import InputError
from zoo_core.seqio import read_fasta

PKG = Path(__file__).resolve().parents[1] / "src" / "zoo_mirex"
EX = PKG / "examples"
PROMOTERS, TUMOUR, HALFLIFE = EX / "promoters_test.fa", EX / "luad_tumour_profile.tsv", EX / "halflife_test.tsv"
MODELS = ("mirex-lung", "mirex-prostate", "mirex-breast")
pytestmark = pytest.mark.skipif(not all((PKG / "models" / m / "model.yaml").is_file() for m in MODELS),
                                reason="the three trained models are not packaged yet (scripts/package.py)")
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture(autouse=True)
def _mirex_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "zoo-mirex")


def config(model: str = "mirex-lung") -> dict:
    return json.loads((PKG / "models" / model / "config.json").read_text())


def windows(tmp_path: Path, ids: list[str]) -> Path:
    """The first example window under each of ``ids`` (targeting depends on the id, not the sequence)."""
    seq = next(iter(read_fasta(PROMOTERS))).seq
    path = tmp_path / "w.fa"
    path.write_text("".join(f">{i}\n{seq}\n" for i in ids))
    return path


def profile(tmp_path: Path, values: dict[str, float], unit: str = "count", name: str = "p.tsv") -> Path:
    path = tmp_path / name
    path.write_text(f"mirna\t{unit}\n" + "".join(f"{k}\t{v}\n" for k, v in values.items()))
    return path


def test_import_loads_no_framework() -> None:
    code = "import sys, zoo_mirex; assert not {'torch', 'numpy'} & set(sys.modules), sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("model", MODELS)
def test_zoo_test_passes(zoo_cli: Cli, model: str) -> None:
    code, _, err = zoo_cli("test", model)
    assert code == 0, err


def test_predict_with_the_bundled_tumour_profile(zoo_cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out.tsv"
    code, _, err = zoo_cli("predict", "mirex-lung", PROMOTERS, "--mirna", TUMOUR, "-o", out, "-q")
    assert code == 0, err
    head = out.read_text().splitlines()[0].split("\t")
    assert head == ["id", "gene_symbol", "unknown_gene", "log10_ntpm", "targeting_mirnas"]


def test_a_profile_change_moves_only_genes_the_changed_mirna_targets(tmp_path: Path) -> None:
    cfg = config()
    mirnas, targets = cfg["mirnas"], cfg["targets"]
    changed = 0
    hit = sorted(s for s, js in targets.items() if changed in js)[:3]
    other = sorted(s for s, js in targets.items() if changed not in js)[:3]
    untargeted = ["GAPDH" if "GAPDH" not in targets else "ACTB"]
    ids = hit + other + untargeted
    path = windows(tmp_path, ids)
    base = dict(zip(mirnas, cfg["default_profile"]["counts"], strict=True))
    m = get_model("mirex-lung")
    a = m.predict(path, mirna=profile(tmp_path, base, name="a.tsv"))
    b = m.predict(path, mirna=profile(tmp_path, {**base, mirnas[changed]: base[mirnas[changed]] * 50 + 100}, name="b.tsv"))
    moved = dict(zip(ids, np.abs(a["log10_ntpm"] - b["log10_ntpm"]) > 0, strict=True))
    assert moved == {i: i in hit for i in ids}, moved
    assert all(mirnas[changed] in t.split(",") for t in a["targeting_mirnas"][: len(hit)])
    # the default (no --mirna) is the training profile, given here as counts
    assert np.allclose(m.predict(path)["log10_ntpm"], a["log10_ntpm"], atol=1e-6)


def test_rpm_profiles_scale_by_the_training_library_size(tmp_path: Path) -> None:
    cfg = config()
    lib = cfg["default_profile"]["library_size"]
    counts = dict(zip(cfg["mirnas"], cfg["default_profile"]["counts"], strict=True))
    hit = sorted(cfg["targets"])[:4]
    path = windows(tmp_path, hit)
    m = get_model("mirex-lung")
    a = m.predict(path, mirna=profile(tmp_path, {k: 3 * v for k, v in counts.items()}, name="c.tsv"))
    b = m.predict(path, mirna=profile(tmp_path, {k: 3 * v * 1e6 / lib for k, v in counts.items()}, "rpm", "r.tsv"))
    assert np.allclose(a["log10_ntpm"], b["log10_ntpm"], atol=1e-5)


def test_missing_mirnas_count_as_zero_with_one_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = config()
    mirnas = cfg["mirnas"]
    path = windows(tmp_path, sorted(cfg["targets"])[:2])
    m = get_model("mirex-lung")
    only = m.predict(path, mirna=profile(tmp_path, {mirnas[0]: 500.0, "hsa-miR-not-in-model": 3.0}, name="o.tsv"))
    err = capsys.readouterr().err
    assert f"{len(mirnas) - 1} of its {len(mirnas)} miRNAs are not in" in err
    assert all(x in err for x in mirnas[1:]) and err.count("zoo: warning") == 1
    zeros = m.predict(path, mirna=profile(tmp_path, {mirnas[0]: 500.0, **dict.fromkeys(mirnas[1:], 0.0)}, name="z.tsv"))
    assert np.allclose(only["log10_ntpm"], zeros["log10_ntpm"], atol=1e-7)


def test_gene_ids_symbols_versions_and_unknown_genes(tmp_path: Path) -> None:
    assert resolve_gene("ENSG00000000938") == "FGR" == resolve_gene("ENSG00000000938.13") == resolve_gene("fgr")
    assert resolve_gene("x|FGR") == "FGR" and resolve_gene("NOT_A_GENE") is None
    cfg = config()
    symbol = sorted(cfg["targets"])[0]
    ids = [symbol, "NOT_A_GENE", "GAPDH" if "GAPDH" not in cfg["targets"] else "ACTB"]
    path = windows(tmp_path, ids)
    out = get_model("mirex-lung").predict(path)
    assert out["unknown_gene"].tolist() == [False, True, False]
    assert out["targeting_mirnas"].tolist()[1:] == ["", ""] and out["targeting_mirnas"][0]
    # an unknown gene gets no targets: it predicts as an untargeted gene. Each alone, so both are row 0 of a batch
    # (rows of one float32 batch may differ by an ulp of BLAS blocking, which would not be the model's doing)
    alone = [get_model("mirex-lung").predict(windows(tmp_path, [g]))["log10_ntpm"][0] for g in ids[1:]]
    assert alone[0] == pytest.approx(alone[1], abs=1e-7)


def test_profile_names_match_across_mirbase_spellings() -> None:
    assert match_names(["hsa-miR-137-3p", "hsa-miR-375", "hsa-miR-23a-3p"],
                       ["hsa-miR-137", "hsa-miR-375-3p", "hsa-miR-23a-5p"]) == {
        "hsa-miR-137-3p": "hsa-miR-137", "hsa-miR-375": "hsa-miR-375-3p"}


@pytest.mark.parametrize(("text", "reason"), [
    ("mirna\tcount\nhsa-miR-21-5p\tlots\n", "record 'hsa-miR-21-5p': line 2: count 'lots' is not a number"),
    ("mirna\tcount\nhsa-miR-21-5p\t12\nhsa-miR-21-5p\t13\n", "record 'hsa-miR-21-5p': line 3: miRNA listed twice"),
    ("mirna\trpm\nhsa-miR-21-5p\t-1\n", "record 'hsa-miR-21-5p': line 2: rpm '-1' is not a finite non-negative number"),
    ("mirna\ttpm\nhsa-miR-21-5p\t1\n", "line 1: expected a header of 2 tab-separated columns"),
])
def test_bad_profiles_are_one_line_errors_naming_the_record(zoo_cli: Cli, tmp_path: Path, text: str,
                                                           reason: str) -> None:
    bad, out = tmp_path / "bad.tsv", tmp_path / "out.tsv"
    bad.write_text(text)
    code, _, err = zoo_cli("predict", "mirex-lung", PROMOTERS, "--mirna", bad, "-o", out)
    assert code == 1 and "Traceback" not in err and not out.exists()
    assert err.splitlines()[0] == f"Error: {bad}: {reason}" or err.splitlines()[0].startswith(f"Error: {bad}: {reason}")


def test_wrong_window_length_is_one_line_naming_the_record(zoo_cli: Cli, tmp_path: Path) -> None:
    fa, out = tmp_path / "short.fa", tmp_path / "out.tsv"
    fa.write_text(">FGR\n" + "ACGT" * 500 + "\n")
    code, _, err = zoo_cli("predict", "mirex-lung", fa, "-o", out)
    assert code == 1 and "Traceback" not in err and not out.exists()
    assert err.splitlines()[0] == (f"Error: {fa}: record 'FGR': sequence length 2,000, the model takes exactly 2,048 nt "
                                   "(TSS at index 1,024)")


def test_halflife_table_is_transformed_as_in_training(tmp_path: Path) -> None:
    m = get_model("mirex-lung")
    impl = m.load()
    batch = next(iter(m.batches(PROMOTERS, halflife=HALFLIFE)))
    z = impl.half_life(batch.inputs)
    stats = config()["half_life"]["stats"]
    raw = float(HALFLIFE.read_text().splitlines()[1].split("\t")[2])  # CDSLEN of the first example
    assert z[0, 1] == pytest.approx((np.log10(raw + 0.1) - stats["CDSLEN"]["mean"]) / stats["CDSLEN"]["sd"], abs=1e-5)
    missing = tmp_path / "hl.tsv"
    missing.write_text("\n".join(HALFLIFE.read_text().splitlines()[:2]) + "\n")
    with pytest.raises(InputError, match="no row in the half-life table"):
        m.predict(PROMOTERS, halflife=missing)


@pytest.mark.parametrize("method", ["grad", "ig"])
def test_explain_on_the_promoter(tmp_path: Path, method: str) -> None:
    # grad on every example (a smoke-trained network can have a dead ReLU path, a zero gradient, for some windows);
    # ig, 50 passes per window, on the first two
    src = PROMOTERS
    if method == "ig":
        src = tmp_path / "two.fa"
        src.write_text("\n".join(PROMOTERS.read_text().splitlines()[:4]) + "\n")
    attrs = list(get_model("mirex-lung").explain(src, method=method, mirna=TUMOUR))
    assert len(attrs) == (8 if method == "grad" else 2)
    assert all(a.attr.shape == (2048, 4) and np.isfinite(a.attr).all() for a in attrs)
    assert sum(float(np.abs(a.attr).sum()) for a in attrs) > 0
