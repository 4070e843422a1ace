"""A transcript's 5'UTR, CDS and 3'UTR, read from a FASTA record and checked before any prediction.

Three ways to mark the CDS in a FASTA file (1-based, inclusive coordinates, stop codon included):

- ``>AT1G01010.1 cds=64-1353`` (also ``CDS=64..1353``);
- GENCODE transcript headers: ``>ENST…|…|UTR5:1-63|CDS:64-1353|UTR3:1354-1688|``;
- lower-case UTRs around an upper-case CDS.

A record that cannot give a correct protein (no CDS, CDS start > end or outside the sequence, length not a multiple
of 3, an in-frame stop codon inside the CDS, letters that are not nucleotides) is an error naming the
file, the record and the reason. Records that can be predicted but are unusual get flags instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zoo_core.errors import InputError
from zoo_core.seqio import Record, check_sequence

STOP_CODONS = frozenset({"TAA", "TAG", "TGA"})
_CDS_ATTR = re.compile(r"(?:^|\s)cds[=:](\d+)(?:-|\.\.)(\d+)(?:\s|$)", re.IGNORECASE)
_GENCODE_CDS = re.compile(r"\|CDS:(\d+)-(\d+)\|")
HOW_TO_MARK = ("mark it with cds=START-END in the header, GENCODE |UTR5:…|CDS:…|UTR3:…| fields, "
               "or lower-case UTRs around an upper-case CDS")


@dataclass(frozen=True)
class Regions:
    """A checked transcript. ``cds`` includes the stop codon when there is one.

    ``flags`` (comma-separated in the output) can hold: ``no_5utr``, ``no_3utr``, ``no_start`` (first
    codon not ATG), ``no_stop`` (last codon not a stop), ``non_acgt`` (IUPAC codes other than A/C/G/T,
    encoded as all-zero rows).
    """

    id: str
    utr5: str
    cds: str
    utr3: str
    flags: tuple[str, ...] = ()

    @property
    def protein_length(self) -> int:
        """Amino acids in the translated CDS, stop codon excluded."""
        return len(self.cds) // 3 - (self.cds[-3:] in STOP_CODONS)


def split_record(rec: Record, *, source: object) -> Regions:
    """Cut ``rec`` (sequence with case kept) into its regions and check them.

    Raises
    ------
    InputError
        No CDS marked, CDS start > end or outside the sequence, CDS length not a multiple of 3, an in-frame
        stop codon before the end of the CDS, or an invalid letter.
    """
    rid, seq = rec.id, rec.seq
    m = _GENCODE_CDS.search(rid + "|")
    if m:
        rid = rid.split("|", 1)[0]
    else:
        m = _CDS_ATTR.search(rec.description)
    if m:
        start, end = int(m.group(1)), int(m.group(2))
        if start > end:  # reversed coordinates, not a CDS off the sequence: say so, or the user checks the wrong thing
            raise InputError(source, f"CDS {start}-{end}: start > end (coordinates are 1-based START-END on the "
                                     f"transcript's own strand)", record=rid)
        if not 1 <= start <= end <= len(seq):
            raise InputError(source, f"CDS {start}-{end} lies outside the {len(seq)}-nt sequence", record=rid)
        seq = _checked(seq.upper(), source, rid)
        utr5, cds, utr3 = seq[: start - 1], seq[start - 1: end], seq[end:]
    else:
        upper = [i for i, ch in enumerate(seq) if ch.isupper()]
        if not upper or len(upper) == len(seq):
            raise InputError(source, f"no CDS marked: {HOW_TO_MARK}", record=rid)
        first, last = upper[0], upper[-1]
        if len(upper) != last - first + 1:
            raise InputError(source, "upper-case letters do not form one block, so the CDS is ambiguous", record=rid)
        seq = _checked(seq.upper(), source, rid)
        utr5, cds, utr3 = seq[:first], seq[first: last + 1], seq[last + 1:]
    return _check_cds(rid, utr5, cds, utr3, source)


def _checked(seq: str, source: object, rid: str) -> str:
    return check_sequence(seq, "rna", source=source, record=rid)


def _check_cds(rid: str, utr5: str, cds: str, utr3: str, source: object) -> Regions:
    if not cds:
        raise InputError(source, "the transcript has no CDS", record=rid)
    if len(cds) % 3:
        raise InputError(source, f"CDS length {len(cds)} is not a multiple of 3", record=rid)
    codons = [cds[i: i + 3] for i in range(0, len(cds), 3)]
    for k, codon in enumerate(codons[:-1]):
        if codon in STOP_CODONS:
            raise InputError(source, f"in-frame stop codon {codon} at CDS position {3 * k + 1} "
                                     f"(codon {k + 1} of {len(codons)})", record=rid)
    flags = []
    if not utr5:
        flags.append("no_5utr")
    if not utr3:
        flags.append("no_3utr")
    if codons[0] != "ATG":
        flags.append("no_start")
    if codons[-1] not in STOP_CODONS:
        flags.append("no_stop")
    if set(utr5 + cds + utr3) - set("ACGT"):
        flags.append("non_acgt")
    return Regions(rid, utr5, cds, utr3, tuple(flags))


def from_parts(rid: str, utr5: str, cds: str, utr3: str, *, source: object) -> Regions:
    """Check regions cut elsewhere (e.g. from a genome and its annotation)."""
    return _check_cds(rid, *(_checked(s.upper(), source, rid) if s else "" for s in (utr5, cds, utr3)), source)
