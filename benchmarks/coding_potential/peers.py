"""Coding-potential peers on the zoo-bioseq2seq test split: one table of accuracy, F1, recall, precision, MCC.

PC (protein-coding) is the positive class, as in the bioseq2seq paper's Table 1. Rows:

* CPC2 (``cpc2-standalone``, its bundled SVM model; forward strand only, as the paper ran it).
* CPAT 3.0.5 with its published human model (hexamer table, logit model, cutoff 0.364), on every test
  transcript, although the split also holds mouse and Arabidopsis transcripts.
* CPAT 3.0.5 retrained on the zoo train split (``make_hexamer_tab`` + ``make_logitModel``; cutoff where
  sensitivity equals specificity on the train split, CPAT's own convention), as the paper did.
* RNAsamba: not run (see ``RNASAMBA_REASON``).
* ``--zoo-model NAME`` (repeatable): ``zoo.get_model(NAME).predict(fasta)``, its ``class`` column.
* The floor every model must clear (issue 16): protein-coding if the longest ATG…stop ORF has at least 100
  codons (``zoo-bioseq2seq/scripts/build_dataset.py::orf_rule``, the rule that chose the mouse v1 targets).

Throughput is transcripts per second over the wall time of the tool's prediction step alone (the
subprocess, or the ``predict`` call), excluding installs, training and the writing of the input FASTA.
Per-species rows follow the main table (throughput is not split by species).

The peers live in their own virtualenvs under ``build/peers/`` (see README.md beside this file); the
script itself runs in the project's ``.venv``.

    .venv/bin/python benchmarks/coding_potential/peers.py [--split-dir build/bioseq2seq] [--zoo-model bioseq2seq]
    .venv/bin/python benchmarks/coding_potential/peers.py --split-dir build/bioseq2seq_v2   # the v2 test split
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
SPLITS = ROOT / "plugins" / "zoo-bioseq2seq" / "splits"
ORF_RULE_CODONS = 100
POSITIVE, NEGATIVE = "PC", "NC"
RNASAMBA_REASON = (
    "not installable on Python 3.11: rnasamba 0.2.5 requires tensorflow>=1.5.0,<2.0 and numpy<=1.16.5; pip: "
    "'No matching distribution found for tensorflow<2.0,>=1.5.0' (the oldest tensorflow for 3.11 is 2.12)"
)
CPC2_NOTE = "cpc2-standalone 1.0.9, bundled model, + strand"


# ----------------------------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class Scores:
    """Binary classification counts and metrics with PC as the positive class."""

    tp: int
    fn: int
    fp: int
    tn: int

    @property
    def n(self) -> int:
        return self.tp + self.fn + self.fp + self.tn

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / self.n if self.n else math.nan

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else math.nan

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else math.nan

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp + self.fp + self.fn else math.nan

    @property
    def mcc(self) -> float:
        denom = math.sqrt((self.tp + self.fp) * (self.tp + self.fn) * (self.tn + self.fp) * (self.tn + self.fn))
        # 0 is the usual convention when one margin is empty (e.g. a tool that calls everything PC)
        return (self.tp * self.tn - self.fp * self.fn) / denom if denom else 0.0


def score(labels: Sequence[str], predictions: Sequence[str], positive: str = POSITIVE) -> Scores:
    """Confusion counts of ``predictions`` against ``labels``; anything other than ``positive`` is negative.

    Raises
    ------
    ValueError
        The two sequences differ in length.
    """
    if len(labels) != len(predictions):
        raise ValueError(f"{len(labels)} labels but {len(predictions)} predictions")
    tp = fn = fp = tn = 0
    for truth, pred in zip(labels, predictions, strict=True):
        if truth == positive:
            tp, fn = (tp + 1, fn) if pred == positive else (tp, fn + 1)
        else:
            fp, tn = (fp + 1, tn) if pred == positive else (fp, tn + 1)
    return Scores(tp=tp, fn=fn, fp=fp, tn=tn)


@dataclass
class Row:
    """One line of the table: scores and timing of a tool, or why it was not run."""

    tool: str
    scores: Scores | None = None
    seconds: float | None = None
    note: str = ""

    @property
    def per_second(self) -> float | None:
        if self.scores is None or not self.seconds:
            return None
        return self.scores.n / self.seconds


def format_table(rows: Sequence[Row]) -> str:
    """A Markdown table; rows without scores show their note in place of the figures."""
    head = "| tool | accuracy | F1 | recall | precision | MCC | transcripts/s | n | TP/FN/FP/TN | note |"
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for r in rows:
        s = r.scores
        if s is None:
            lines.append(f"| {r.tool} | – | – | – | – | – | – | – | – | not run: {r.note} |")
            continue
        rate = f"{r.per_second:,.1f}" if r.per_second is not None else "–"
        figures = " | ".join(f"{v:.3f}" for v in (s.accuracy, s.f1, s.recall, s.precision, s.mcc))
        lines.append(f"| {r.tool} | {figures} | {rate} | {s.n} | {s.tp}/{s.fn}/{s.fp}/{s.tn} | {r.note} |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------- running


class PeerError(RuntimeError):
    """A peer tool is missing or failed; the message goes into its table row."""


def run_timed(cmd: Sequence[str | Path], cwd: Path, repeats: int = 1) -> float:
    """Run ``cmd`` ``repeats`` times and return the median wall time in seconds (outputs are overwritten).

    Raises
    ------
    PeerError
        Non-zero exit (with the tail of its stderr).
    """
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise PeerError(f"{Path(str(cmd[0])).name} exited {proc.returncode}: {' / '.join(tail)}")
    return statistics.median(times)


def executable(path: Path) -> Path:
    if not path.is_file():
        raise PeerError(f"{path} not found (install it as in benchmarks/coding_potential/README.md)")
    return path


def write_fasta(path: Path, records: Sequence[tuple[str, str]]) -> Path:
    # bare ids only: the split's own FASTA headers carry the class, which no tool should see
    with path.open("w") as fh:
        for name, seq in records:
            fh.write(f">{name}\n{seq}\n")
    return path


def run_cpc2(bin_dir: Path, fasta: Path, work: Path, repeats: int = 1) -> tuple[dict[str, str], float]:
    """CPC2's labels (``coding`` → PC) and the median wall time of its run."""
    cpc2 = executable(bin_dir / "cpc2")
    seconds = run_timed([cpc2, "-i", fasta, "-o", "cpc2"], cwd=work, repeats=repeats)
    table = pd.read_csv(work / "cpc2.txt", sep="\t")  # CPC2 appends ".txt" to -o
    calls = {str(i): POSITIVE if lab == "coding" else NEGATIVE for i, lab in zip(table["#ID"], table["label"], strict=True)}
    return calls, seconds


