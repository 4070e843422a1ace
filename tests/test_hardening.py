"""Regressions of the reliability campaign: no lost input, no traceback on a user's file, pipes and compression.

Every case ends in an exact result, or one line naming the file (and record) with exit code != 0, no output
file, and the inputs unchanged.
"""

from __future__ import annotations

import errno
import gzip
import io
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

import zoo
from zoo_core.errors import InputError
from zoo_core.seqio import read_fasta

# ---- outputs never destroy inputs ----------------------------------------------------------------------


@pytest.mark.parametrize("which", ["input", "option-file", "symlink-to-input", "hardlink-to-input"])
def test_an_output_that_is_an_input_is_refused_and_the_input_kept(toy, zoo_cli, toy_example: Path, tmp_path: Path,
                                                                  which: str) -> None:
    fasta = tmp_path / "in.fa"
    fasta.write_bytes(toy_example.read_bytes())
    genome = tmp_path / "genome.tsv"  # any option that names a file is an input
    genome.write_text(">chr1\nACGT\n")
    before = {p: p.read_bytes() for p in (fasta, genome)}
    args = ["predict", "toy", fasta, "-q"]
    if which == "input":
        out = fasta
    elif which == "option-file":
        out, args = genome, [*args, "--genome", genome]
    elif which == "symlink-to-input":
        out = tmp_path / "link.tsv"
        out.symlink_to(fasta)
    else:
        out = tmp_path / "hard.tsv"
        os.link(fasta, out)
    code, _, err = zoo_cli(*args, "-o", out)
    assert code == 1 and "is also an input" in err and "Traceback" not in err
    assert {p: p.read_bytes() for p in before} == before


def test_an_output_symlink_is_followed_and_kept(toy, zoo_cli, toy_example: Path, tmp_path: Path) -> None:
    target = tmp_path / "real.tsv"
    target.write_text("old\n")
    link = tmp_path / "link.tsv"
    link.symlink_to(target)
    assert zoo_cli("predict", "toy", toy_example, "-o", link, "-q")[0] == 0
    assert link.is_symlink() and target.read_text().startswith("id\tscore\tlabel\n")


def test_an_output_that_is_not_a_regular_file_is_refused(toy, zoo_cli, toy_example: Path, tmp_path: Path) -> None:
    link = tmp_path / "full.tsv"
    link.symlink_to("/dev/full")
    code, _, err = zoo_cli("predict", "toy", toy_example, "-o", link)
    assert code == 1 and "is not a regular file" in err
    assert link.is_symlink() and os.readlink(link) == "/dev/full"


