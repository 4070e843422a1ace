"""zoo's own fuzz suite: property-based tests (hypothesis) of every way a user's input reaches a model.

Generated: FASTA, BED, GTF/GFF3, the ``--features`` table and ``zoo vep --pairs`` tables (syntax and damage), gzip
(valid, two members, corrupt, truncated), encodings (UTF-8, BOM, Latin-1 bytes, NUL, CRLF and CR line ends, tabs), paths
(missing, directory, symlink, dangling link, output == input, output in a missing folder, ``-``), pipes (a FIFO, standard
input) and numeric arrays; run through ``zoo predict``, ``zoo explain``, ``zoo vep`` (in-process) and the Python API, with
the toy plugin (a 200-nt DNA model with a ``--threshold`` option and a ``label`` string output).

The contract, asserted for every generated case: an exact result (rows = the valid records, values equal to the model on
the same sequences one-hot encoded here, independently of zoo's readers), or exactly one line ``Error: …`` on stderr
naming the file (and the record or line where there is one) with exit code 1 (2 for a usage error); and always: nothing
partial or hidden left in the output folder, the inputs byte for byte unchanged, no traceback (in Python: only
``ZooError`` subclasses raised).

Cases are derandomized (CI sees the same ones on every run); the last test checks and reports how many ran.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import h5py
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zoo
from zoo_core import registry as registry_mod
from zoo_core.errors import ZooError

# a warning would be stray lines on a user's stderr: here it is an error
pytestmark = pytest.mark.filterwarnings("error::UserWarning", "error::RuntimeWarning")

Cli = Callable[..., tuple[int, str, str]]
WINDOW = 200  # the toy model's sequence length

# max_examples per property: the whole file runs in about a minute on 2 cores
EXAMPLES = {"fasta_api": 700, "fasta_cli": 450, "explain": 100, "bed": 300, "gtf": 300, "features": 250, "pairs": 300,
            "paths": 300, "arrays": 700}
CASES: Counter[str] = Counter()
OUTCOMES: Counter[tuple[str, str]] = Counter()  # (property, "result" or "error"): what each run was checked for
_START: list[float] = []


def fuzz(name: str) -> Callable[[Any], Any]:
    return settings(max_examples=EXAMPLES[name], derandomize=True, deadline=None, database=None, print_blob=False,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.large_base_example])


_CURRENT: list[str] = [""]


def count(name: str) -> None:
    """One generated case of property ``name``."""
    if not _START:
        _START.append(time.perf_counter())
    CASES[name] += 1
    _CURRENT[:] = [name]


def outcome(kind: str) -> None:
    OUTCOMES[_CURRENT[0], kind] += 1


# ---- the reference: the model on sequences one-hot encoded here ----------------------------------------------------

_IMPL: dict[str, Any] = {}


def encode(seqs: list[str]) -> np.ndarray:
    """(N, L, 4) one-hot A, C, G, T (U as T, any other letter a zero row), written without zoo's encoder."""
    x = np.zeros((len(seqs), len(seqs[0]), 4), np.float32)
    for k, s in enumerate(seqs):
        for i, c in enumerate(s.upper()):
            j = "ACGTU".find(c)
            if j >= 0:
                x[k, i, min(j, 3)] = 1
    return x


def impl() -> Any:
    if "toy" not in _IMPL:
        _IMPL["toy"] = zoo.get_model("toy").load()
    return _IMPL["toy"]


def reference(seqs: list[str]) -> np.ndarray:
    return np.asarray(impl().predict_on_batch({"sequence": encode(seqs)}), np.float64)[:, 0]


def assert_predictions(df: pd.DataFrame, ids: list[str], seqs: list[str], threshold: float = 0.0,
                       meta: dict[str, list[Any]] | None = None) -> None:
    meta = meta or {}
    assert list(df.columns) == ["id", *meta, "score", "label"]
    assert [str(i) for i in df["id"]] == ids
    for name, values in meta.items():
        assert [str(v) for v in df[name]] == [str(v) for v in values], name
    ref = reference(seqs)
    np.testing.assert_allclose(df["score"].astype(float).to_numpy(), ref, rtol=1e-5, atol=1e-6)
    clear = ~(np.abs(ref - threshold) <= 1e-5)  # a score within rounding of the threshold may go either way
    labels = np.where(ref > threshold, "high", "low")
    assert list(df["label"][clear]) == list(labels[clear])


def read_table(src: Path | str, sep: str = "\t") -> pd.DataFrame:
    """An output table as text cells (``src``: a path, or the text itself)."""
    buf = src if isinstance(src, Path) else io.StringIO(src)
    return pd.read_csv(buf, sep=sep, dtype=str, keep_default_na=False)


# ---- the contract ------------------------------------------------------------------------------------------------

_ALLOWED = ("Error:", "zoo: warning:", "(set ZOO_DEBUG=1", "Usage:", "Try ")


def assert_cli_error(code: int, err: str, names: tuple[str, ...], *, usage: bool = False) -> str:
    """Exactly one ``Error:`` line naming each of ``names``; exit 1 (or 2 for a usage error); no traceback."""
    outcome("error")
    assert "Traceback" not in err, err
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, err
    assert code == 1 or (usage and code == 2), (code, err)
    assert all(not line.strip() or line.startswith(_ALLOWED) for line in err.splitlines()), err
    for name in names:
        assert name in errors[0], (name, errors[0])
    return errors[0]


def assert_cli_ok(code: int, err: str) -> None:
    outcome("result")
    assert code == 0, err
    assert "Traceback" not in err and not any(line.startswith("Error") for line in err.splitlines()), err


def api_outcome(call: Callable[[], Any], names: tuple[str, ...] | None) -> Any:
    """``call()``'s result when ``names`` is None; else it must raise a ZooError whose message names each of them."""
    outcome("result" if names is None else "error")
    if names is None:
        return call()
    with pytest.raises(ZooError) as e:  # anything else propagates: a failure
        call()
    for name in names:
        assert name in str(e.value), (name, str(e.value))
    return None


@contextlib.contextmanager
def workspace() -> Iterator[tuple[Path, Path]]:
    """A fresh input folder and output folder per case."""
    with tempfile.TemporaryDirectory(prefix="zoo-fuzz-") as d:
        inp, out = Path(d) / "in", Path(d) / "out"
        inp.mkdir()
        out.mkdir()
        yield inp, out


def snapshot(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and not p.is_symlink()}


def assert_unchanged(before: dict[Path, bytes], folder: Path) -> None:
    """Every input byte for byte as it was; nothing new beside them but a genome's .fai index."""
    for path, data in before.items():
        assert path.read_bytes() == data, f"{path} changed"
    new = {p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()} - set(before)
    assert all(p.suffix == ".fai" for p in new), new


def assert_folder(folder: Path, names: set[str]) -> None:
    """The output folder holds exactly ``names``: no partial or hidden file."""
    assert {p.name for p in folder.iterdir()} == names


@contextlib.contextmanager
def stdin_bytes(data: bytes | None) -> Iterator[None]:
    if data is None:
        yield
        return
    old = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(data))
    try:
        yield
    finally:
        sys.stdin = old


