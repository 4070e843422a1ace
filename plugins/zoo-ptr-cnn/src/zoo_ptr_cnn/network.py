"""The PTR-CNN of Schwehn & Falter-Braun (2025) in PyTorch: sequence -> (slope a, offset b).

Every feature is computed inside the network from the one-hot 5'UTR, CDS and 3'UTR, so that an
attribution on the CDS also sees what the mutation does to the codon counts, the amino-acid counts
and the translated protein (the protein is the CDS's codon one-hot times a fixed 64 x 20 genetic-code
matrix). Inputs are padded at the end with all-zero rows; ``lengths`` holds the real lengths.

Feature modules (the paper's dense and convolutional modules, spec §3):

- ``codons``: log2(1 + in-frame codon counts), 64
- ``nucleotides``: log2(1 + A,C,G,T counts) of 5'UTR, CDS and 3'UTR, 12
- ``amino_acids``: log2(1 + amino-acid counts of the protein), 20
- ``start_context`` / ``stop_context``: one-hot windows of 12 nt, the codon, 12 nt around the start and
  the stop codon, 4 x 27 each (zero beyond the transcript's ends)
- ``conv_utr5``, ``conv_cds``, ``conv_utr3``, ``conv_pep``: 16 filters -> tanh -> ReLU -> sum over the
  real positions -> log2(1 + x), 16 each

All of them are concatenated -> Dense(32) -> Dense(16) -> Dense(2) = (a, b), linear activations (the
TensorFlow default the paper implies), so the weight of any feature on a is a product of matrices.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

NUCLEOTIDES = "ACGT"
AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
CODONS = [a + b + c for a in NUCLEOTIDES for b in NUCLEOTIDES for c in NUCLEOTIDES]
_CODE = (  # standard genetic code in TCAG order, the usual compact spelling
    "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
)
GENETIC_CODE = {a + b + c: _CODE[16 * "TCAG".index(a) + 4 * "TCAG".index(b) + "TCAG".index(c)]
                for a in "TCAG" for b in "TCAG" for c in "TCAG"}
REGIONS = ("utr5", "cds", "utr3")
MODULES = ("codons", "nucleotides", "amino_acids", "start_context", "stop_context",
           "conv_utr5", "conv_cds", "conv_utr3", "conv_pep")


def translation_matrix() -> torch.Tensor:
    """(64, 20) 0/1 matrix: codon one-hot (A,C,G,T base-4 order) -> amino-acid one-hot; stops map to 0."""
    m = torch.zeros(64, 20)
    for i, codon in enumerate(CODONS):
        aa = GENETIC_CODE[codon]
        if aa != "*":
            m[i, AMINO_ACIDS.index(aa)] = 1.0
    return m


def codon_onehot(cds: torch.Tensor) -> torch.Tensor:
    """(N, L, 4) in-frame CDS one-hot (L a multiple of 3) -> (N, L/3, 64) codon one-hot.

    The product of the three positions' one-hots: exact for A/C/G/T, all-zero for a codon with an N,
    and differentiable, so gradients reach the nucleotides.
    """
    n, length, _ = cds.shape
    x = cds.reshape(n, length // 3, 3, 4)
    return torch.einsum("nca,ncb,ncd->ncabd", x[:, :, 0], x[:, :, 1], x[:, :, 2]).reshape(n, length // 3, 64)


def _window(x: torch.Tensor, start: torch.Tensor, size: int) -> torch.Tensor:
    """(N, size, C) rows ``start[n] .. start[n]+size-1`` of x, zero where the index falls outside x."""
    n, length, c = x.shape
    padded = F.pad(x, (0, 0, size, size))
    idx = (start[:, None] + size + torch.arange(size, device=x.device)[None, :]).clamp(0, length + 2 * size - 1)
    return torch.gather(padded, 1, idx[:, :, None].expand(n, size, c))


class ConvModule(nn.Module):
    """Conv(16, width) -> tanh -> ReLU -> sum over real positions -> log2(1 + x).

    Positions whose window runs into the padding are masked before the sum (spec §9.3), so the output
    does not depend on how far a batch was padded.
    """

    def __init__(self, depth: int, filters: int, width: int) -> None:
        super().__init__()
        self.width = width
        self.conv = nn.Conv1d(depth, filters, width)
        nn.init.xavier_uniform_(self.conv.weight)
        nn.init.zeros_(self.conv.bias)

    def forward(self, x: torch.Tensor, length: torch.Tensor) -> torch.Tensor:
        if x.shape[1] < self.width:
            x = F.pad(x, (0, 0, 0, self.width - x.shape[1]))
        h = torch.relu(torch.tanh(self.conv(x.transpose(1, 2))))  # (N, F, P)
        valid = torch.arange(h.shape[2], device=x.device)[None, :] + self.width <= length[:, None]
        return torch.log2(1 + (h * valid[:, None, :]).sum(dim=2))


class PTRCNN(nn.Module):
    """Sequence -> (a, b) with ``log2 protein = a * log2 TPM + b``.

    Parameters
    ----------
    width: conv filter width (nt / aa); the paper tried 8, 10, 12.
    filters: filters per conv module (16 in the paper).
    context: nucleotides each side of the start and stop codon in the context one-hots.
    hidden: sizes of the intermediate dense layers ((32, 16) is the paper's best model).
    modules: the feature modules to use (all by default; fewer for the ablation).
    tpm_center: the head computes ``a * (log2 TPM - tpm_center) + b0`` and reports ``b = b0 - a * tpm_center``:
        the same model, but a and b are no longer strongly coupled, which makes training converge (the
        training set's mean log2 TPM; 0 = the paper's form).
    """

    def __init__(self, width: int = 12, filters: int = 16, context: int = 12, hidden: Sequence[int] = (32, 16),
                 modules: Sequence[str] = MODULES, tpm_center: float = 0.0) -> None:
        super().__init__()
        self.tpm_center = float(tpm_center)
        unknown = set(modules) - set(MODULES)
        if unknown:
            raise ValueError(f"unknown feature modules {sorted(unknown)}; choose from {MODULES}")
        self.modules_used = tuple(m for m in MODULES if m in modules)
        self.context = context
        self.register_buffer("code", translation_matrix(), persistent=False)
        self.convs = nn.ModuleDict({
            m: ConvModule(20 if m == "conv_pep" else 4, filters, width) for m in self.modules_used if m.startswith("conv_")
        })
        dims = {"codons": 64, "nucleotides": 12, "amino_acids": 20, "start_context": 4 * (2 * context + 3),
                "stop_context": 4 * (2 * context + 3)}
        n_in = sum(dims.get(m, filters) for m in self.modules_used)
        sizes = [n_in, *hidden, 2]
        self.dense = nn.Sequential(*[nn.Linear(a, b) for a, b in itertools.pairwise(sizes)])
        for layer in self.dense:
            nn.init.xavier_uniform_(layer.weight)  # Keras defaults: Glorot uniform, zero bias
            nn.init.zeros_(layer.bias)

    def features(self, utr5: torch.Tensor, cds: torch.Tensor, utr3: torch.Tensor,
                 lengths: torch.Tensor) -> dict[str, torch.Tensor]:
        """Each module's representation, ``{module: (N, d)}``; ``lengths`` = (N, 4) 5'UTR, CDS, 3'UTR, protein."""
        len5, lenc, len3, lenp = (lengths[:, i].long() for i in range(4))
        codons = codon_onehot(cds)
        pep = codons @ self.code
        c = self.context
        out: dict[str, torch.Tensor] = {}
        for m in self.modules_used:
            if m == "codons":
                out[m] = torch.log2(1 + codons.sum(dim=1))
            elif m == "nucleotides":
                out[m] = torch.log2(1 + torch.cat([r.sum(dim=1) for r in (utr5, cds, utr3)], dim=1))
            elif m == "amino_acids":
                out[m] = torch.log2(1 + pep.sum(dim=1))
            elif m == "start_context":  # c nt of 5'UTR, the ATG, c nt of CDS
                win = torch.cat([_window(utr5, len5 - c, c), _window(cds, torch.zeros_like(lenc), c + 3)], dim=1)
                out[m] = win.flatten(1)
            elif m == "stop_context":  # c nt of CDS, the stop codon, c nt of 3'UTR
                win = torch.cat([_window(cds, lenc - c - 3, c + 3), _window(utr3, torch.zeros_like(len3), c)], dim=1)
                out[m] = win.flatten(1)
            else:
                region = m.removeprefix("conv_")
                x, n = {"utr5": (utr5, len5), "cds": (cds, lenc), "utr3": (utr3, len3), "pep": (pep, lenp)}[region]
                out[m] = self.convs[m](x, n)
        return out

    def forward(self, utr5: torch.Tensor, cds: torch.Tensor, utr3: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(N, 2): slope a and offset b."""
        feats = self.features(utr5, cds, utr3, lengths)
        raw = self.dense(torch.cat([feats[m] for m in self.modules_used], dim=1))
        a = raw[:, :1]
        return torch.cat([a, raw[:, 1:] - a * self.tpm_center], dim=1)

    def feature_names(self) -> list[str]:
        """One name per column of the concatenated features, e.g. 'codons:ATG', 'start_context:-3:A'."""
        c = self.context
        names: list[str] = []
        for m in self.modules_used:
            if m == "codons":
                names += [f"codons:{x}" for x in CODONS]
            elif m == "nucleotides":
                names += [f"nucleotides:{r}:{b}" for r in REGIONS for b in NUCLEOTIDES]
            elif m == "amino_acids":
                names += [f"amino_acids:{a}" for a in AMINO_ACIDS]
            elif m in ("start_context", "stop_context"):
                # the paper's numbering: -1 is the nt before the codon, +1 the first nt after it
                codon = "ATG" if m == "start_context" else "stop"
                pos = [f"{p}" for p in range(-c, 0)] + [f"{codon}{i}" for i in (1, 2, 3)] + [f"+{p}" for p in range(1, c + 1)]
                names += [f"{m}:{p}:{b}" for p in pos for b in NUCLEOTIDES]
            else:
                names += [f"{m}:filter{i}" for i in range(self.convs[m].conv.out_channels)]
        return names

    def init_offset(self, value: float) -> None:
        """Start the offset at ``value`` (e.g. the training mean log2 protein) instead of 0."""
        with torch.no_grad():
            self.dense[-1].bias[1] = value

    def slope_weights(self) -> torch.Tensor:
        """(n_features,) the linear weight of each concatenated feature on the slope a.

        The dense layers have no activation, so this is exact: W1^T W2^T W3^T [:, 0].
        """
        w = None
        for layer in self.dense:
            w = layer.weight if w is None else layer.weight @ w
        assert w is not None
        return w[0]