def test_outputs_follow_the_umask_and_keep_nothing_partial(toy, zoo_cli, toy_example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.tsv"
    old = os.umask(0o022)
    try:
        assert zoo_cli("predict", "toy", toy_example, "-o", out, "-q")[0] == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o644
        os.umask(0o027)
        assert zoo_cli("predict", "toy", toy_example, "-o", out, "-q")[0] == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_an_os_error_while_writing_is_one_line_naming_the_output(toy, zoo_cli, toy_example: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from zoo_core import output

    def full(self: object, df: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(output.TableWriter, "write", full)
    out = tmp_path / "out.tsv"
    code, _, err = zoo_cli("predict", "toy", toy_example, "-o", out)
    assert code == 1 and err.splitlines()[0] == f"Error: {out}: cannot write: No space left on device"
    assert list(tmp_path.iterdir()) == []


def test_an_os_error_in_a_plugin_command_is_one_line(use_plugins, zoo_cli) -> None:
    import click

    from zoo_core import hookimpl

    class Plugin:
        @staticmethod
        @hookimpl
        def register_commands(cli):  # type: ignore[no-untyped-def]
            @cli.command("dump")
            def dump() -> None:
                raise OSError(errno.EROFS, "Read-only file system", "/data/view/weights.tsv")

            assert isinstance(dump, click.Command)

    use_plugins((Plugin(), "zoo-dump"))
    code, _, err = zoo_cli("dump")
    assert code == 1 and err.splitlines()[0] == "Error: /data/view/weights.tsv: Read-only file system"


# ---- strings are sequences, paths are files ---------------------------------------------------------------


def test_a_long_sequence_string_is_a_sequence_not_a_file_name(toy, toy_example: Path) -> None:
    seqs = [r.seq for r in read_fasta(toy_example)]
    m = zoo.get_model("toy")
    np.testing.assert_allclose(m.predict(seqs[:2])["score"], m.predict(toy_example)["score"][:2], atol=1e-6)
    with pytest.raises(InputError, match="sequence length 400"):  # 400 letters: os.stat would say 'name too long'
        m.predict([seqs[0] * 2])


def test_a_mistyped_path_and_an_ambiguous_string_say_how_to_be_explicit(toy, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    m = zoo.get_model("toy")
    with pytest.raises(InputError, match=r"promoters\.fa: no such file"):
        m.predict("promoters.fa")
    with pytest.raises(InputError, match=r"<string read as a sequence>: record 'seq_0': invalid nucleotide letter 'P'"):
        m.predict("promoters")
    monkeypatch.chdir(tmp_path)
    Path("ACGTACGTAC").write_text(">x\nACGT\n")
    with pytest.raises(InputError, match=r"is both a sequence and a file .* pass pathlib\.Path\('ACGTACGTAC'\)"):
        m.predict(["ACGTACGTAC"])


# ---- pipes, standard input and output, compression, encodings ---------------------------------------------


def test_standard_input(toy, zoo_cli, toy_example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = zoo.get_model("toy").predict(toy_example)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(gzip.compress(toy_example.read_bytes()))))
    out = tmp_path / "out.tsv"
    assert zoo_cli("predict", "toy", "-", "-o", out, "-q")[0] == 0
    pd.testing.assert_frame_equal(pd.read_csv(out, sep="\t"), expected, atol=1e-6)


def test_standard_output(toy, toy_example: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    from zoo.cli import main

    expected = zoo.get_model("toy").predict(toy_example)
    capsysbinary.readouterr()
    main(["predict", "toy", str(toy_example), "-o", "-", "-q"])
    printed = capsysbinary.readouterr().out
    pd.testing.assert_frame_equal(pd.read_csv(io.BytesIO(printed), sep="\t"), expected, atol=1e-6)


def test_a_named_pipe_is_read(toy, zoo_cli, toy_example: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "in.fa"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(toy_example.read_bytes()))
    writer.start()
    out = tmp_path / "out.tsv"
    code, _, err = zoo_cli("predict", "toy", fifo, "-o", out, "-q")
    writer.join(5)
    assert code == 0, err
    assert len(pd.read_csv(out, sep="\t")) == 8


@pytest.mark.parametrize("damage", ["corrupt", "truncated"])
@pytest.mark.parametrize("kind", ["fa", "bed", "gff3"])
def test_damaged_gzip_inputs_are_one_line_errors(toy, zoo_cli, toy_example: Path, tmp_path: Path, kind: str,
                                                 damage: str) -> None:
    text = {"fa": toy_example.read_text() * 50,
            "bed": "".join(f"chr1\t{i}\t{i + 200}\tr{i}\t0\t+\n" for i in range(0, 200_000, 100)),
            "gff3": "".join(f"chr1\tx\tmRNA\t{i}\t{i + 99}\t.\t+\t.\tID=t{i}\n" for i in range(1, 200_000, 100))}[kind]
    data = gzip.compress(text.encode())
    data = data[: len(data) // 2] if damage == "truncated" else data[:200] + bytes(b ^ 0x5A for b in data[200:400]) + data[400:]
    path = tmp_path / f"in.{kind}.gz"
    path.write_bytes(data)
    genome = tmp_path / "g.fa"
    genome.write_text(">chr1\n" + "ACGT" * 60_000 + "\n")
    out = tmp_path / "out.tsv"
    code, _, err = zoo_cli("predict", "toy", path, "--genome", genome, "-o", out)
    assert code == 1, err
    assert err.startswith(f"Error: {path}: ") and "gzip data" in err.splitlines()[0] and "Traceback" not in err
    assert not out.exists()


def test_encodings_bom_utf8_headers_and_the_line_of_a_bad_byte(toy, toy_example: Path, tmp_path: Path) -> None:
    m = zoo.get_model("toy")
    text = toy_example.read_text()
    expected = m.predict(toy_example)
    bom = tmp_path / "bom.fa"
    bom.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", " α-globin promoter\n", 1).encode())
    pd.testing.assert_frame_equal(m.predict(bom), expected, atol=1e-6)
    latin = tmp_path / "latin1.fa"
    lines = text.splitlines()
    lines[4] = lines[4] + " caf\xe9"
    latin.write_bytes("\n".join(lines).encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1\.fa: line 5: byte 0xe9 at column \d+ is not UTF-8 text"):
        m.predict(latin)


def test_a_tab_in_a_fasta_header_ends_the_id(toy, toy_example: Path, tmp_path: Path) -> None:
    recs = list(read_fasta(toy_example))
    fasta = tmp_path / "tabs.fa"
    fasta.write_text("".join(f">{r.id}\tsome description\n{r.seq}\n" for r in recs))
    got = zoo.get_model("toy").predict(fasta)
    assert got["id"].tolist() == [r.id for r in recs]


# ---- signals --------------------------------------------------------------------------------------------


def test_sigterm_leaves_no_partial_output(toy_site: Path, toy_plugin: ModuleType, toy_example: Path,
                                          tmp_path: Path) -> None:
    """A scheduler's walltime kill (SIGTERM) is handled like Ctrl-C: no output and no hidden .part file."""
    fifo = tmp_path / "slow.fa"
    os.mkfifo(fifo)
    src = Path(toy_plugin.__file__).parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(toy_site), str(src)]), "ZOO_LOAD_PLUGINS": "zoo-toy"}
    out = tmp_path / "out" / "o.tsv"
    out.parent.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "zoo", "predict", "toy", str(fifo), "-o", str(out), "-q"],
                            env=env, stderr=subprocess.PIPE, text=True)
    with open(fifo, "w") as fh:  # the run now waits for the rest of its input
        fh.write(toy_example.read_text()[:300])
        fh.flush()
        deadline = time.time() + 30
        while not list(out.parent.iterdir()) and time.time() < deadline:  # the temporary output exists
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143 and "Terminated: nothing was written." in err and "Traceback" not in err
    assert list(out.parent.iterdir()) == []


# ---- the Python API --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("call", "message"), [
    (lambda m: m.predict([]), "no inputs"),
    (lambda m: m.predict_array(np.zeros((0, 200, 4), np.float32)), r"has no records; expected \(N, 200, 4\)"),
    (lambda m: m.predict_array(np.zeros((200, 4), np.float32)), r"shape \(200, 4\), expected \(N, 200, 4\)"),
    (lambda m: m.predict_array(np.zeros((2, 150, 4), np.float32)), r"shape \(2, 150, 4\), expected \(N, 200, 4\)"),
    (lambda m: m.predict_array(np.full((2, 200, 4), np.nan, np.float32)), r"outside \[0, 1\] \(or NaN/inf\)"),
    (lambda m: m.predict_array(np.full((2, 200, 4), 3.0, np.float32)), r"outside \[0, 1\]"),
    (lambda m: m.predict_array(np.zeros((2, 200, 4), np.float32), batch_size=0), "batch_size must be at least 1"),
    (lambda m: m.predict("ACGT" * 50, batch_size=0), "batch_size must be at least 1"),
    (lambda m: list(m.explain(np.zeros((1, 200, 4), np.float32), method="grad", batch_size=0)), "batch_size"),
])
def test_python_api_misuse_is_an_input_error_with_the_expected_shape(toy, call, message: str) -> None:
    with pytest.raises(InputError, match=message):
        call(zoo.get_model("toy"))


