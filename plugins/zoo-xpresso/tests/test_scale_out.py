"""Runs in parts and on Ray (local instance, 2 workers): the same rows and values as a local run, resumable after a
kill, shards that merge to the whole. Inputs: real 10,500-nt windows slid along the bundled hg38 chr22 piece."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pyfaidx
import pytest

from zoo_core.seqio import reverse_complement

EX = Path(__file__).resolve().parents[1] / "src" / "zoo_xpresso" / "examples"
GENOME = EX / "chr22_32000000_32300000.fa"
MODEL = "xpresso-human-median"

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    __import__("importlib").util.find_spec("ray") is None, reason="needs the ray extra: pip install 'zoo[ray]'")]


@pytest.fixture(autouse=True)
def _xpresso_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "zoo-xpresso")


@pytest.fixture(scope="module")
def windows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 windows, every 7,001 nt, alternately on the + and − strand."""
    seq = str(pyfaidx.Fasta(str(GENOME))["chr22_32000000_32300000"]).upper()
    path = tmp_path_factory.mktemp("win") / "windows.fa"
    with open(path, "w") as fh:
        for k in range(40):
            w = seq[k * 7001: k * 7001 + 10500]
            fh.write(f">w{k}\n{w if k % 2 == 0 else reverse_complement(w)}\n")
    return path


def _table(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, sep="\t")


def test_ray_predict_gives_the_local_table(ray_local, windows: Path, zoo_cli, tmp_path: Path) -> None:
    local, one, two = tmp_path / "local.parquet", tmp_path / "one.parquet", tmp_path / "two.parquet"
    assert zoo_cli("predict", MODEL, windows, "-o", local, "--batch-size", "8", "-q")[0] == 0
    code, _, err = zoo_cli("predict", MODEL, windows, "-o", two, "--batch-size", "8", "--part-size", "8",
                           "--engine", "ray", "--num-workers", "2", "-q")
    assert code == 0, err
    a, b = _table(local), _table(two)
    assert b["id"].tolist() == a["id"].tolist()  # every row once, in record order
    # 2 workers of 1 thread against a 2-thread local run: TensorFlow sums the convolutions in another order
    assert np.abs(b["expression_pred"] - a["expression_pred"]).max() < 1e-6
    # one worker with the local run's threads: the same values to the bit
    code, _, err = zoo_cli("predict", MODEL, windows, "-o", one, "--batch-size", "8", "--part-size", "8",
                           "--engine", "ray", "--num-workers", "1", "--threads-per-worker", str(os.cpu_count() or 1), "-q")
    assert code == 0, err
    pd.testing.assert_frame_equal(_table(one), a, check_exact=True)


def test_ray_vep_gives_the_local_table(ray_local, zoo_cli, tmp_path: Path) -> None:
    args = ["vep", MODEL, EX / "variants.vcf", "--genome", GENOME, "--annotation", EX / "tss.bed", "--chunk-size", "3",
            "-q"]
    assert zoo_cli(*args, "-o", tmp_path / "local.tsv")[0] == 0
    code, _, err = zoo_cli(*args, "-o", f"{tmp_path}/ray/", "--engine", "ray", "--num-workers", "2")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "ray").glob("part-*.parquet")) == [f"part-0000{i}.parquet" for i in range(4)]
    assert zoo_cli("merge", tmp_path / "ray", "-o", tmp_path / "merged.tsv", "-q")[0] == 0
    a = pd.read_csv(tmp_path / "local.tsv", sep="\t", keep_default_na=False, na_values=[""])
    b = pd.read_csv(tmp_path / "merged.tsv", sep="\t", keep_default_na=False, na_values=[""])
    pd.testing.assert_frame_equal(b.drop(columns=["ref_value", "alt_value", "score"]),
                                  a.drop(columns=["ref_value", "alt_value", "score"]))
    np.testing.assert_allclose(b["score"], a["score"], atol=1e-6, equal_nan=True)