@contextlib.contextmanager
def fifo_with(path: Path, data: bytes) -> Iterator[None]:
    """A named pipe at ``path`` that a thread fills with ``data`` (unblocked at the end if zoo stopped early or never
    opened it)."""
    os.mkfifo(path)

    def feed() -> None:
        with contextlib.suppress(BrokenPipeError), open(path, "wb") as fh:
            fh.write(data)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        yield
    finally:
        if writer.is_alive():  # a reader of our own, open until the writer is done
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            try:
                deadline = time.monotonic() + 10
                while writer.is_alive() and time.monotonic() < deadline:
                    with contextlib.suppress(BlockingIOError):
                        os.read(fd, 1 << 16)
                    writer.join(0.01)
            finally:
                os.close(fd)
        assert not writer.is_alive()


# ---- generated text: records, line ends, encodings, compression ----------------------------------------------------

ASCII_ID = st.from_regex(r"[A-Za-z0-9_.|:+-]{1,12}", fullmatch=True)
# any printable character but whitespace (whitespace ends a FASTA id); in the ids of a TSV the user writes, no '"' (a quote)
ANY_CHAR = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp"))
IDS = st.one_of(ASCII_ID, ASCII_ID, st.text(ANY_CHAR, min_size=1, max_size=8))
TSV_IDS = st.one_of(ASCII_ID, ASCII_ID, st.text(ANY_CHAR.filter(lambda c: c != '"'), min_size=1, max_size=8))
DESC = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=12)
MIXES = ["ACGT", "ACGTacgt", "ACGTN", "ACGTURYKMSWBDHVNacgtun"]
BAD_LETTERS = "XZJO0159.-*@!?=/_Ωé"
GZ = ["", "", "", "", "gzip", "gzip", "gzip2", "corrupt", "truncated"]
THRESHOLDS = st.one_of(st.none(), st.floats(-1, 1).map(lambda v: f"{v:.3f}"),
                       st.sampled_from(["0", "1e-1", "-0.5", "inf", "-inf", "nan", "abc", "1,5", ""]))


def bases(rng: np.random.Generator, n: int, mix: str) -> str:
    return "".join(rng.choice(list(mix), n)) if n else ""


def revcomp(seq: str) -> str:
    return seq.translate(str.maketrans("ACGTN", "TGCAN"))[::-1]


def threshold_value(text: str | None) -> float | None:
    """The threshold a valid ``--threshold`` text means; None when click must refuse it."""
    if text is None:
        return 0.0
    try:
        return float(text)
    except ValueError:
        return None


@dataclass
class Text:
    """Lines of a generated file, then its bytes: damage in bytes (a Latin-1 byte, a NUL) lands on a known line."""

    lines: list[str]
    eol: str = "\n"
    bom: bool = False
    final_eol: bool = True
    byte_at: tuple[int, int, bytes] | None = None  # (line index, char offset, the byte)

    def error_for_byte(self) -> str:
        """What the reader says about ``byte_at``: the line, and for a non-UTF-8 byte the column."""
        assert self.byte_at is not None
        i, p, b = self.byte_at
        col = len(self.lines[i][:p].encode()) + 1
        if b == b"\x00":
            return f"line {i + 1}: byte 0x00 (NUL) at column {col}: not a text file"
        return f"line {i + 1}: byte 0x{b[0]:02x} at column {col} is not UTF-8 text"

    def render(self, draw: Callable[..., Any]) -> bytes:
        raw = [line.encode() for line in self.lines]
        if self.byte_at is not None:
            i, p, b = self.byte_at
            raw[i] = self.lines[i][:p].encode() + b + self.lines[i][p:].encode()
        if self.eol == "mixed":
            ends = [draw(st.sampled_from([b"\n", b"\r\n"])) for _ in raw]
        else:
            ends = [self.eol.encode()] * len(raw)
        if raw and not self.final_eol:
            ends[-1] = b""
        return (b"\xef\xbb\xbf" if self.bom else b"") + b"".join(r + e for r, e in zip(raw, ends, strict=True))


def draw_text_style(draw: Callable[..., Any], lines: list[str]) -> Text:
    return Text(lines, eol=draw(st.sampled_from(["\n", "\r\n", "mixed"])), bom=draw(st.booleans()),
                final_eol=draw(st.booleans()))


def draw_byte_damage(draw: Callable[..., Any], text: Text, nul: bool) -> str:
    """Put a NUL or a Latin-1 byte somewhere on a line; returns what the error line says about it."""
    i = draw(st.integers(0, len(text.lines) - 1))
    p = draw(st.integers(0, len(text.lines[i])))
    b = b"\x00" if nul else bytes([draw(st.integers(0x80, 0xFF))])
    text.byte_at = (i, p, b)
    return text.error_for_byte()


def compress(draw: Callable[..., Any], data: bytes, how: str) -> bytes:
    """``data`` as is, gzip (one or two members), or gzip with a byte flipped or cut short."""
    if not how:
        return data
    if how == "gzip2":
        cut = draw(st.integers(0, len(data)))
        return gzip.compress(data[:cut], mtime=0) + gzip.compress(data[cut:], mtime=0)
    packed = gzip.compress(data, mtime=0)
    if how == "gzip":
        return packed
    if how == "corrupt":  # past the 10-byte header, every bit of a byte flipped: deflate data, CRC or size
        p = draw(st.integers(10, len(packed) - 1))
        return packed[:p] + bytes([packed[p] ^ 0xFF]) + packed[p + 1:]
    return packed[: draw(st.integers(1, len(packed) - 1))]


# ---- FASTA -------------------------------------------------------------------------------------------------------


@dataclass
class Doc:
    """A generated input file: its bytes, the records it means, and what its one error line names (None: valid)."""

    data: bytes
    ids: list[str]
    seqs: list[str]
    error: tuple[str, ...] | None


FASTA_DAMAGE = [None] * 12 + ["length", "letter", "duplicate", "empty", "noid", "before", "latin1", "nul", "cr",
                             "nothing"]