# ---- found by tests/test_fuzz.py ---------------------------------------------------------------------------


def test_crlf_bed_rows_keep_their_names_and_strands(toy, tmp_path: Path) -> None:
    """The last column kept its '\\r': ids ended in a carriage return, and a strand column was '+\\r', 'not +, - or .'."""
    genome = tmp_path / "g.fa"
    genome.write_text(">chr1\n" + "ACGT" * 100 + "\n")
    bed = tmp_path / "x.bed"
    bed.write_bytes(b"chr1\t10\t210\tr1\r\nchr1\t20\t220\tr2\t0\t-\r\n")
    got = zoo.get_model("toy").predict(bed, genome=genome)
    assert got["id"].tolist() == ["r1", "r2"] and got["strand"].tolist() == ["+", "-"]


@pytest.mark.parametrize(("start", "end"), [(50, 20), (0, 200)])
def test_a_gtf_transcript_that_is_not_an_interval_is_a_malformed_row(tmp_path: Path, start: int, end: int) -> None:
    """End before start, or start 0 (GTF is 1-based), gave a window anyway: a silent prediction or an unrelated error."""
    from zoo_core.intervals import read_intervals

    gtf = tmp_path / "x.gtf"
    gtf.write_text(f'chr1\tx\ttranscript\t{start}\t{end}\t.\t+\t.\ttranscript_id "t1";\n')
    with pytest.raises(InputError, match=rf"line 1: malformed GTF/GFF row: start {start} / end {end} is not an interval"):
        list(read_intervals(gtf))


def test_a_nul_byte_is_an_error_naming_the_line(toy, zoo_cli, tmp_path: Path) -> None:
    """A NUL in a FASTA header went into the id: `zoo explain` then died in h5py ('VLEN strings do not support
    embedded NULLs') with a traceback."""
    fasta = tmp_path / "in.fa"
    fasta.write_bytes(b">a\x00b\n" + b"ACGT" * 50 + b"\n")
    out = tmp_path / "out"
    out.mkdir()
    code, _, err = zoo_cli("explain", "toy", fasta, "--method", "grad", "-o", out / "attr.h5", "-q")
    assert code == 1 and "Traceback" not in err
    assert err.splitlines()[0] == f"Error: {fasta}: line 1: byte 0x00 (NUL) at column 3: not a text file"
    assert list(out.iterdir()) == []


