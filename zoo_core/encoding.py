"""One-hot encoding with kipoiseq's conventions: (L, 4) float32, channels A, C, G, T.

Every other IUPAC code (N, R, Y, …) is an all-zero row, as in kipoiseq.transforms.functional.one_hot_dna.
"""

from __future__ import annotations

import numpy as np

ALPHABET = "ACGT"
_LUT = np.full(256, 4, dtype=np.intp)
for _i, _c in enumerate(ALPHABET):
    _LUT[ord(_c)] = _i
    _LUT[ord(_c.lower())] = _i
_LUT[ord("U")] = _LUT[ord("u")] = 3
_EYE = np.vstack([np.eye(4, dtype=np.float32), np.zeros((1, 4), dtype=np.float32)])


def one_hot(seq: str) -> np.ndarray:
    """Encode a DNA/RNA string. Returns ``np.ndarray, shape=(len(seq), 4), dtype=float32``."""
    idx = _LUT[np.frombuffer(seq.encode("ascii"), dtype=np.uint8)]
    return np.take(_EYE, idx, axis=0)


def decode(x: np.ndarray) -> str:
    """Inverse of :func:`one_hot`; all-zero rows become N."""
    letters = np.array(list(ALPHABET + "N"))
    idx = np.where(x.sum(axis=-1) > 0, x.argmax(axis=-1), 4)
    return "".join(letters[idx])