@st.composite
def fasta_docs(draw: Callable[..., Any], max_records: int = 4) -> Doc:
    n = draw(st.integers(1, max_records))
    ids = draw(st.lists(IDS, min_size=n, max_size=n, unique=True))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    seqs = [bases(rng, WINDOW, draw(st.sampled_from(MIXES))) for _ in range(n)]
    width = draw(st.one_of(st.none(), st.integers(1, 250)))
    spaced = draw(st.booleans())  # GenBank style: a space every 10 letters
    damage = draw(st.sampled_from(FASTA_DAMAGE))
    k = draw(st.integers(0, n - 1))
    written_ids, written = list(ids), list(seqs)
    error: tuple[str, ...] | None = None
    if damage == "length":
        d = draw(st.integers(1, 60))
        written[k] = seqs[k][:-d] if draw(st.booleans()) else seqs[k] + seqs[k][:d]
        error = (f"record '{ids[k]}'", "sequence length")
    elif damage == "letter":
        p = draw(st.integers(0, WINDOW - 1))
        written[k] = seqs[k][:p] + draw(st.sampled_from(BAD_LETTERS)) + seqs[k][p + 1:]
        error = (f"record '{ids[k]}'", "invalid")
    elif damage == "duplicate" and n > 1:
        k = max(k, 1)
        written_ids[k] = ids[draw(st.integers(0, k - 1))]
        error = (f"record '{written_ids[k]}'", "duplicate id")
    elif damage == "empty":
        written[k] = ""
        error = (f"record '{ids[k]}'", "empty sequence")
    lines: list[str] = []
    if damage == "before":
        lines += [""] * draw(st.integers(0, 2))
        lines.append(draw(st.sampled_from(["ACGT", "hello", "; a comment", "id\tref", "@read1"])))
        error = (f"not a FASTA file: line {len(lines)} comes before any '>' header",)
    if damage == "nothing":
        lines += draw(st.lists(st.sampled_from(["", " ", "\t"]), max_size=3))
        error = ("empty file",)
    else:
        for i in range(n):
            lines += draw(st.lists(st.sampled_from(["", " ", "\t "]), max_size=2))
            if damage == "noid" and i == k:
                lines.append(">" + draw(st.sampled_from(["", " ", "\t", "  "])))
                error = (f"line {len(lines)}: header with no id",)
            else:
                desc = draw(st.one_of(st.just(""), st.tuples(st.sampled_from([" ", "\t", "  "]), DESC).map("".join)))
                lines.append(f">{written_ids[i]}{desc}")
            seq = written[i]
            if spaced:
                seq = " ".join(seq[j: j + 10] for j in range(0, len(seq), 10))
            step = width or max(len(seq), 1)
            lines += [seq[j: j + step] + draw(st.sampled_from(["", "", " ", "\t"])) for j in range(0, len(seq), step)]
    text = draw_text_style(draw, lines)
    if damage in ("latin1", "nul") and lines:
        error = (draw_byte_damage(draw, text, damage == "nul"),)
    if damage == "cr":  # classic Mac line ends: the whole file is one line, so the first record has no sequence
        text.eol = "\r"
        error = ()
    gz = draw(st.sampled_from(GZ))
    data = compress(draw, text.render(draw), gz)
    if gz in ("corrupt", "truncated"):
        error = ()  # the file is named; the reason depends on where the damage falls
    return Doc(data, ids, seqs, error)


@fuzz("fasta_api")
@given(doc=fasta_docs(), how=st.sampled_from(["path", "str", "list", "stdin"]),
       suffix=st.sampled_from([".fa", ".fasta", ".fa.gz", ".txt"]), batch=st.integers(1, 5))
def test_fasta_through_the_python_api(toy: registry_mod.Registry, doc: Doc, how: str, suffix: str, batch: int) -> None:
    count("fasta_api")
    m = zoo.get_model("toy")
    with workspace() as (inp, out):
        path = inp / f"reads{suffix}"
        path.write_bytes(doc.data)
        before = snapshot(inp)
        arg: Any = {"path": path, "str": str(path), "list": [path], "stdin": Path("-")}[how]
        source = "<stdin>" if how == "stdin" else str(path)
        with stdin_bytes(doc.data if how == "stdin" else None):
            got = api_outcome(lambda: m.predict(arg, batch_size=batch), None if doc.error is None else (source, *doc.error))
        if got is not None:
            assert_predictions(got, doc.ids, doc.seqs)
        assert_unchanged(before, inp)
        assert_folder(out, set())


@fuzz("fasta_cli")
@given(doc=fasta_docs(), how=st.sampled_from(["path", "symlink", "fifo", "stdin"]),
       fmt=st.sampled_from([".tsv", ".csv", "-"]), threshold=THRESHOLDS, old=st.booleans(), quiet=st.booleans())
def test_fasta_through_zoo_predict(toy: registry_mod.Registry, zoo_cli: Cli, doc: Doc, how: str, fmt: str,
                                   threshold: str | None, old: bool, quiet: bool) -> None:
    count("fasta_cli")
    with workspace() as (inp, outdir):
        path = inp / "reads.fa"
        if how != "fifo":
            path.write_bytes(doc.data)
        arg = path
        if how == "symlink":
            arg = inp / "link.fa"
            arg.symlink_to(path)
        elif how == "stdin":
            arg = Path("-")
        output: Path | str = "-" if fmt == "-" else outdir / f"out{fmt}"
        if old and isinstance(output, Path):
            output.write_text("old\n")
        before, kept = snapshot(inp), snapshot(outdir)
        args = ["predict", "toy", arg, "-o", output, *(["-q"] if quiet else []),
                *(["--threshold", threshold] if threshold is not None else [])]
        with fifo_with(path, doc.data) if how == "fifo" else contextlib.nullcontext(), \
                stdin_bytes(doc.data if how == "stdin" else None):
            code, out, err = zoo_cli(*args)
        value = threshold_value(threshold)
        if value is None:
            assert_cli_error(code, err, ("--threshold",), usage=True)
        elif doc.error is not None:
            assert_cli_error(code, err, ("<stdin>" if how == "stdin" else str(arg), *doc.error))
        if value is None or doc.error is not None:
            assert out == ""
            assert snapshot(outdir) == kept
        else:
            assert_cli_ok(code, err)
            if fmt == "-":
                got = read_table(out)
            else:
                assert out == ""
                got = read_table(outdir / f"out{fmt}", "," if fmt == ".csv" else "\t")
            assert_predictions(got, doc.ids, doc.seqs, value)
            assert_folder(outdir, set() if fmt == "-" else {f"out{fmt}"})
        if how != "fifo":
            assert_unchanged(before, inp)


@fuzz("explain")
@given(doc=fasta_docs(max_records=3), method=st.sampled_from(["grad", "ism", "ig", "occlusion", "grad", "nope"]),
       target=st.sampled_from([None, None, "score", "label", "nope"]), how=st.sampled_from(["path", "stdin"]),
       pngs=st.sampled_from([False] * 5 + [True]))
def test_fasta_through_zoo_explain_and_the_api(toy: registry_mod.Registry, zoo_cli: Cli, doc: Doc, method: str,
                                               target: str | None, how: str, pngs: bool) -> None:
    count("explain")
    m = zoo.get_model("toy")
    if doc.error is not None and target in ("label", "nope"):
        target = None  # which of two errors comes first is not part of the contract
    with workspace() as (inp, outdir):
        path = inp / "reads.fa"
        path.write_bytes(doc.data)
        before = snapshot(inp)
        arg = Path("-") if how == "stdin" else path
        source = "<stdin>" if how == "stdin" else str(path)
        output = outdir / "attr.h5"
        args = ["explain", "toy", arg, "--method", method, "-o", output, "-q",
                *(["--target", target] if target else []), *(["--png-dir", outdir / "png"] if pngs else [])]
        with stdin_bytes(doc.data if how == "stdin" else None):
            code, _, err = zoo_cli(*args)
        bad_target = target in ("label", "nope")
        expected = [] if method == "nope" or bad_target or doc.error is not None else \
            list(m.explain(encode(doc.seqs), method=method, target=target))  # from arrays: no reader involved
        if method == "nope":
            assert_cli_error(code, err, ("--method",), usage=True)
        elif bad_target:
            assert_cli_error(code, err, (f"no numeric output {target!r}",))
        elif doc.error is not None:
            assert_cli_error(code, err, (source, *doc.error))
        if method == "nope" or bad_target or doc.error is not None:
            assert_folder(outdir, set())
        else:
            assert_cli_ok(code, err)
            with h5py.File(output) as h5:
                assert [i.decode() for i in h5["ids"][:]] == doc.ids
                np.testing.assert_allclose(h5["prediction"][:], reference(doc.seqs), rtol=1e-5, atol=1e-6)
                for k, a in enumerate(expected):
                    np.testing.assert_allclose(h5[f"attr/sequence/{k}"][:], a.attr, rtol=1e-4, atol=1e-6)
                    np.testing.assert_array_equal(h5[f"onehot/sequence/{k}"][:], a.onehot)
            assert_folder(outdir, {"attr.h5", "png"} if pngs else {"attr.h5"})
            if pngs:
                assert len(list((outdir / "png").iterdir())) == len(doc.ids)
        # the same file through the API
        if method != "nope":
            with stdin_bytes(doc.data if how == "stdin" else None):
                names = (source, *doc.error) if doc.error is not None else None
                if bad_target:
                    names = (f"no numeric output {target!r}",)
                got = api_outcome(lambda: list(m.explain(arg, method=method, target=target)), names)
            if got is not None:
                assert [a.id for a in got] == doc.ids
                for a, b in zip(got, expected, strict=True):
                    np.testing.assert_allclose(a.attr, b.attr, rtol=1e-4, atol=1e-6)
                    assert abs(a.prediction - b.prediction) < 1e-5
        assert_unchanged(before, inp)


