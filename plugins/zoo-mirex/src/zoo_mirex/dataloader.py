"""The ``mirex-promoter`` dataloader: promoter windows, the gene each names, and the user's miRNA profile.

Per record it reads

- the **window**: 2,048 nt, TSS at index 1,024, on the gene's strand (FASTA, sequences, or a genome with a BED/GTF
  through the model.yaml anchor). Another length stops the run with one line naming the record.
- the **gene**, from the record id (the FASTA header up to the first space): an Ensembl gene id (``ENSG…``, version
  optional) or a gene symbol (HGNC, case-insensitive); an id with ``|`` is read part by part (``ENSG…|FGR``). Genes
  resolve through the bundled table ``data/genes.tsv.gz`` (Ensembl id ↔ symbol of ~17,000 protein-coding genes plus
  every TargetScan 7 symbol). An id it does not know is the ``unknown_gene`` flag: no targets, the prediction is the
  untargeted one.

and, once per run, the **miRNA profile** (``--mirna``, :func:`read_profile`) for the model's selected miRNAs (the
model.yaml ``dataloader.args.mirnas``). The batch carries ``promoter``, ``gene`` (the resolved symbol, ``''`` when
unknown), ``mirna_values`` ``(N, K)`` and ``mirna_unit`` ``(N,)`` (0: no profile given, the model's default; 1: count;
2: RPM), and ``halflife_raw`` ``(N, 8)`` with ``--halflife`` (else ``halflife`` zeros). The model turns them into the
network's miRNA features (target indicator × log10(count + 0.1)), because the target map and the default profile live
in its ``config.json``.
"""

from __future__ import annotations

import functools
import gzip
import math
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from zoo_core.dataloaders import InlineRecords, iter_records, read_feature_table
from zoo_core.encoding import one_hot
from zoo_core.errors import InputError, warn
from zoo_core.model import Batch
from zoo_core.seqio import check_sequence, open_text, source_name
from zoo_core.spec import ModelSpec
from zoo_mirex.tissues import GC, HALF_LIFE

Source = str | Path | InlineRecords
GENES_TABLE = Path(__file__).parent / "data" / "genes.tsv.gz"
ENSG = re.compile(r"^(ENSG\d{11})(\.\d+)?$")
ARM = re.compile(r"-[35]p$")
UNITS = {"count": 1, "rpm": 2}


# --------------------------------------------------------------------------------------------------------------------
# genes


@functools.lru_cache(maxsize=1)
def gene_table(path: Path = GENES_TABLE) -> tuple[dict[str, str], dict[str, str]]:
    """``({ENSG: symbol}, {SYMBOL upper-case: symbol})`` of the bundled gene table."""
    by_id: dict[str, str] = {}
    by_symbol: dict[str, str] = {}
    with gzip.open(path, "rt") as fh:
        next(fh)
        for line in fh:
            gid, symbol = line.rstrip("\n").split("\t")
            if gid:
                by_id[gid] = symbol
            if symbol:
                by_symbol.setdefault(symbol.upper(), symbol)
    return by_id, by_symbol


def resolve_gene(record_id: str) -> str | None:
    """The gene symbol a record id names (see the module docstring), or None when it names no known gene."""
    by_id, by_symbol = gene_table()
    for part in record_id.split("|"):
        m = ENSG.match(part)
        if m:
            if m.group(1) in by_id:
                return by_id[m.group(1)]
            continue
        if part.upper() in by_symbol:
            return by_symbol[part.upper()]
    return None


# --------------------------------------------------------------------------------------------------------------------
# the miRNA profile


def match_names(wanted: Iterable[str], available: Iterable[str]) -> dict[str, str]:
    """``{model miRNA: profile name}``: the same name, else the other miRBase spelling of the same mature miRNA (a
    v21 name without arm, ``hsa-miR-137``, for ``hsa-miR-137-3p``, or the one arm a profile has for an armless name)."""
    available = set(available)
    out = {}
    for m in wanted:
        if m in available:
            out[m] = m
        elif ARM.search(m):
            if ARM.sub("", m) in available:
                out[m] = ARM.sub("", m)
        else:
            arms = [m + a for a in ("-3p", "-5p") if m + a in available]
            if len(arms) == 1:
                out[m] = arms[0]
    return out


def read_profile(path: str | Path) -> tuple[str, dict[str, float]]:
    """``(unit, {miRNA: value})`` of a ``--mirna`` table; unit is ``count`` or ``rpm``.

    A TSV with a header line: column 1 the miRNA name, column 2 named ``count`` or ``rpm``. A GDC
    ``mirbase21.mirnas.quantification.txt`` (header ``miRNA_ID read_count reads_per_million_miRNA_mapped
    cross-mapped``) is recognised and read as hairpin counts (see :func:`zoo_mirex.gdc.hairpin_profile`).

    Raises
    ------
    InputError
        A missing or empty file, a header that is neither, a row with other than 2 fields, an empty name, a value that
        is not a finite non-negative number, or a miRNA listed twice, naming the file, the line and the miRNA.
    """
    path = Path(path)
    name = source_name(path)
    try:
        with open_text(path) as fh:
            lines = [(n, line.rstrip("\r\n")) for n, line in enumerate(fh, 1)]
    except FileNotFoundError:
        raise InputError(name, "no such file") from None
    lines = [(n, line) for n, line in lines if line.strip()]
    if not lines:
        raise InputError(name, "empty miRNA profile")
    head = lines[0][1].split("\t")
    if head[:2] == ["miRNA_ID", "read_count"]:
        from zoo_mirex.gdc import read_gdc_mirna

        return "hairpin", read_gdc_mirna(path)
    if len(head) != 2 or head[1].strip().lower() not in UNITS:
        raise InputError(name, f"line {lines[0][0]}: expected a header of 2 tab-separated columns, the miRNA and "
                               f"'count' or 'rpm'; found {head!r}")
    unit = head[1].strip().lower()
    out: dict[str, float] = {}
    for n, line in lines[1:]:
        cols = line.split("\t")
        mirna = cols[0].strip()
        if len(cols) != 2:
            raise InputError(name, f"line {n}: {len(cols)} fields, expected 2 (miRNA, {unit})", record=mirna or None)
        if not mirna:
            raise InputError(name, f"line {n}: empty miRNA name")
        text = cols[1].strip()
        try:
            x = float(text)
        except ValueError:
            raise InputError(name, f"line {n}: {unit} {text!r} is not a number", record=mirna) from None
        if not math.isfinite(x) or x < 0:
            raise InputError(name, f"line {n}: {unit} {text!r} is not a finite non-negative number", record=mirna)
        if mirna in out:
            raise InputError(name, f"line {n}: miRNA listed twice", record=mirna)
        out[mirna] = x
    return unit, out


