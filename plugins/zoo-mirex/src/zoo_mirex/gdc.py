"""Readers for the paper's own inputs, so that a user with GDC access can build the paper's tumour-type data sets
(``scripts/build_dataset.py --gdc``). Imports no framework.

Formats (as the GDC and TargetScan publish them; the layouts were checked against public code that reads them):

* **GDC STAR gene counts**, ``*.rna_seq.augmented_star_gene_counts.tsv``: a first comment line
  ``# gene-model: GENCODE v36``, then a header ``gene_id gene_name gene_type unstranded stranded_first stranded_second
  tpm_unstranded fpkm_unstranded fpkm_uq_unstranded`` (tab-separated), then four STAR summary rows ``N_unmapped``,
  ``N_multimapping``, ``N_noFeature``, ``N_ambiguous`` (empty name and type), then one row per gene with a versioned
  Ensembl id (``ENSG00000000003.15``; pseudo-autosomal copies end in ``_PAR_Y``). The paper's label uses
  ``unstranded`` raw counts (spec §5); the summary and ``_PAR_Y`` rows are skipped and versions stripped.
* **GDC miRNA quantification**, ``*.mirbase21.mirnas.quantification.txt``: header ``miRNA_ID read_count
  reads_per_million_miRNA_mapped cross-mapped``, one row per miRBase v21 **hairpin** (``hsa-let-7a-1``,
  ``hsa-mir-23a``; 1,881 of them), ``cross-mapped`` Y/N. The paper uses ``read_count``.
* **TargetScan** ``Predicted_Targets_Context_Scores.default_predictions.txt``: header ``Gene ID, Gene Symbol,
  Transcript ID, Gene Tax ID, miRNA, Site Type, UTR_start, UTR_end, context++ score, context++ score percentile,
  weighted context++ score, weighted context++ score percentile`` (TargetScan 7.x; release 8.0 names the fourth column
  ``Species ID`` and adds ``predicted relative KD``; both are read). The paper keeps tax id 9606, strips the Ensembl
  version and sums ``weighted context++ score`` per (gene, miRNA): the CWCS (spec §2.3).

:func:`paper_mirna_name` is the authors' TargetScan → GDC renaming (lower case, ``.`` → ``-``, ``-3p``/``-5p`` removed),
and :func:`hairpin_profile` turns a hairpin-level profile into values for mature names (for ``--mirna``).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from zoo_core.errors import InputError
from zoo_core.seqio import open_text

STAR_COLUMNS = ("gene_id", "gene_name", "gene_type", "unstranded", "stranded_first", "stranded_second",
                "tpm_unstranded", "fpkm_unstranded", "fpkm_uq_unstranded")
STAR_SUMMARY = ("N_unmapped", "N_multimapping", "N_noFeature", "N_ambiguous")
MIRNA_COLUMNS = ("miRNA_ID", "read_count", "reads_per_million_miRNA_mapped", "cross-mapped")
MIRNA_VALUES = {"count": "read_count", "rpm": "reads_per_million_miRNA_mapped"}
TS_GENE, TS_SYMBOL, TS_MIRNA, TS_SCORE = "gene id", "gene symbol", "mirna", "weighted context++ score"
TS_TAX = ("gene tax id", "species id")


def _number(text: str, path: Path, line: int, column: str, record: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise InputError(path, f"line {line}: column {column!r}: {text.strip()!r} is not a number", record=record) from None
    if not math.isfinite(x) or x < 0:
        raise InputError(path, f"line {line}: column {column!r}: {text.strip()!r} is not a finite count", record=record)
    return x


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """``(line number, tab-split fields)`` of every non-empty line, CRLF-safe, gzip or plain."""
    try:
        with open_text(path) as fh:
            for n, line in enumerate(fh, 1):
                line = line.rstrip("\r\n")
                if line.strip():
                    yield n, line.split("\t")
    except FileNotFoundError:
        raise InputError(path, "no such file") from None


def read_star_counts(path: str | Path, column: str = "unstranded") -> dict[str, float]:
    """``{Ensembl gene id without version: value}`` from one GDC STAR ``augmented_star_gene_counts.tsv``.

    Raises
    ------
    InputError
        No header with ``gene_id`` and ``column``, a value that is not a non-negative number, or a gene listed twice,
        naming the file, the line and the gene.
    """
    path = Path(path)
    header: list[str] | None = None
    out: dict[str, float] = {}
    for n, cols in _rows(path):
        if cols[0].startswith("#"):
            continue
        if header is None:
            header = cols
            if "gene_id" not in header or column not in header:
                raise InputError(path, f"line {n}: not a GDC STAR gene-count header (expected {', '.join(STAR_COLUMNS)})")
            j = header.index(column)
            continue
        gid = cols[0]
        if gid in STAR_SUMMARY or gid.startswith("N_") or gid.endswith("_PAR_Y"):
            continue
        if len(cols) <= j:
            raise InputError(path, f"line {n}: {len(cols)} fields, the header has {len(header)}", record=gid)
        key = gid.split(".", 1)[0]
        if key in out:
            raise InputError(path, f"line {n}: gene listed twice", record=key)
        out[key] = _number(cols[j], path, n, column, gid)
    if header is None:
        raise InputError(path, "empty file: no GDC STAR gene-count header")
    return out


def read_gdc_mirna(path: str | Path, value: str = "count") -> dict[str, float]:
    """``{miRBase v21 hairpin id: read count}`` (``value='rpm'``: reads per million miRNA mapped) from one GDC
    ``mirbase21.mirnas.quantification.txt``.

    Raises
    ------
    InputError
        A header without ``miRNA_ID`` and the value's column, a value that is not a non-negative number, or a hairpin
        listed twice, naming the file, the line and the miRNA.
    """
    path = Path(path)
    want = MIRNA_VALUES[value]
    header: list[str] | None = None
    out: dict[str, float] = {}
    for n, cols in _rows(path):
        if header is None:
            header = cols
            if "miRNA_ID" not in header or want not in header:
                raise InputError(path, f"line {n}: not a GDC miRNA quantification header (expected "
                                       f"{', '.join(MIRNA_COLUMNS)})")
            j = header.index(want)
            continue
        name = cols[0]
        if len(cols) <= j:
            raise InputError(path, f"line {n}: {len(cols)} fields, the header has {len(header)}", record=name)
        if name in out:
            raise InputError(path, f"line {n}: miRNA listed twice", record=name)
        out[name] = _number(cols[j], path, n, want, name)
    if header is None:
        raise InputError(path, "empty file: no GDC miRNA quantification header")
    return out


def mean_profile(tables: Iterable[dict[str, float]]) -> tuple[dict[str, float], int]:
    """The per-key mean over samples (a key a sample lacks counts as 0 there) and the number of samples: the paper's
    "mean over the samples of the class" before log10(x + 0.1)."""
    total: dict[str, float] = defaultdict(float)
    n = 0
    for t in tables:
        n += 1
        for k, v in t.items():
            total[k] += v
    return ({k: v / n for k, v in sorted(total.items())} if n else {}), n


def _norm(h: str) -> str:
    return re.sub(r"[\s_]+", " ", h.strip().lower())


def read_targetscan_context(path: str | Path, tax_id: str = "9606") -> dict[tuple[str, str], float]:
    """The CWCS: ``{(Ensembl gene id without version, TargetScan miRNA name): sum of weighted context++ scores}``
    over the rows of ``tax_id`` of a ``Predicted_Targets_Context_Scores`` file. Rows whose weighted score is empty or
    ``NULL`` are skipped (TargetScan writes ``NULL`` where a score is undefined).

    Raises
    ------
    InputError
        A header lacking Gene ID, Gene Tax ID / Species ID, miRNA or weighted context++ score, or a score that is not a
        number, naming the file and the line.
    """
    path = Path(path)
    header: list[str] | None = None
    out: dict[tuple[str, str], float] = defaultdict(float)
    for n, cols in _rows(path):
        if header is None:
            header = [_norm(c) for c in cols]
            tax = next((c for c in TS_TAX if c in header), None)
            missing = [c for c in (TS_GENE, TS_MIRNA, TS_SCORE) if c not in header] + ([] if tax else ["Gene Tax ID"])
            if missing:
                raise InputError(path, f"line {n}: not a TargetScan context-score header: no {', '.join(missing)}")
            jg, jm, js, jt = (header.index(c) for c in (TS_GENE, TS_MIRNA, TS_SCORE, tax))
            continue
        if len(cols) <= max(jg, jm, js, jt):
            raise InputError(path, f"line {n}: {len(cols)} fields, the header has {len(header)}")
        if cols[jt].strip() != tax_id:
            continue
        text = cols[js].strip()
        if text in ("", "NULL", "NA"):
            continue
        try:
            score = float(text)
        except ValueError:
            raise InputError(path, f"line {n}: weighted context++ score {text!r} is not a number",
                             record=cols[jm]) from None
        out[(cols[jg].split(".", 1)[0], cols[jm])] += score
    if header is None:
        raise InputError(path, "empty file: no TargetScan header")
    return dict(out)


def paper_mirna_name(mature: str) -> str:
    """The authors' TargetScan → GDC name (spec §2.3 [C]): lower case, ``.`` → ``-``, ``-3p``/``-5p`` removed, so
    ``hsa-miR-23a-3p`` → ``hsa-mir-23a`` and ``hsa-miR-124-3p.1`` → ``hsa-mir-124-1``."""
    return re.sub(r"-[35]p", "", mature.lower().replace(".", "-"))


def hairpin_profile(hairpins: dict[str, float], mature_names: Iterable[str]) -> dict[str, float]:
    """Values for mature miRNA names from a hairpin-level (GDC) profile: the hairpin of :func:`paper_mirna_name`,
    else the sum over its numbered loci (``hsa-let-7a`` ← ``hsa-let-7a-1`` + ``-2`` + ``-3``). Names with no hairpin
    are left out (they count as 0 at prediction, with a warning). Approximate: a hairpin's reads include both arms."""
    by_stem: dict[str, list[str]] = defaultdict(list)
    for h in hairpins:
        stem = re.sub(r"-\d+$", "", h)
        if stem != h:
            by_stem[stem].append(h)
    out = {}
    for m in mature_names:
        key = paper_mirna_name(m)
        if key in hairpins:
            out[m] = hairpins[key]
        elif key in by_stem:
            out[m] = math.fsum(hairpins[h] for h in by_stem[key])
    return out