# ---- BED and GTF/GFF3 with a genome ---------------------------------------------------------------------------------


@dataclass
class Rows:
    """A generated BED or GTF/GFF3 file with its genome, and the outcome an independent reading of it predicts."""

    data: bytes
    suffix: str
    genome: dict[str, str]
    ids: list[str]
    seqs: list[str]
    meta: dict[str, list[Any]]
    error: tuple[str, ...] | None


def genome_text(genome: dict[str, str], width: int) -> str:
    return "".join(f">{c}\n" + "".join(s[i: i + width] + "\n" for i in range(0, len(s), width)) for c, s in genome.items())


class Oracle:
    """The rows a reader keeps, in order, and the first error: the reading zoo documents, written here on its own."""

    def __init__(self, genome: dict[str, str]) -> None:
        self.genome = genome
        self.ids: list[str] = []
        self.seqs: list[str] = []
        self.meta: dict[str, list[Any]] = {"chrom": [], "start": [], "end": [], "strand": []}
        self.error: tuple[str, ...] | None = None

    def add(self, line: int, name: str, chrom: str, start: int, end: int, strand: str) -> None:
        if self.error is not None:
            return
        if name in self.ids:
            self.error = (f"record '{name}'", f"line {line}: duplicate id")
            return
        if chrom not in self.genome:
            self.error = (f"record '{name}'", f"contig {chrom!r} is not in genome")
            return
        if end - start != WINDOW:  # any other interval: the window starts at its strand-aware 5' end
            start, end = (start, start + WINDOW) if strand == "+" else (end - WINDOW, end)
        contig = self.genome[chrom]
        if start >= len(contig) or end <= 0:
            self.error = (f"record '{name}'", "lies wholly")
            return
        seq = "".join(contig[i] if 0 <= i < len(contig) else "N" for i in range(start, end)).upper()
        self.ids.append(name)
        self.seqs.append(revcomp(seq) if strand == "-" else seq)
        for key, value in zip(self.meta, (chrom, start, end, strand), strict=True):
            self.meta[key].append(value)

    def fail(self, *names: str) -> None:
        if self.error is None:
            self.error = names


NAME = st.from_regex(r"[A-Za-z0-9_.|+-]{1,10}", fullmatch=True)
BAD_INT = st.sampled_from(["ten", "1.5", "1e3", "", "0x1A", "--5"])
BAD_STRAND = st.sampled_from(["x", "?", "++", "1", ""])
BED_DAMAGE = [None] * 12 + ["spaces", "int", "order", "negative", "strand", "duplicate", "contig", "past", "latin1", "nul",
                           "nothing"]


@st.composite
def genomes(draw: Callable[..., Any]) -> dict[str, str]:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return {c: bases(rng, draw(st.integers(150, 600)), "ACGTacgtN") for c in ("chr1", "chr2")}


@st.composite
def bed_docs(draw: Callable[..., Any]) -> Rows:
    genome = draw(genomes())
    n = draw(st.integers(1, 5))
    damage = draw(st.sampled_from(BED_DAMAGE))
    k = draw(st.integers(0, n - 1))
    oracle = Oracle(genome)
    lines = draw(st.lists(st.sampled_from(["# a comment", "track name=x", "browser position chr1:1-100", ""]),
                          max_size=2))
    rows: list[list[str]] = []
    for i in range(0 if damage == "nothing" else n):
        chrom = draw(st.sampled_from(list(genome)))
        start = draw(st.integers(0, len(genome[chrom]) - 1))
        end = start + draw(st.one_of(st.just(WINDOW), st.integers(1, 400)))
        ncols = draw(st.sampled_from([3, 4, 5, 6, 6, 8]))
        cols = [chrom, str(start), str(end)]
        if ncols >= 4:
            cols.append(draw(st.one_of(NAME, st.just("."))))
        if ncols >= 5:
            cols.append(str(draw(st.integers(0, 1000))))
        if ncols >= 6:
            cols.append(draw(st.sampled_from(["+", "-", "."])))
        if ncols >= 7:
            cols += [str(start), str(end)]
        if i == k:
            if damage == "int":
                cols[draw(st.integers(1, 2))] = draw(BAD_INT)
            elif damage == "order":
                cols[2] = str(start - draw(st.integers(0, start)))
            elif damage == "negative":
                cols[1] = str(-draw(st.integers(1, 50)))
            elif damage == "strand":
                cols = [*cols[:3], *([*cols[3:5], "0", "0"])[:2], draw(BAD_STRAND), *cols[6:]]
            elif damage == "duplicate" and rows:
                cols = list(draw(st.sampled_from(rows)))
            elif damage == "contig":
                cols[0] = "chrUn"
            elif damage == "past":
                cols[1] = str(len(genome[chrom]) + draw(st.integers(0, 100)))
                cols[2] = str(int(cols[1]) + draw(st.one_of(st.just(WINDOW), st.integers(1, 400))))
        rows.append(cols)
        lines.append(" ".join(cols) if i == k and damage == "spaces" else "\t".join(cols))
        lines += draw(st.lists(st.sampled_from(["# between", ""]), max_size=1))
    # the oracle: every data line in order
    for n_line, line in enumerate(lines, 1):
        if not line.strip() or line.startswith(("#", "track", "browser")):
            continue
        cols = line.split("\t")
        if len(cols) < 3:
            oracle.fail(f"line {n_line}: malformed BED row: expected at least 3 tab-separated columns")
            continue
        if not (re.fullmatch(r"-?[0-9]+", cols[1]) and re.fullmatch(r"-?[0-9]+", cols[2])):
            oracle.fail(f"line {n_line}: malformed BED row")
            continue
        start, end = int(cols[1]), int(cols[2])
        if start < 0 or end <= start or (len(cols) > 5 and cols[5] not in ("+", "-", ".")):
            oracle.fail(f"line {n_line}: malformed BED row")
            continue
        strand = "-" if len(cols) > 5 and cols[5] == "-" else "+"
        name = cols[3] if len(cols) > 3 and cols[3] not in ("", ".") else f"{cols[0]}:{start}-{end}({strand})"
        oracle.add(n_line, name, cols[0], start, end, strand)
    if not oracle.ids and oracle.error is None:
        oracle.fail("empty file: no intervals")
    text = draw_text_style(draw, lines)
    error = oracle.error
    if damage in ("latin1", "nul") and lines:
        error = (draw_byte_damage(draw, text, damage == "nul"),)
    gz = draw(st.sampled_from(GZ))
    data = compress(draw, text.render(draw), gz)
    if gz in ("corrupt", "truncated"):
        error = ()
    suffix = ".bed.gz" if draw(st.booleans()) else ".bed"  # gzip is found by content, whatever the name
    return Rows(data, suffix, genome, oracle.ids, oracle.seqs, oracle.meta, error)