def test_a_killed_run_resumes_without_losing_or_repeating_a_row(windows: Path, zoo_cli, tmp_path: Path) -> None:
    """The run is killed (SIGKILL, no clean-up) right after its third part is written; --resume finishes it."""
    out = tmp_path / "run"
    script = textwrap.dedent(f"""
        import os, signal, sys
        import zoo_core.parts as parts
        written = []
        original = parts.write_part
        def write_then_die(folder, index, table):
            rows = original(folder, index, table)
            written.append(index)
            if len(written) == 3:
                (folder / ".part-99999.parquet.part").write_text("a part in flight")  # what a kill leaves behind
                os.kill(os.getpid(), signal.SIGKILL)
            return rows
        parts.write_part = write_then_die
        from zoo.cli import main
        main(["predict", "{MODEL}", "{windows}", "-o", "{out}/", "--batch-size", "8", "--part-size", "8", "-q"])
    """)
    env = {**os.environ, "ZOO_LOAD_PLUGINS": "zoo-xpresso"}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == -9, proc.stderr
    assert len(list(out.glob("part-*.parquet"))) == 3
    code, _, err = zoo_cli("predict", MODEL, windows, "-o", f"{out}/", "--batch-size", "8", "--part-size", "8",
                           "--resume", "-q")
    assert code == 0, err
    assert not list((out / "inputs").iterdir())  # every part's input copy is gone once its output exists
    assert zoo_cli("merge", out, "-o", tmp_path / "merged.parquet", "-q")[0] == 0
    assert zoo_cli("predict", MODEL, windows, "-o", tmp_path / "whole.parquet", "--batch-size", "8", "-q")[0] == 0
    merged, whole = _table(tmp_path / "merged.parquet"), _table(tmp_path / "whole.parquet")
    assert merged["id"].is_unique and len(merged) == 40
    pd.testing.assert_frame_equal(merged, whole, check_exact=True)
    # a second --resume has nothing left to do; a run without it refuses to mix with the parts there
    code, _, err = zoo_cli("predict", MODEL, windows, "-o", f"{out}/", "--batch-size", "8", "--part-size", "8")
    assert code == 1 and "--resume" in err


def test_shards_merge_to_the_whole_and_a_missing_shard_is_named(windows: Path, zoo_cli, tmp_path: Path) -> None:
    common = ["--batch-size", "8", "--part-size", "8", "-q"]
    for k in (1, 2):
        assert zoo_cli("predict", MODEL, windows, "-o", f"{tmp_path}/s{k}/", "--shard", f"{k}/2", *common)[0] == 0
    assert zoo_cli("merge", tmp_path / "s1", tmp_path / "s2", "-o", tmp_path / "merged.parquet", "-q")[0] == 0
    assert zoo_cli("predict", MODEL, windows, "-o", tmp_path / "whole.parquet", "--batch-size", "8", "-q")[0] == 0
    pd.testing.assert_frame_equal(_table(tmp_path / "merged.parquet"), _table(tmp_path / "whole.parquet"),
                                  check_exact=True)
    code, _, err = zoo_cli("merge", tmp_path / "s1", "-o", tmp_path / "half.parquet")
    assert code == 1 and "belongs to a shard not given" in err and not (tmp_path / "half.parquet").exists()


def test_parts_with_no_row_merge_with_the_others(zoo_cli, tmp_path: Path) -> None:
    """vep parts whose variants all lie outside every window hold no row (and no column types)."""
    args = ["vep", MODEL, EX / "variants.vcf", "--genome", GENOME, "--annotation", EX / "tss.bed", "-q"]
    assert zoo_cli(*args, "-o", tmp_path / "local.parquet")[0] == 0
    code, _, err = zoo_cli(*args, "-o", f"{tmp_path}/parts/", "--part-size", "1")
    assert code == 0, err
    assert len(list((tmp_path / "parts").glob("part-*.parquet"))) == 10  # one part per record
    assert zoo_cli("merge", tmp_path / "parts", "-o", tmp_path / "parts.parquet", "-q")[0] == 0
    got, want = _table(tmp_path / "parts.parquet"), _table(tmp_path / "local.parquet")
    assert got["id"].tolist() == want["id"].tolist()  # ex4 (outside) had a part of its own, with no row