def test_pairs_and_feature_tables_are_read_like_every_other_input(toy, zoo_cli, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """gzip by content, standard input, one line for a truncated gzip (it was 'Aborted', exit 130: click reads an
    EOFError as Ctrl-D), a folder and a bad byte as InputErrors, and a plain file named .gz no longer reported as an
    error writing the output."""
    from zoo_core.dataloaders import read_feature_table

    seq = "ACGT" * 50
    text = "id\tref\talt\n" + "".join(f"p{i}\t{seq}\t{seq[::-1]}\n" for i in range(300))
    m = zoo.get_model("toy")
    expected = m.score_pairs(pd.read_csv(io.StringIO(text), sep="\t"))
    packed = tmp_path / "pairs.tsv"  # gzip, whatever the name
    packed.write_bytes(gzip.compress(text.encode()))
    pd.testing.assert_frame_equal(m.score_pairs(packed), expected)
    named = tmp_path / "plain.tsv.gz"
    named.write_text(text)
    out = tmp_path / "out.tsv"
    assert zoo_cli("vep", "toy", "--pairs", named, "-o", out, "-q")[0] == 0
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert zoo_cli("vep", "toy", "--pairs", "-", "-o", out, "-q")[0] == 0
    truncated = tmp_path / "cut.tsv.gz"
    truncated.write_bytes(packed.read_bytes()[:-100])
    code, _, err = zoo_cli("vep", "toy", "--pairs", truncated, "-o", tmp_path / "cut-out.tsv")
    assert code == 1 and err.startswith(f"Error: {truncated}: truncated gzip data after line ")
    with pytest.raises(InputError, match="is a directory"):
        m.score_pairs(tmp_path)
    table = tmp_path / "features.tsv"
    table.write_bytes(gzip.compress(b"id\tf1\tf2\na\t1\t2\n"))
    assert read_feature_table(table, "extra", 2)["a"].tolist() == [1.0, 2.0]
    table.write_bytes(b"id\tf1\tf2\na\t1\t2\nb\t3\t4 caf\xe9\n")
    with pytest.raises(InputError, match=r"features\.tsv: line 3: byte 0xe9 at column 10 is not UTF-8 text"):
        read_feature_table(table, "extra", 2)


def test_a_first_row_longer_than_the_header_is_refused_not_shifted(toy, tmp_path: Path) -> None:
    """pandas took the first cell of such a row as an index and shifted every column: the id became the ref sequence."""
    seq = "ACGT" * 50
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(f"id\tref\talt\np1\t{seq}\t{seq}\t\n")  # a tab at the end of the line
    with pytest.raises(InputError) as e:
        zoo.get_model("toy").score_pairs(pairs)
    assert str(e.value) == f"{pairs}: line 2: more tab-separated cells than the header's 3 (a tab at the end of the line?)"
    pairs.write_text(f"id\tref\talt\np1\t{seq}\t{seq}\np2\t{seq}\t{seq}\tx\n")  # a later row: pandas' own error, one line
    with pytest.raises(InputError, match=r"Expected 3 fields in line 3, saw 4\)$"):
        zoo.get_model("toy").score_pairs(pairs)


def test_python_api_inputs_of_the_wrong_kind_are_input_errors(toy) -> None:
    """These raised TypeError or ValueError; a misspelt input name was silently ignored (zeros, for an optional one)."""
    m = zoo.get_model("toy")
    x = np.eye(4, dtype=np.float32)[np.arange(200) % 4][None]
    for junk in (5, None, 1.5):
        with pytest.raises(InputError, match="give paths, sequences or an"):
            m.predict(junk)
    np.testing.assert_allclose(m.predict_array(x.tolist()), m.predict_array(x))  # nested lists are an array
    with pytest.raises(InputError, match="no input named 'seqence'; toy's inputs are sequence"):
        m.predict_array({"sequence": x, "seqence": 5})


def test_a_png_title_in_a_script_the_font_lacks_is_not_warned_about(tmp_path: Path) -> None:
    """matplotlib printed two 'Glyph … missing from font(s)' lines to stderr per PNG for such an id (CJK gene names)."""
    import warnings

    from zoo_core.explain import Attribution
    from zoo_core.plot import plot_attribution

    onehot = np.eye(4, dtype=np.float32)[np.arange(200) % 4]
    a = Attribution("\U00055ab5基因", onehot * 0.1, onehot, 0.5, "sequence")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot_attribution(a, tmp_path / "x.png", title=f"toy grad {a.id} sequence")
    assert (tmp_path / "x.png").stat().st_size > 0