GTF_DAMAGE = [None] * 12 + ["columns", "int", "order", "zero", "strand", "noid", "duplicate", "contig", "past", "latin1",
                           "nul", "nothing"]
TRANSCRIPT = ["transcript", "mRNA", "lnc_RNA", "ncRNA"]


@st.composite
def gtf_docs(draw: Callable[..., Any]) -> Rows:
    genome = draw(genomes())
    gff3 = draw(st.booleans())
    n = draw(st.integers(1, 4))
    damage = draw(st.sampled_from(GTF_DAMAGE))
    k = draw(st.integers(0, n - 1))
    lines = ["##gff-version 3"] if gff3 else []
    lines += draw(st.lists(st.sampled_from(["# a comment", ""]), max_size=1))
    rows: list[list[str]] = []
    for i in range(n):
        chrom = draw(st.sampled_from(list(genome)))
        s1 = draw(st.integers(1, len(genome[chrom])))
        e1 = s1 - 1 + draw(st.one_of(st.just(WINDOW), st.integers(1, 400)))
        strand = draw(st.sampled_from(["+", "-", "."]))
        kind = "exon" if damage == "nothing" else draw(st.sampled_from(TRANSCRIPT))
        tid, gid = draw(NAME), draw(NAME)
        if gff3:
            prefix = draw(st.sampled_from(["", "", "transcript:", "rna-"]))
            attrs = f"ID={prefix}{tid};Parent=gene:{gid}" + draw(st.sampled_from(["", ";Name=x y", ";"]))
            if damage == "noid" and i == k:
                attrs = f"Parent={gid};Name={tid}"
        else:
            attrs = f'gene_id "{gid}"; transcript_id "{tid}";' + draw(st.sampled_from(["", ' gene_name "A B";']))
            if damage == "noid" and i == k:
                attrs = f'gene_name "{tid}";'
        cols = [chrom, "fuzz", kind, str(s1), str(e1), ".", strand, ".", attrs]
        if i == k:
            if damage == "columns":
                cols = cols[: draw(st.integers(1, 8))]
            elif damage == "int":
                cols[draw(st.integers(3, 4))] = draw(BAD_INT)
            elif damage == "order":
                cols[4] = str(s1 - draw(st.integers(1, s1)))
            elif damage == "zero":
                cols[3] = "0"
            elif damage == "strand":
                cols[6] = draw(BAD_STRAND)
            elif damage == "duplicate" and rows:
                cols = list(draw(st.sampled_from(rows)))
            elif damage == "contig":
                cols[0] = "chrUn"
            elif damage == "past":
                cols[3] = str(len(genome[chrom]) + 1 + draw(st.integers(0, 100)))
                cols[4] = str(int(cols[3]) - 1 + draw(st.one_of(st.just(WINDOW), st.integers(1, 400))))
        rows.append(cols)
        lines.append("\t".join(cols))
        if draw(st.booleans()):  # an exon of it: not a transcript feature, skipped
            lines.append("\t".join([chrom, "fuzz", "exon", str(s1), str(s1), ".", strand, ".",
                                    f"Parent={tid}" if gff3 else f'transcript_id "{tid}";']))
    oracle = Oracle(genome)
    for n_line, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 9:
            oracle.fail(f"line {n_line}: malformed GTF/GFF row")
            continue
        if cols[2] not in TRANSCRIPT:
            continue
        attrs = dict(re.findall(r'(\w+)[= ]"?([^";]*)"?', cols[8]))
        name = attrs.get("transcript_id") or attrs.get("ID") or attrs.get("gene_id")
        if not (name and re.fullmatch(r"[0-9]+", cols[3]) and re.fullmatch(r"[0-9]+", cols[4])
                and 1 <= int(cols[3]) <= int(cols[4]) and cols[6] in ("+", "-", ".")):
            oracle.fail(f"line {n_line}: malformed GTF/GFF row")
            continue
        name = name.removeprefix("transcript:").removeprefix("rna-")
        oracle.add(n_line, name, cols[0], int(cols[3]) - 1, int(cols[4]), "-" if cols[6] == "-" else "+")
    if not oracle.ids and oracle.error is None:
        oracle.fail("empty file: no transcript/mRNA features")
    text = draw_text_style(draw, lines)
    error = oracle.error
    if damage in ("latin1", "nul"):
        error = (draw_byte_damage(draw, text, damage == "nul"),)
    gz = draw(st.sampled_from(GZ))
    data = compress(draw, text.render(draw), gz)
    if gz in ("corrupt", "truncated"):
        error = ()
    suffix = draw(st.sampled_from([".gff3", ".gff"] if gff3 else [".gtf"]))
    return Rows(data, suffix + (".gz" if draw(st.booleans()) else ""), genome, oracle.ids, oracle.seqs,
                oracle.meta, error)


def run_intervals(zoo_cli: Cli, doc: Rows, via: str, width: int) -> None:
    m = zoo.get_model("toy")
    with workspace() as (inp, outdir):
        genome = inp / "genome.fa"
        genome.write_text(genome_text(doc.genome, width))
        path = inp / f"regions{doc.suffix}"
        path.write_bytes(doc.data)
        before = snapshot(inp)
        names = None if doc.error is None else (str(path), *doc.error)
        if via == "api":
            got = api_outcome(lambda: m.predict(path, genome=genome), names)
            if got is not None:
                assert_predictions(got, doc.ids, doc.seqs, meta=doc.meta)
        else:
            output = outdir / "out.tsv"
            code, _out, err = zoo_cli("predict", "toy", path, "--genome", genome, "-o", output, "-q")
            if names is not None:
                assert_cli_error(code, err, names)
                assert_folder(outdir, set())
            else:
                assert_cli_ok(code, err)
                assert_predictions(read_table(output), doc.ids, doc.seqs, meta=doc.meta)
                assert_folder(outdir, {"out.tsv"})
        assert_unchanged(before, inp)


@fuzz("bed")
@given(doc=bed_docs(), via=st.sampled_from(["api", "cli"]), width=st.sampled_from([60, 1000]))
def test_bed_with_a_genome(toy: registry_mod.Registry, zoo_cli: Cli, doc: Rows, via: str, width: int) -> None:
    count("bed")
    run_intervals(zoo_cli, doc, via, width)


@fuzz("gtf")
@given(doc=gtf_docs(), via=st.sampled_from(["api", "cli"]), width=st.sampled_from([60, 1000]))
def test_gtf_and_gff3_with_a_genome(toy: registry_mod.Registry, zoo_cli: Cli, doc: Rows, via: str, width: int) -> None:
    count("gtf")
    run_intervals(zoo_cli, doc, via, width)


# ---- the --features table ------------------------------------------------------------------------------------------


@pytest.fixture
def toyfeat(use_plugins: Callable[..., registry_mod.Registry], toy_plugin: ModuleType, tmp_path: Path) -> str:
    """The toy model with a numeric input of 2 values (``extra``), so it takes ``--features``; and the toy itself."""
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