def profile_values(path: str | Path | None, mirnas: list[str], model: str) -> tuple[np.ndarray, int]:
    """The values of the model's ``mirnas`` in the ``--mirna`` profile and its unit code (0 = none given: NaN values,
    the model's default). miRNAs the profile lacks are 0, named in one warning."""
    if path is None:
        return np.full(len(mirnas), np.nan, np.float32), 0
    unit, table = read_profile(path)
    if unit == "hairpin":
        from zoo_mirex.gdc import hairpin_profile

        warn(f"{model}: {source_name(Path(path))} is a GDC hairpin quantification; each selected mature miRNA takes the "
             "read count of its hairpin(s) (both arms; approximate)")
        table, unit = hairpin_profile(table, mirnas), "count"
    names = match_names(mirnas, table)
    missing = [m for m in mirnas if m not in names]
    if missing:
        warn(f"{model}: {len(missing)} of its {len(mirnas)} miRNAs are not in {source_name(Path(path))} and count as 0: "
             f"{', '.join(missing)}")
    values = np.array([table[names[m]] if m in names else 0.0 for m in mirnas], np.float32)
    return values, UNITS[unit]


# --------------------------------------------------------------------------------------------------------------------
# half-life table


def read_halflife(path: str | Path) -> dict[str, np.ndarray]:
    """The ``--halflife`` table: ``{id: the 8 raw features in HALF_LIFE order}``; columns by name, any order; a
    negative value (a z-scored table) or a GC fraction above 1 is an InputError naming the record and column."""
    bounds = {f: (0.0, 1.0 if f in GC else np.inf) for f in HALF_LIFE}
    return read_feature_table(path, "halflife", columns=HALF_LIFE, bounds=bounds,
                              hint="give raw features (lengths in nt, GC fractions 0 to 1, CDS exons per kb), "
                                   "not z-scores")


# --------------------------------------------------------------------------------------------------------------------
# the loader


def mirex_batches(spec: ModelSpec, sources: Iterable[Source], *, batch_size: int = 32, genome: str | Path | None = None,
                  mirnas: list[str], profile: str | Path | None = None,
                  halflife: str | Path | None = None) -> Iterator[Batch]:
    """Batches of windows with their genes and the miRNA profile (see the module docstring).

    Raises
    ------
    InputError
        A bad window (letters, length), profile or half-life table, or a record the half-life table lacks, naming the
        file and the record.
    """
    values, unit = profile_values(profile, mirnas, spec.name)
    table = read_halflife(halflife) if halflife is not None else None
    dna = spec.sequence_input
    buf: list[tuple[str, str, dict[str, Any]]] = []

    def flush() -> Batch:
        ids = [b[0] for b in buf]
        symbols = [resolve_gene(r) for r in ids]
        n = len(ids)
        inputs: dict[str, np.ndarray] = {
            dna.name: np.stack([one_hot(b[1]) for b in buf]),
            "gene": np.array([s or "" for s in symbols]),
            "mirna_values": np.repeat(values[None, :], n, axis=0),
            "mirna_unit": np.full(n, unit, np.int64),
        }
        if table is None:
            inputs["halflife"] = np.zeros((n, len(HALF_LIFE)), np.float32)
        else:
            missing = next((r for r in ids if r not in table), None)
            if missing is not None:
                raise InputError(halflife, "no row in the half-life table for this record", record=missing)
            inputs["halflife_raw"] = np.stack([table[r] for r in ids])
        meta = {k: [b[2].get(k) for b in buf] for k in buf[0][2]}
        meta["gene_symbol"] = [s or "" for s in symbols]
        meta["unknown_gene"] = [s is None for s in symbols]
        return Batch(ids, inputs, meta)

    for rec, source, meta in iter_records(sources, spec, genome=genome):
        seq = check_sequence(rec.seq, "dna", source=source, record=rec.id)
        if dna.length and len(seq) != dna.length:
            tss = dna.anchor.index if dna.anchor else 0
            raise InputError(source, f"sequence length {len(seq):,}, the model takes exactly {dna.length:,} nt "
                                     f"(TSS at index {tss:,})", record=rec.id)
        buf.append((rec.id, seq, meta))
        if len(buf) == batch_size:
            yield flush()
            buf = []
    if buf:
        yield flush()