def run_cpat(bin_dir: Path, fasta: Path, work: Path, prefix: str, hexamer: Path, logit: Path,
             repeats: int = 1) -> tuple[dict[str, float], float]:
    """CPAT's coding probability of the best ORF per transcript (0 where it finds no ORF), and median wall time."""
    cpat = executable(bin_dir / "cpat")
    cmd: list[str | Path] = [cpat, "-g", fasta, "-o", prefix, "-x", hexamer, "-d", logit,
                             "--top-orf=5", f"--log-file={prefix}.log"]
    seconds = run_timed(cmd, cwd=work, repeats=repeats)
    best = pd.read_csv(work / f"{prefix}.ORF_prob.best.tsv", sep="\t")
    probs = {str(i): float(p) for i, p in zip(best["seq_ID"], best["Coding_prob"], strict=True)}
    no_orf = work / f"{prefix}.no_ORF.txt"
    if no_orf.exists():
        # no ORF of ≥ 75 nt means CPAT has nothing to call coding
        probs.update({line.strip(): 0.0 for line in no_orf.read_text().splitlines() if line.strip()})
    return probs, seconds


def read_cutoff(path: Path) -> float:
    match = re.search(r"Cutoff:\s*([0-9.]+)", path.read_text())
    if match is None:
        raise PeerError(f"no 'Cutoff: <number>' in {path}")
    return float(match.group(1))


