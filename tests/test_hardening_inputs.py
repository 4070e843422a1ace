"""Input and output hardening: feature tables, BED windows, ZOO_LOAD_PLUGINS, --device and optional extras.

Each bad input stops with one line naming the file (or option), the record and the reason, exit code 1, no
traceback and no output file.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest

from zoo_core import registry as registry_mod
from zoo_core.dataloaders import read_feature_table
from zoo_core.devices import check_device
from zoo_core.errors import InputError, UnknownModelError, ZooError
from zoo_core.intervals import Genome, Interval, read_intervals

Cli = Callable[..., tuple[int, str, str]]
GOOD = "ACGT" * 50  # 200 nt, the toy model's window


def _first_error(code: int, stderr: str) -> str:
    """The CLI's one error line (exit 1, no traceback)."""
    assert code == 1, stderr
    assert "Traceback" not in stderr
    return stderr.strip().splitlines()[0]


# -- --features ----------------------------------------------------------------------------------------------------


@pytest.fixture
def toyfeat(use_plugins: Callable[..., registry_mod.Registry], toy_plugin: ModuleType, tmp_path: Path) -> str:
    """The toy model with a numeric input of 2 values (``extra``), so it takes ``--features``."""
    toy_dir = Path(toy_plugin.__file__).parent / "models" / "toy"
    folder = tmp_path / "toyfeat"
    folder.mkdir()
    text = (toy_dir / "model.yaml").read_text()
    text = re.sub(r"^name: \S+", "name: toyfeat", text, count=1, flags=re.MULTILINE)
    text = text.replace("outputs:", "  - {name: extra, kind: numeric, length: 2, encoding: float32, doc: two numbers}\n"
                                    "outputs:", 1)
    (folder / "model.yaml").write_text(text)
    (folder / "model.safetensors").symlink_to(toy_dir / "model.safetensors")

    class Plugin:
        @staticmethod
        @registry_mod.hookspecs.hookimpl
        def register_models(register):  # type: ignore[no-untyped-def]
            register(folder / "model.yaml", "zoo_toy.model:Model")

    reg = use_plugins((toy_plugin, "zoo-toy"), (Plugin(), "zoo-toyfeat"))
    assert reg.errors == [], reg.errors
    return "toyfeat"


@pytest.mark.parametrize(("cell", "reason"), [
    ("x", "column 'f2' of input 'extra': 'x' is not a number"),  # was: TypeError on pandas 3's StringDtype
    ("", "column 'f2' of input 'extra': empty cell"),  # was: NaN predictions
    ("inf", "column 'f2' of input 'extra': 'inf' is not a finite number"),  # was: inf predictions
    ("NaN", "column 'f2' of input 'extra': 'NaN' is not a number"),
    ("1e40", "column 'f2' of input 'extra': '1e40' is too large for float32"),
])
def test_feature_table_bad_cell_is_one_line_naming_file_row_and_column(
        toyfeat: str, zoo_cli: Cli, tmp_path: Path, cell: str, reason: str) -> None:
    fa = tmp_path / "in.fa"
    fa.write_text(f">a\n{GOOD}\n>b\n{GOOD}\n")
    table = tmp_path / "feat.tsv"
    table.write_text(f"id\tf1\tf2\na\t1\t2\nb\t3\t{cell}\n")
    out = tmp_path / "out.tsv"
    line = _first_error(*zoo_cli("predict", toyfeat, fa, "--features", table, "-o", out)[::2])
    assert line == f"Error: {table}: record 'b': {reason}"
    assert not out.exists()


def test_feature_table_ids_are_strings(toyfeat: str, zoo_cli: Cli, tmp_path: Path) -> None:
    """'007' stays '007' (it was read as the number 7, so the record had 'no row')."""
    fa = tmp_path / "in.fa"
    fa.write_text(f">007\n{GOOD}\n>1e3\n{GOOD}\n")
    table = tmp_path / "feat.tsv"
    table.write_text("id\tf1\tf2\n007\t1\t2\n1e3\t3\t4\n")
    assert sorted(read_feature_table(table, "extra", 2)) == ["007", "1e3"]
    code, _, err = zoo_cli("predict", toyfeat, fa, "--features", table, "-o", tmp_path / "out.tsv", "-q")
    assert code == 0, err


def test_feature_table_values_and_duplicate_ids(tmp_path: Path) -> None:
    table = tmp_path / "feat.tsv"
    table.write_text("id\tf1\tf2\na\t1.5\t-2\n")
    got = read_feature_table(table, "extra", 2)
    assert got["a"].dtype == np.float32 and got["a"].tolist() == [1.5, -2.0]
    table.write_text("id\tf1\tf2\na\t1\t2\na\t3\t4\n")  # the last row would silently win
    with pytest.raises(InputError, match="record 'a': duplicate id in the feature table"):
        read_feature_table(table, "extra", 2)


# -- BED -----------------------------------------------------------------------------------------------------------