GOOD_CELLS = st.one_of(
    st.floats(-1e30, 1e30, allow_nan=False).flatmap(lambda v: st.sampled_from([repr(v), f"{v:g}", f"{v:.3e}", f"{v:E}"])),
    st.integers(-10**6, 10**6).map(str),
    st.sampled_from(["+1", "-0", ".5", "5.", "1e3", " 2.5", "7 "]))
BAD_CELLS = {"": "empty cell", "x": "is not a number", "nan": "is not a number", "NaN": "is not a number",
             "N/A": "is not a number", "1,5": "is not a number", "1_000": "is not a number", "0x10": "is not a number",
             "inf": "is not a finite number", "-Infinity": "is not a finite number", "1e40": "too large for float32"}
FEATURE_DAMAGE = [None] * 12 + ["cell", "missing", "duplicate", "emptyid", "columns", "ragged", "noid", "latin1", "nul"]


@dataclass
class Features:
    fasta: bytes
    ids: list[str]
    seqs: list[str]
    table: bytes
    values: dict[str, list[float]]
    error: tuple[str, ...] | None  # in the feature table (None: valid)
    record_error: bool  # an error naming the table, found while reading the FASTA (a record with no row)


@st.composite
def feature_docs(draw: Callable[..., Any]) -> Features:
    n = draw(st.integers(1, 4))
    ids = draw(st.lists(TSV_IDS, min_size=n, max_size=n, unique=True))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    seqs = [bases(rng, WINDOW, "ACGT") for _ in range(n)]
    fasta = "".join(f">{i}\n{s}\n" for i, s in zip(ids, seqs, strict=True)).encode()
    extra = draw(st.lists(TSV_IDS.filter(lambda i: i not in ids), max_size=2, unique=True))
    order = draw(st.permutations(ids + extra))
    damage = draw(st.sampled_from(FEATURE_DAMAGE))
    columns = draw(st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(lambda c: c != "id"),
                            min_size=2, max_size=2, unique=True))
    id_at = draw(st.integers(0, 2))
    header = [*columns[:id_at], "id", *columns[id_at:]]
    rows = [[draw(GOOD_CELLS), draw(GOOD_CELLS)] for _ in order]
    error: tuple[str, ...] | None = None
    record_error = False
    order = list(order)
    r = draw(st.integers(0, len(order) - 1))
    if damage == "cell":
        c = draw(st.integers(0, 1))
        bad = draw(st.sampled_from(sorted(BAD_CELLS)))
        rows[r][c] = bad
        # the first bad cell in the table, row by row, is the one named
        error = (f"record '{order[r]}'", f"column {columns[c]!r} of input 'extra'", BAD_CELLS[bad])
    elif damage == "missing":
        gone = order.pop(r)
        rows.pop(r)
        if gone in ids:
            error, record_error = (f"record '{gone}'", "no row for input 'extra'"), True
    elif damage == "duplicate" and len(order) > 1:
        r = max(r, 1)
        order[r] = order[draw(st.integers(0, r - 1))]
        error = (f"record '{order[r]}'", "duplicate id")
    elif damage == "emptyid":
        order[r] = ""
        error = (f"line {r + 2}: empty id",)
    elif damage == "columns":
        header = [*header, "more"]
        rows = [[*cells, "1"] for cells in rows]
        error = ("expected columns 'id' + 2 numeric columns",)
    elif damage == "noid":
        header[id_at] = "name"
        error = ("expected columns 'id' + 2 numeric columns",)
    elif damage == "ragged":  # the first data row: pandas would take its first cell as an index
        rows[r] = [*rows[r], "1"]
        error = ("line 2: more tab-separated cells",) if r == 0 else ("not a tab-separated table", f"line {r + 2}, saw 4")
    lines = ["\t".join(header)]
    for rid, cells in zip(order, rows, strict=True):
        lines.append("\t".join([*cells[:id_at], rid, *cells[id_at:]]))
    text = draw_text_style(draw, lines)
    if damage in ("latin1", "nul"):
        error = (draw_byte_damage(draw, text, damage == "nul"),)
    gz = draw(st.sampled_from(GZ))
    data = compress(draw, text.render(draw), gz)
    if gz in ("corrupt", "truncated"):
        error, record_error = (), False
    values = {} if error is not None else {rid: [float(np.float32(float(c))) for c in cells]
                                           for rid, cells in zip(order, rows, strict=True)}
    return Features(fasta, ids, seqs, data, values, error, record_error)


@fuzz("features")
@given(doc=feature_docs(), via=st.sampled_from(["api", "cli"]), suffix=st.sampled_from([".tsv", ".tsv.gz", ".txt"]))
def test_feature_tables(toyfeat: str, zoo_cli: Cli, doc: Features, via: str, suffix: str) -> None:
    from zoo_core.dataloaders import read_feature_table

    count("features")
    with workspace() as (inp, outdir):
        fasta, table = inp / "reads.fa", inp / f"features{suffix}"
        fasta.write_bytes(doc.fasta)
        table.write_bytes(doc.table)
        before = snapshot(inp)
        names = None if doc.error is None else (str(table), *doc.error)
        if doc.error is None or doc.record_error:  # the table itself reads: its values, exactly
            got = read_feature_table(table, "extra", 2)
            if doc.error is None:
                assert {k: [float(x) for x in v] for k, v in got.items()} == doc.values
        else:
            api_outcome(lambda: read_feature_table(table, "extra", 2), names)
        if via == "api":
            df = api_outcome(lambda: zoo.get_model(toyfeat).predict(fasta, features=table), names)
            if df is not None:
                assert_predictions(df, doc.ids, doc.seqs)
        else:
            code, _, err = zoo_cli("predict", toyfeat, fasta, "--features", table, "-o", outdir / "out.tsv", "-q")
            if names is not None:
                assert_cli_error(code, err, names)
                assert_folder(outdir, set())
            else:
                assert_cli_ok(code, err)
                assert_predictions(read_table(outdir / "out.tsv"), doc.ids, doc.seqs)
                assert_folder(outdir, {"out.tsv"})
        assert_unchanged(before, inp)


# ---- zoo vep --pairs -------------------------------------------------------------------------------------------------

PAIR_DAMAGE = [None] * 12 + ["column", "emptycell", "duplicate", "letter", "length", "norows", "ragged", "latin1", "nul"]


@dataclass
class Pairs:
    data: bytes
    ids: list[str]
    ref: list[str]
    alt: list[str]
    error: tuple[str, ...] | None
    label: str = ""  # the error names "<file> (ref)" or "<file> (alt)"


