"""zoo-aparent2: APARENT2 / APARENT-ResNet (Linder et al. 2022), a 205-nt polyadenylation-signal window →
the 206-bin cleavage distribution and the proximal isoform probability.

Importing this module imports no framework: the model is registered from its model.yaml and built on first
use by :class:`zoo_aparent2.model.Aparent2Model` (PyTorch). Windows are read by the core ``dna-window``
dataloader (FASTA, raw strings, or ``--genome`` + BED of PAS hexamers).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import Field

from zoo_core import hookimpl
from zoo_core.options import Options

MODELS_DIR = Path(__file__).parent / "models"
DEFAULT_LIBRARY = 11
# The order of APARENT's library one-hot (johli/aparent-resnet aparent/data/aparent_data_plasmid_v2.py)
LIBRARIES = ("tomm5_up_n20c20_dn_c20", "tomm5_up_c20n20_dn_c20", "tomm5_up_n20c20_dn_n20", "tomm5_up_c20n20_dn_n20",
             "doubledope", "simple", "atr", "hsp", "snh", "sox", "wha", "array", "aar")


class Aparent2Options(Options):
    library: int = Field(
        DEFAULT_LIBRARY, ge=0, le=len(LIBRARIES) - 1,
        description="MPRA library whose learned per-bin bias is added to the cleavage scores (0-12): "
                    + ", ".join(f"{i} {name}" for i, name in enumerate(LIBRARIES))
                    + ". Default 11 'array', the designed MPRA of native human 3'UTR sequences, which the authors "
                      "use for genomic sequences and variants. zoo explain always uses 11.")


@hookimpl
def register_models(register: Callable[..., None]) -> None:
    for spec in sorted(MODELS_DIR.glob("*/model.yaml")):
        register(spec, "zoo_aparent2.model:Aparent2Model", options=Aparent2Options)