def balanced_cutoff(probs: Sequence[float], labels: Sequence[str]) -> float:
    """The cutoff where sensitivity and specificity meet (CPAT's convention for its published cutoffs)."""
    p = np.asarray(probs, dtype=float)
    is_pos = np.asarray(labels) == POSITIVE
    pos, neg = np.sort(p[is_pos]), np.sort(p[~is_pos])
    candidates = np.unique(p)
    sensitivity = 1 - np.searchsorted(pos, candidates, side="left") / len(pos)  # share of PC at or above c
    specificity = np.searchsorted(neg, candidates, side="left") / len(neg)  # share of NC below c
    return float(candidates[np.argmin(np.abs(sensitivity - specificity))])


def coding_sequence(rna: str, protein: str) -> str | None:
    """The CDS (with its stop codon when present) whose translation is ``protein``, or None."""
    from zoo_core.transcripts import translate

    for frame in range(3):
        peptide = translate(rna[frame:])
        i = peptide.find(protein)
        if i >= 0:
            start = frame + 3 * i
            end = start + 3 * len(protein) + (3 if peptide[i + len(protein) : i + len(protein) + 1] == "*" else 0)
            return rna[start:end]
    return None


def train_cpat(bin_dir: Path, train: pd.DataFrame, work: Path) -> tuple[Path, Path, float, float, str]:
    """Hexamer table, logit model and cutoff from the train split; also the training wall time and a note.

    The hexamer table wants CDS only, so each PC transcript's CDS is found from its ``protein`` column;
    the logit model takes whole transcripts (CPAT then uses their longest ORF).
    """
    work.mkdir(parents=True, exist_ok=True)
    pc, nc = train[train["class"] == POSITIVE], train[train["class"] != POSITIVE]
    cds = [(i, coding_sequence(r, p)) for i, r, p in zip(pc["id"], pc["rna"], pc["protein"], strict=True)]
    found = [(i, s) for i, s in cds if s]
    write_fasta(work / "train_cds.fa", found)
    write_fasta(work / "train_pc.fa", list(zip(pc["id"], pc["rna"], strict=True)))
    write_fasta(work / "train_nc.fa", list(zip(nc["id"], nc["rna"], strict=True)))
    write_fasta(work / "train_all.fa", list(zip(train["id"], train["rna"], strict=True)))

    t0 = time.perf_counter()
    hexamer = work / "zoo_hexamer.tsv"
    with hexamer.open("w") as out:  # make_hexamer_tab writes the table to stdout
        proc = subprocess.run([str(executable(bin_dir / "make_hexamer_tab")), "-c", "train_cds.fa", "-n", "train_nc.fa"],
                              cwd=work, stdout=out, stderr=subprocess.PIPE, text=True, check=False)
    if proc.returncode != 0:
        raise PeerError(f"make_hexamer_tab exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
    run_timed([executable(bin_dir / "make_logitModel"), "-x", hexamer, "-c", "train_pc.fa", "-n", "train_nc.fa",
               "-o", "zoo", "--log-file=make_logitModel.log"], cwd=work)
    logit = work / "zoo.logit.RData"
    probs, _ = run_cpat(bin_dir, work / "train_all.fa", work, "train_cpat", hexamer, logit)
    ids = [str(i) for i in train["id"]]
    cutoff = balanced_cutoff([probs.get(i, 0.0) for i in ids], list(train["class"]))
    seconds = time.perf_counter() - t0
    note = f"{len(found)}/{len(pc)} train CDS found from protein"
    return hexamer, logit, cutoff, seconds, note


def run_zoo_model(name: str, fasta: Path, repeats: int = 1) -> tuple[dict[str, str], float]:
    """A zoo model's ``class`` column (``PC``/``NC``, or ``<PC>``/``<NC>``) and the wall time of ``predict``.

    Loading (weights, framework) happens before timing, so the figure is prediction alone (median of ``repeats``).
    """
    import zoo
    from zoo_core.errors import ZooError

    try:
        model = zoo.get_model(name)
        model.load()
    except ZooError as err:  # unknown id, weights not installed, plugin fails to import, …
        raise PeerError(f"zoo model {name!r} unavailable: {err}") from err
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        try:
            table = model.predict(fasta)
        except ZooError as err:  # e.g. a model whose inputs are not transcripts
            raise PeerError(f"zoo model {name!r} failed on {fasta.name}: {err}") from err
        times.append(time.perf_counter() - t0)
    seconds = statistics.median(times)
    if not isinstance(table, pd.DataFrame) or "class" not in table.columns:
        raise PeerError(f"zoo model {name!r} gave no 'class' column")
    calls = {str(i): str(c).strip("<>").upper() for i, c in zip(table["id"], table["class"], strict=True)}
    unexpected = set(calls.values()) - {POSITIVE, NEGATIVE}
    if unexpected:  # e.g. a numeric class column would otherwise be scored as all-NC without a word
        raise PeerError(f"zoo model {name!r}: 'class' has values other than PC/NC: {sorted(unexpected)[:5]}")
    return calls, seconds


# ----------------------------------------------------------------------------------------------- main


def evaluate(tool: str, test: pd.DataFrame, calls: dict[str, str], seconds: float | None, note: str,
             by_species: list[Row]) -> Row:
    """The whole-split row, and per-species rows appended to ``by_species``."""
    missing = [i for i in test["id"] if i not in calls]
    if missing:
        # a transcript the tool silently dropped counts as a wrong call, never as absent
        note = f"{note}; {len(missing)} transcripts without output, scored as wrong".lstrip("; ")
    preds = [calls.get(i, NEGATIVE if y == POSITIVE else POSITIVE) for i, y in zip(test["id"], test["class"], strict=True)]
    for species in sorted(test["species"].unique()):
        mask = (test["species"] == species).to_numpy()
        sub = [p for p, m in zip(preds, mask, strict=True) if m]
        by_species.append(Row(f"{tool} [{species}]", score(list(test["class"][mask]), sub)))
    return Row(tool, score(list(test["class"]), preds), seconds, note)


def committed_status(name: str, digest: str) -> str:
    """Which of the plugin's committed ``splits/**/dataset.sha256`` lists ``name`` with this sha256, if any."""
    lists = sorted(SPLITS.glob("**/dataset.sha256"))
    if not lists:
        return f"no dataset.sha256 under {SPLITS.relative_to(ROOT)} to compare with"
    for path in lists:
        pairs = (line.split() for line in path.read_text().splitlines() if line.strip())
        if (digest, name) in {(sha, file) for sha, file in pairs}:
            return f"matches {path.relative_to(SPLITS.parent)}"
    return f"DIFFERS from every dataset.sha256 under {SPLITS.relative_to(ROOT)}"


def orf_rule_calls(test: pd.DataFrame, codons: int = ORF_RULE_CODONS) -> dict[str, str]:
    """PC where the longest ATG…stop ORF has at least ``codons`` codons (stop excluded), else NC."""
    sys.path.insert(0, str(ROOT / "plugins" / "zoo-bioseq2seq" / "scripts"))
    from build_dataset import orf_rule

    return {str(i): orf_rule(r, codons) for i, r in zip(test["id"], test["rna"], strict=True)}


def attempt(rows: list[Row], tool: str, job: Callable[[], Row]) -> None:
    try:
        rows.append(job())
    except PeerError as err:
        print(f"[{tool}] not run: {err}", file=sys.stderr)
        rows.append(Row(tool, note=str(err)))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split-dir", type=Path, default=ROOT / "build" / "bioseq2seq", help="holds train.tsv and test.tsv")
    ap.add_argument("--split", default="test", help="which table to score (default test)")
    ap.add_argument("--peers-dir", type=Path, default=ROOT / "build" / "peers", help="holds the cpc2/ and cpat/ virtualenvs")
    ap.add_argument("--cpat-model-dir", type=Path, default=ROOT.parent / "shared" / "data" / "coding",
                    help="holds cpat_prebuilt_Human_{Hexamer.tsv,logitModel.RData,cutoff.txt}")
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default <peers-dir>/work)")
    ap.add_argument("--no-retrain", action="store_true", help="skip the CPAT model retrained on the train split")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs of each prediction step; the median is shown")
    ap.add_argument("--zoo-model", action="append", default=[], metavar="NAME", help="add a zoo model's row (repeatable)")
    args = ap.parse_args(argv)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())  # other jobs on the machine skew the timings

    split_path = args.split_dir / f"{args.split}.tsv"
    test = pd.read_csv(split_path, sep="\t", dtype={"id": str}, keep_default_na=False)
    test["rna"] = test["rna"].str.upper().str.replace("U", "T")
    work = (args.work or args.peers_dir / "work").resolve()  # the tools run with cwd=work
    work.mkdir(parents=True, exist_ok=True)
    fasta = write_fasta(work / f"{args.split}.fa", list(zip(test["id"], test["rna"], strict=True)))
    rows: list[Row] = []
    by_species: list[Row] = []

    def cpc2() -> Row:
        calls, seconds = run_cpc2(args.peers_dir / "cpc2" / "bin", fasta, work, args.repeats)
        return evaluate("CPC2", test, calls, seconds, CPC2_NOTE, by_species)

    def cpat_human() -> Row:
        d = args.cpat_model_dir
        cutoff = read_cutoff(d / "cpat_prebuilt_Human_cutoff.txt")
        probs, seconds = run_cpat(args.peers_dir / "cpat" / "bin", fasta, work, "cpat_human",
                                  d / "cpat_prebuilt_Human_Hexamer.tsv", d / "cpat_prebuilt_Human_logitModel.RData", args.repeats)
        calls = {i: POSITIVE if p >= cutoff else NEGATIVE for i, p in probs.items()}
        return evaluate("CPAT (published human model)", test, calls, seconds, f"cutoff {cutoff:g}", by_species)

    def cpat_zoo() -> Row:
        train = pd.read_csv(args.split_dir / "train.tsv", sep="\t", dtype={"id": str}, keep_default_na=False)
        train["rna"] = train["rna"].str.upper().str.replace("U", "T")
        bin_dir = args.peers_dir / "cpat" / "bin"
        hexamer, logit, cutoff, train_s, note = train_cpat(bin_dir, train, work / "cpat_zoo")
        probs, seconds = run_cpat(bin_dir, fasta, work, "cpat_zoo", hexamer, logit, args.repeats)
        calls = {i: POSITIVE if p >= cutoff else NEGATIVE for i, p in probs.items()}
        note = f"cutoff {cutoff:.3f} (sens = spec on {len(train)} train); training {train_s:.0f} s; {note}"
        return evaluate("CPAT (retrained on zoo train split)", test, calls, seconds, note, by_species)

    attempt(rows, "CPC2", cpc2)
    attempt(rows, "CPAT (published human model)", cpat_human)
    if not args.no_retrain:
        attempt(rows, "CPAT (retrained on zoo train split)", cpat_zoo)
    rows.append(Row("RNAsamba", note=RNASAMBA_REASON))

    def orf_rule() -> Row:
        t0 = time.perf_counter()
        calls = orf_rule_calls(test)
        return evaluate(f"longest ORF >= {ORF_RULE_CODONS} codons (the floor)", test, calls, time.perf_counter() - t0,
                        "in-process, one pass", by_species)

    attempt(rows, "longest ORF rule", orf_rule)
    for name in args.zoo_model:
        def zoo_row(name: str = name) -> Row:
            calls, seconds = run_zoo_model(name, fasta, args.repeats)
            return evaluate(f"zoo {name}", test, calls, seconds, "", by_species)

        attempt(rows, f"zoo {name}", zoo_row)

    counts = test.groupby("class").size().to_dict()
    # the split is rebuilt from committed id lists; the hash ties a table to the exact file it scored
    digest = hashlib.sha256(split_path.read_bytes()).hexdigest()
    print(f"# {split_path} (sha256 {digest[:16]}…, {committed_status(split_path.name, digest)}): n = {len(test)} "
          f"({counts.get(POSITIVE, 0)} PC, {counts.get(NEGATIVE, 0)} NC); PC is the positive class\n")
    print(format_table(rows))
    if by_species:
        print("\n## per species\n")
        print(format_table(by_species))
    print(f"\n(transcripts/s: n / median wall time of {args.repeats} runs of each tool's prediction step; "
          f"{os.cpu_count()} CPUs, each tool single-process; load average before the run {load})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