@st.composite
def pair_docs(draw: Callable[..., Any]) -> Pairs:
    n = draw(st.integers(1, 4))
    ids = draw(st.lists(TSV_IDS, min_size=n, max_size=n, unique=True))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ref = [bases(rng, WINDOW, draw(st.sampled_from(MIXES))) for _ in range(n)]
    alt = [s[:p] + "ACGT"[int(rng.integers(4))] + s[p + 1:] for s in ref for p in [int(rng.integers(WINDOW))]]
    header = draw(st.permutations(["id", "ref", "alt"]))
    header = list(header) + draw(st.lists(st.sampled_from(["note"]), max_size=1))
    cells = [{"id": i, "ref": r, "alt": a, "note": draw(st.sampled_from(["", "x", "a b"]))}
             for i, r, a in zip(ids, ref, alt, strict=True)]
    damage = draw(st.sampled_from(PAIR_DAMAGE))
    k = draw(st.integers(0, n - 1))
    error: tuple[str, ...] | None = None
    label = ""
    written_ids = list(ids)
    if damage == "column":
        gone = draw(st.sampled_from(["id", "ref", "alt"]))
        header[header.index(gone)] = "other"
        for c in cells:
            c["other"] = c[gone]
        error = (f"no column {gone!r}",)
    elif damage == "emptycell":
        col = draw(st.sampled_from(["id", "ref", "alt"]))
        cells[k][col] = draw(st.sampled_from(["", " "]))
        error = (f"empty {col}", f"record '{ids[k]}'" if col != "id" else f"record 'row {k + 2}'")
        if col == "id" and cells[k][col] == " ":
            error = ("empty id", "record ' '")
    elif damage == "duplicate" and n > 1:
        k = max(k, 1)
        written_ids[k] = cells[k]["id"] = ids[draw(st.integers(0, k - 1))]
        error = ("duplicate id", f"record '{written_ids[k]}'")
    elif damage in ("letter", "length"):
        side = draw(st.sampled_from(["ref", "alt"]))
        s = cells[k][side]
        if damage == "letter":
            p = draw(st.integers(0, WINDOW - 1))
            cells[k][side] = s[:p] + draw(st.sampled_from(BAD_LETTERS.replace("_", ""))) + s[p + 1:]
            error = (f"record '{ids[k]}'", "invalid")
        else:
            cells[k][side] = s[: -draw(st.integers(1, 50))]
            error = (f"record '{ids[k]}'", "sequence length")
        label = side
    elif damage == "norows":
        cells = []
        error = ("no pairs",)
    lines = ["\t".join(header)] + ["\t".join(c[h] for h in header) for c in cells]
    if damage == "ragged" and cells:
        lines[1 + k] += "\textra\tcells"
        error = ("line 2: more tab-separated cells",) if k == 0 else ("not a tab-separated table", f"line {k + 2}, saw")
    text = draw_text_style(draw, lines)
    if damage in ("latin1", "nul"):
        error = (draw_byte_damage(draw, text, damage == "nul"),)
    gz = draw(st.sampled_from(GZ))
    data = compress(draw, text.render(draw), gz)
    if gz in ("corrupt", "truncated"):
        error = ()
    return Pairs(data, written_ids, ref, alt, error, label if error and gz not in ("corrupt", "truncated") else "")


@fuzz("pairs")
@given(doc=pair_docs(), via=st.sampled_from(["api", "cli", "stdin"]), suffix=st.sampled_from([".tsv", ".tsv.gz"]),
       batch=st.integers(1, 3))