@pytest.fixture
def genome(tmp_path: Path) -> Genome:
    fa = tmp_path / "genome.fa"
    fa.write_text(">chr1\n" + "ACGT" * 75 + "\n")  # 300 nt
    return Genome(fa)


@pytest.mark.parametrize(("row", "reason"), [
    ("chr1 10 20", "line 1: malformed BED row: expected at least 3 tab-separated columns (chrom, start, end), found 1"),
    ("chr1\t10", "line 1: malformed BED row: expected at least 3 tab-separated columns (chrom, start, end), found 2"),
    ("chr1\tten\t20", "line 1: malformed BED row: start/end 'ten'/'20' are not integers"),
])
def test_malformed_bed_row_says_what_is_expected(tmp_path: Path, row: str, reason: str) -> None:
    bed = tmp_path / "x.bed"
    bed.write_text(row + "\n")
    with pytest.raises(InputError) as e:
        list(read_intervals(bed))
    assert str(e.value) == f"{bed}: {reason}"  # was: "malformed BED row (list index out of range)"


def test_window_wholly_past_the_contig_end_is_an_error(genome: Genome, toy, zoo_cli: Cli, tmp_path: Path) -> None:
    """It used to give a sequence of 'N's longer than the window (a 'sequence length' error, or garbage)."""
    with pytest.raises(InputError, match=r"record 'far': window chr1:400-600 \(0-based\) lies wholly past the end of "
                                         r"contig 'chr1' \(300 nt in genome.fa\)"):
        genome.fetch(Interval("chr1", 400, 600, "far"), source="x.bed")
    with pytest.raises(InputError, match=r"record 'neg': window chr1:-300--100 \(0-based\) lies wholly before the start"):
        genome.fetch(Interval("chr1", -300, -100, "neg", "-"), source="x.bed")
    bed = tmp_path / "far.bed"
    bed.write_text("chr1\t400\t401\tfar\t0\t+\n")
    out = tmp_path / "out.tsv"
    line = _first_error(*zoo_cli("predict", "toy", bed, "--genome", genome.path, "-o", out)[::2])
    assert line.startswith(f"Error: {bed}: record 'far': window chr1:400-600 (0-based) lies wholly past the end")
    assert "300 nt" in line and not out.exists()


def test_padding_warning_says_which_side(genome: Genome, capsys: pytest.CaptureFixture[str]) -> None:
    """A window reaching before position 0 was reported as 'past the contig end'."""
    seq = genome.fetch_window(Interval("chr1", -10, 190, "early"), source="x.bed")
    assert len(seq) == 200 and seq.startswith("N" * 10) and seq[10:14] == "ACGT"
    seq = genome.fetch_window(Interval("chr1", 250, 450, "late"), source="x.bed")
    assert len(seq) == 200 and seq.endswith("N" * 150)
    err = capsys.readouterr().err.splitlines()
    assert err == ["zoo: warning: x.bed: record 'early': 10 positions before the contig start (chr1, 300 nt) "
                   "were filled with N",
                   "zoo: warning: x.bed: record 'late': 150 positions past the contig end (chr1, 300 nt) "
                   "were filled with N"]
    assert genome.fetch(Interval("chr1", -10, 190, "early", "-"), source="x.bed")[1] == 10


# -- ZOO_LOAD_PLUGINS ----------------------------------------------------------------------------------------------


def test_unknown_model_under_an_allowlist_says_so(toy_site: Path, zoo_cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "")
    hint = "ZOO_LOAD_PLUGINS='' restricts plugins; unset it to load all"
    line = _first_error(*zoo_cli("predict", "toy", tmp_path / "x.fa", "-o", tmp_path / "o.tsv")[::2])
    assert line.startswith("Error: Unknown model 'toy'.") and hint in line  # Registry.get
    line = _first_error(*zoo_cli("info", "toy")[::2])
    assert line.startswith("Error: Unknown model 'toy'.") and hint in line  # Catalog.get
    monkeypatch.delenv("ZOO_LOAD_PLUGINS")
    assert "ZOO_LOAD_PLUGINS" not in str(UnknownModelError("nope", ["toy"]))


def test_an_allowlisted_name_that_is_not_installed_is_warned_about(toy_site: Path, zoo_cli: Cli,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "zoo-toy,zoo-nonexistent")
    code, out, err = zoo_cli("list")
    assert code == 0 and out.startswith("toy ")
    warning = "zoo: warning: ZOO_LOAD_PLUGINS names 'zoo-nonexistent', which is not an installed zoo plugin"
    assert err.count(warning) == 1 and "zoo-toy" in err.split(warning)[1].splitlines()[0]
    registry_mod.reset_registry()  # and from the cache: still said
    code, _, err = zoo_cli("list")
    assert code == 0 and warning in err


# -- --device ------------------------------------------------------------------------------------------------------


