"""Networks by name, so that a ``config.json`` (``{"class": ..., "kwargs": {...}}``) says which one to build."""

from __future__ import annotations

from typing import Any

from torch import nn

from zoo_perceiver.network import DNAPerceiver, DNAProteinPerceiver, ProteinPerceiver
from zoo_perceiver.xpresso import XpressoCNN

NETWORKS: dict[str, type[nn.Module]] = {
    "DNAPerceiver": DNAPerceiver,
    "ProteinPerceiver": ProteinPerceiver,
    "DNAProteinPerceiver": DNAProteinPerceiver,
    "XpressoCNN": XpressoCNN,
}


def build_network(network: dict[str, Any]) -> nn.Module:
    """The network of a config's ``network`` block: ``{"class": "DNAPerceiver", "kwargs": {"tanh": true}}``."""
    cls = NETWORKS.get(network.get("class", ""))
    if cls is None:
        raise ValueError(f"unknown network class {network.get('class')!r}; known: {', '.join(NETWORKS)}")
    return cls(**network.get("kwargs", {}))


def inputs_of(network: nn.Module) -> tuple[str, ...]:
    """The forward arguments in order: ``dna`` and/or ``protein``, then ``half_life`` where the network takes it."""
    if isinstance(network, ProteinPerceiver):
        return ("protein",)
    if isinstance(network, DNAProteinPerceiver):
        return ("dna", "protein", "half_life")
    return ("dna", "half_life")