def test_vep_pairs(toy: registry_mod.Registry, zoo_cli: Cli, doc: Pairs, via: str, suffix: str, batch: int) -> None:
    count("pairs")
    with workspace() as (inp, outdir):
        path = inp / f"pairs{suffix}"
        path.write_bytes(doc.data)
        before = snapshot(inp)
        source = "<stdin>" if via == "stdin" else str(path)
        names = None if doc.error is None else (source + (f" ({doc.label})" if doc.label else ""), *doc.error)
        if via == "api":
            got = api_outcome(lambda: zoo.get_model("toy").score_pairs(path, batch_size=batch), names)
        else:
            with stdin_bytes(doc.data if via == "stdin" else None):
                code, _, err = zoo_cli("vep", "toy", "--pairs", "-" if via == "stdin" else path, "-o",
                                       outdir / "out.tsv", "--batch-size", batch, "-q")
            got = None
            if names is not None:
                assert_cli_error(code, err, names)
                assert_folder(outdir, set())
            else:
                assert_cli_ok(code, err)
                got = read_table(outdir / "out.tsv")
                assert_folder(outdir, {"out.tsv"})
        if got is not None:
            assert list(got.columns) == ["id", "ref_score", "alt_score", "delta_score"]
            assert [str(i) for i in got["id"]] == doc.ids
            r, a = reference(doc.ref), reference(doc.alt)
            np.testing.assert_allclose(got["ref_score"].astype(float), r, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(got["alt_score"].astype(float), a, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(got["delta_score"].astype(float), a - r, rtol=1e-4, atol=1e-6)
        assert_unchanged(before, inp)


# ---- paths -------------------------------------------------------------------------------------------------------

SCENARIOS = ["ok", "symlink", "missing", "dangling", "directory", "out-is-input", "out-links-input",
             "out-hardlinks-input", "out-in-missing-folder", "out-is-folder", "out-stdout", "in-stdin", "out-bad-suffix",
             "fifo", "out-exists"]


@fuzz("paths")
@given(how=st.one_of(st.tuples(st.just("cli"), st.sampled_from(SCENARIOS)),
                    st.tuples(st.just("api"), st.sampled_from([s for s in SCENARIOS if not s.startswith("out-")]))),
       command=st.sampled_from(["predict", "explain", "vep"]), gz=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_paths(toy: registry_mod.Registry, zoo_cli: Cli, how: tuple[str, str], command: str, gz: bool, seed: int) -> None:
    count("paths")
    via, scenario = how
    rng = np.random.default_rng(seed)
    ids = [f"r{i}" for i in range(int(rng.integers(1, 4)))]
    seqs = [bases(rng, WINDOW, "ACGTN") for _ in ids]
    if command == "vep":
        text = "id\tref\talt\n" + "".join(f"{i}\t{s}\t{s[::-1]}\n" for i, s in zip(ids, seqs, strict=True))
    else:
        text = "".join(f">{i}\n{s}\n" for i, s in zip(ids, seqs, strict=True))
    data = gzip.compress(text.encode(), mtime=0) if gz else text.encode()
    m = zoo.get_model("toy")
    with workspace() as (inp, outdir):
        path = inp / ("pairs.tsv" if command == "vep" else "reads.fa")
        if scenario != "fifo":
            path.write_bytes(data)
        arg: Path | str = path
        output: Path | str = outdir / ("attr.h5" if command == "explain" else "out.tsv")
        names: tuple[str, ...] | None = None
        usage = False
        if scenario == "symlink":
            arg = inp / "link"
            arg.symlink_to(path)
        elif scenario == "missing":
            arg = inp / "nope.fa"
            names = (str(arg), "no such file")
        elif scenario == "dangling":
            arg = inp / "dangling.fa"
            arg.symlink_to(inp / "gone.fa")
            names = (str(arg), "no such file")
        elif scenario == "directory":
            arg = inp / "folder.fa"
            arg.mkdir()
            names, usage = (str(arg), "is a directory"), True
        elif scenario == "out-is-input":
            output, names = path, (str(path), "is also an input")
        elif scenario == "out-links-input":
            output = outdir / "link.tsv"
            output.symlink_to(path)
            names = (str(output), "is also an input")
        elif scenario == "out-hardlinks-input":
            output = outdir / "hard.tsv"
            os.link(path, output)
            names = (str(output), "is also an input")
        elif scenario == "out-in-missing-folder":
            output = outdir / "no" / "such" / "out.h5"
            names = (str(outdir / "no" / "such"), "does not exist")
        elif scenario == "out-is-folder":
            output = outdir / "sub"
            output.mkdir()
            names, usage = (str(output), "directory"), True
        elif scenario == "out-stdout":
            output = "-"
            if command == "explain":
                names, usage = ("--output",), True
        elif scenario == "in-stdin":
            arg = "-"
        elif scenario == "out-bad-suffix":
            output = outdir / "out.xyz"
            names = (str(output), "unknown output format") if command != "explain" else ("--output",)
            usage = command == "explain"
        elif scenario == "out-exists" and isinstance(output, Path):
            output.write_bytes(b"previous results\n")
        before, kept = snapshot(inp), snapshot(outdir)
        feed = fifo_with(path, data) if scenario == "fifo" else contextlib.nullcontext()
        with feed, stdin_bytes(data if scenario == "in-stdin" else None):
            if via == "api":
                src = Path(arg)
                api_names = None if names is None else ("<stdin>" if arg == "-" else str(arg), *names[1:])
                if command == "vep":
                    got = api_outcome(lambda: m.score_pairs(src), api_names)
                elif command == "explain":
                    got = api_outcome(lambda: list(m.explain(src, method="grad")), api_names)
                else:
                    got = api_outcome(lambda: m.predict(src), api_names)
                if got is not None:
                    assert ([a.id for a in got] if command == "explain" else got["id"].tolist()) == ids
                assert_unchanged(before, inp)
                return
            if command == "vep":
                args = ["vep", "toy", "--pairs", arg, "-o", output, "-q"]
            elif command == "explain":
                args = ["explain", "toy", arg, "--method", "grad", "-o", output, "-q"]
            else:
                args = ["predict", "toy", arg, "-o", output, "-q"]
            code, out, err = zoo_cli(*args)
        if names is not None:
            assert_cli_error(code, err, names, usage=usage)
            assert out == ""
            assert snapshot(outdir) == kept
        else:
            assert_cli_ok(code, err)
            if command == "explain":
                with h5py.File(output) as h5:
                    assert [i.decode() for i in h5["ids"][:]] == ids
            elif output == "-":
                assert read_table(out)["id"].tolist() == ids
            else:
                assert read_table(Path(output))["id"].tolist() == ids
            assert_folder(outdir, set() if output == "-" else {Path(output).name})
        if scenario != "fifo":
            assert_unchanged(before, inp)


# ---- numeric arrays through the Python API ---------------------------------------------------------------------------


@dataclass
class ArrayCase:
    value: Any
    valid: bool
    x: np.ndarray | None  # the float32 (N, 200, 4) array a valid case means


@st.composite
def array_cases(draw: Callable[..., Any], call: str) -> ArrayCase:
    """Half valid (one-hot or soft values, any numeric dtype, an array, a list or a mapping), half with one thing wrong."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    broken = draw(st.sampled_from([None] * 9 + ["records", "length", "channels", "ndim", "value", "extra-key",
                                                "wrong-key", "junk"]))
    n = 0 if broken == "records" else draw(st.integers(1, 5))
    length = draw(st.sampled_from([199, 201, 1, 400])) if broken == "length" else WINDOW
    channels = draw(st.sampled_from([3, 5, 1])) if broken == "channels" else 4
    soft = draw(st.booleans())
    if soft:
        x = rng.random((n, length, channels)).astype(np.float32)
    else:
        x = np.eye(channels + 1, dtype=np.float32)[rng.integers(0, channels + 1, (n, length))][..., :channels]
    if broken == "value":
        x.flat[draw(st.integers(0, x.size - 1))] = draw(st.sampled_from([np.nan, np.inf, -np.inf, -0.5, 1.5, 2.0, -1e-3]))
    value: Any = x
    if broken == "ndim":
        value = x[0] if draw(st.booleans()) else x[None]
    dtype = draw(st.sampled_from(["float32", "float64", "int8", "bool", "object", "float16"]))
    if dtype in ("int8", "bool") and (soft or broken == "value"):
        dtype = "float64"  # a cast would round the values
    value = value.astype(dtype)
    clean = value.astype(np.float32)  # what the model must see (float16 rounds soft values)
    container = draw(st.sampled_from(["array", "array", "list", "mapping"]))
    if container == "list":  # predict_array reads it as an array; predict and explain as a list of sequences or paths
        value = value.tolist()
    elif container == "mapping":
        value = {"sequence": value}
    if broken == "extra-key":  # a misspelt input name
        value = {"sequence": value, draw(st.sampled_from(["seq", "extra", "Sequence"])):
                 draw(st.sampled_from([np.zeros((n, 2), np.float32), 5, "x", None]))}
    elif broken == "wrong-key":
        value = {"seq": value}
    elif broken == "junk":
        value = draw(st.sampled_from([5, None, "ACGT", b"ACGT", 1.5, object(), [], {}]))
    valid = broken is None and (container != "list" or call == "predict_array")
    return ArrayCase(value, valid, clean if valid else None)


@fuzz("arrays")
@given(call_case=st.sampled_from(["predict_array", "predict", "explain"]).flatmap(
           lambda call: st.tuples(st.just(call), array_cases(call))), batch=st.integers(1, 4))
def test_arrays(toy: registry_mod.Registry, call_case: tuple[str, ArrayCase], batch: int) -> None:
    call, case = call_case
    count("arrays")
    m = zoo.get_model("toy")
    if call == "predict_array":
        fn: Callable[[], Any] = lambda: m.predict_array(case.value, batch_size=batch)  # noqa: E731
    elif call == "predict":
        fn = lambda: m.predict(case.value, batch_size=batch)  # noqa: E731
    else:
        fn = lambda: list(m.explain(case.value, method="grad", batch_size=batch))  # noqa: E731
    got = api_outcome(fn, None if case.valid else ())
    if got is None:
        return
    assert case.x is not None
    ref = np.asarray(impl().predict_on_batch({"sequence": case.x}), np.float64)[:, 0]
    if call == "predict_array":
        assert got.shape == (len(case.x), 1)
        np.testing.assert_allclose(got[:, 0], ref, rtol=1e-5, atol=1e-6)
    elif call == "predict":
        assert got["id"].tolist() == [f"seq_{i}" for i in range(len(case.x))]
        np.testing.assert_allclose(got["score"], ref, rtol=1e-5, atol=1e-6)
    else:
        assert [a.id for a in got] == [f"seq_{i}" for i in range(len(case.x))]
        grad = impl().gradient({"sequence": case.x}, target="score", name="sequence") * case.x
        for k, a in enumerate(got):
            np.testing.assert_allclose(a.attr, grad[k], rtol=1e-4, atol=1e-6)


# ---- the count ---------------------------------------------------------------------------------------------------


def test_zz_cases_counted(pytestconfig: pytest.Config) -> None:
    """Every property ran its cases (hypothesis may stop a property early only when it has exhausted its space);
    one line reports how many, whether or not output is captured."""
    if not CASES:
        pytest.skip("no property of this file ran")
    for name, n in CASES.items():
        assert n >= EXAMPLES[name] // 2, (name, n, EXAMPLES[name])
    total = sum(CASES.values())
    results = sum(n for (_, kind), n in OUTCOMES.items() if kind == "result")
    errors = sum(n for (_, kind), n in OUTCOMES.items() if kind == "error")
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"test_fuzz: {total} generated cases ({', '.join(f'{k} {v}' for k, v in CASES.items())}); "
                                f"{results} runs checked for an exact result, {errors} for one error "
                                f"line; {time.perf_counter() - _START[0]:.0f} s")