def _fake_torch(monkeypatch: pytest.MonkeyPatch, *, gpus: int, cuda_build: bool = True) -> None:
    fake = SimpleNamespace(__version__="0.0-fake", version=SimpleNamespace(cuda="12.8" if cuda_build else None),
                           cuda=SimpleNamespace(is_available=lambda: gpus > 0, device_count=lambda: gpus),
                           backends=SimpleNamespace(mps=SimpleNamespace(is_available=lambda: False)))
    monkeypatch.setitem(sys.modules, "torch", fake)


@pytest.mark.parametrize(("device", "canonical"), [
    (None, None), ("cpu", "cpu"), ("CPU", "cpu"), ("cuda", "cuda:0"), ("gpu", "cuda:0"), ("cuda:1", "cuda:1"),
    ("GPU:1", "cuda:1"),
])
def test_device_spellings_are_normalised(monkeypatch: pytest.MonkeyPatch, device: str | None,
                                         canonical: str | None) -> None:
    _fake_torch(monkeypatch, gpus=2)
    assert check_device(device, "torch") == canonical


@pytest.mark.parametrize(("device", "gpus", "cuda_build", "reason"), [
    ("banana", 2, True, "unknown device 'banana'; use cpu, cuda, cuda:N, gpu, gpu:N or mps"),
    ("cpu:0", 2, True, "unknown device 'cpu:0'"),
    ("cuda", 0, False, "'cuda' is not available: torch 0.0-fake is a CPU-only build (use --device cpu)"),
    ("gpu", 0, True, "'gpu' is not available: torch 0.0-fake sees no CUDA GPU (use --device cpu)"),
    ("cuda:2", 2, True, "'cuda:2' is not available: torch sees 2 CUDA GPU(s), cuda:0 to cuda:1"),
    ("mps", 2, True, "'mps' is not available: torch 0.0-fake sees no Apple MPS device"),
])
def test_unavailable_device_is_an_error_never_a_fallback(monkeypatch: pytest.MonkeyPatch, device: str, gpus: int,
                                                        cuda_build: bool, reason: str) -> None:
    _fake_torch(monkeypatch, gpus=gpus, cuda_build=cuda_build)
    with pytest.raises(InputError) as e:
        check_device(device, "torch")
    assert str(e.value).startswith(f"--device: {reason}")


def test_device_for_numpy_and_other_frameworks() -> None:
    with pytest.raises(InputError, match="'cuda' is not available: this model runs on numpy, on the CPU only"):
        check_device("cuda", "numpy")
    with pytest.raises(InputError, match="'mps' is a torch device; this model runs on TensorFlow"):
        check_device("mps", "tensorflow")
    assert check_device("gpu:3", "jax") == "cuda:3"  # a framework zoo does not know: the spelling only


@pytest.mark.parametrize(("device", "reason"), [
    ("banana", "--device: unknown device 'banana'"),
    ("cuda", "--device: 'cuda' is not available: this model runs on numpy"),
])
def test_bad_device_through_the_cli(toy, zoo_cli: Cli, toy_example: Path, tmp_path: Path, device: str,
                                    reason: str) -> None:
    out = tmp_path / "out.tsv"
    line = _first_error(*zoo_cli("predict", "toy", toy_example, "--device", device, "-o", out)[::2])
    assert line.startswith(f"Error: {reason}")
    assert not out.exists()
    assert zoo_cli("predict", "toy", toy_example, "--device", "cpu", "-o", out, "-q")[0] == 0


# -- optional dependencies -----------------------------------------------------------------------------------------


def _without(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Make ``import name`` fail as if the package were not installed."""
    for name in names:
        monkeypatch.setitem(sys.modules, name, None)


def test_require_plot_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from zoo_core.plot import require_plot

    require_plot()  # installed here: nothing to say
    _without(monkeypatch, "logomaker")
    with pytest.raises(InputError) as e:
        require_plot()
    assert str(e.value) == "--png-dir: plots need logomaker, not installed: pip install 'zoo[plot]'"
    _without(monkeypatch, "matplotlib")
    with pytest.raises(ZooError, match=r"plots need matplotlib and logomaker, not installed: pip install 'zoo\[plot\]'"):
        require_plot(None)


def test_png_dir_without_matplotlib_is_one_line_and_writes_nothing(toy, zoo_cli: Cli, toy_example: Path,
                                                                    tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _without(monkeypatch, "matplotlib", "logomaker")
    out, pngs = tmp_path / "attr.h5", tmp_path / "plots"
    line = _first_error(*zoo_cli("explain", "toy", toy_example, "--method", "grad", "-o", out,
                                 "--png-dir", pngs)[::2])
    assert "plots need matplotlib and logomaker" in line and "pip install 'zoo[plot]'" in line  # was: ModuleNotFoundError
    assert not out.exists() and not pngs.exists()


def test_parquet_without_pyarrow_is_one_line(toy, zoo_cli: Cli, toy_example: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _without(monkeypatch, "pyarrow")
    out = tmp_path / "out.parquet"
    line = _first_error(*zoo_cli("predict", "toy", toy_example, "-o", out)[::2])
    assert line == f"Error: {out}: Parquet output needs pyarrow: pip install 'zoo[parquet]'"
    assert not out.exists()
