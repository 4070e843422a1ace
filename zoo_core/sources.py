"""What an input is: a file, standard input, a sequence, or records in memory. One rule for every dataloader.

- a :class:`pathlib.Path` is a file (``Path("-")``: standard input);
- a string with a file suffix (``.fa``, ``.fasta``, ``.bed``, ``.gtf``, ``.gff3``, ``.txt`` …, optionally ``.gz``)
  is a file; so is ``"-"``;
- any other string is a sequence (letters, ``*`` and ``-`` only), named ``seq_<i>`` by its position;
- a string that is a sequence *and* names an existing file, or neither a sequence nor an existing file, is an
  error that says how to be explicit.

Strings are never tried as paths by accident (a 10,500-nt sequence is not a file name) and a mistyped path is
never read as a sequence.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from zoo_core.errors import InputError
from zoo_core.seqio import STDIN, Record

FILE_SUFFIXES = (".fa", ".fasta", ".fna", ".ffn", ".frn", ".fas", ".seq", ".bed", ".gtf", ".gff", ".gff3", ".txt",
                 ".tsv", ".list", ".ids")
_SEQUENCE = re.compile(r"[A-Za-z*\-]+")


def has_file_suffix(name: str) -> bool:
    name = name.lower()
    for z in (".gz", ".bgz", ".bgzf"):
        name = name.removesuffix(z)
    return name.endswith(FILE_SUFFIXES)


def _exists(name: str) -> bool:
    try:
        return os.path.exists(name)
    except (OSError, ValueError):  # a name too long for the OS, or with a NUL, is no file
        return False


def resolve(src: object, index: int) -> Path | Record:
    """A dataloader source as a file path or an in-memory record (see the module docstring).

    Raises
    ------
    InputError
        A string that could be a sequence and a file, or is neither.
    """
    if isinstance(src, Path | Record):
        return src
    if not isinstance(src, str):
        raise InputError("<inputs>", f"input {index} is a {type(src).__name__}; give paths, sequences or arrays")
    if src == STDIN or has_file_suffix(src):
        return Path(src)
    if _SEQUENCE.fullmatch(src):
        if _exists(src):
            raise InputError(src, f"is both a sequence and a file in {os.getcwd()}: pass pathlib.Path({src!r}) to read "
                                  f"the file, or zoo_core.seqio.Record('id', {src[:12]!r}…) for the sequence")
        return Record(f"seq_{index}", src)
    if _exists(src):
        return Path(src)
    raise InputError(src, "no such file, and not a sequence (a sequence has letters only)")
