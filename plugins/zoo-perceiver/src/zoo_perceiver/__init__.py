"""DNAPerceiver, ProteinPerceiver and DNA&ProteinPerceiver (Stefanini et al. 2023) for the zoo."""
