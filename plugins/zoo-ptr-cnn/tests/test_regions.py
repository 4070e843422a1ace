"""Reading transcripts: the three ways to mark a CDS agree, and every malformed CDS is refused or flagged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from zoo_core.errors import InputError
from zoo_ptr_cnn.dataloader import encode, iter_regions, read_tpm
from zoo_ptr_cnn.network import PTRCNN, codon_onehot, translation_matrix
from zoo_ptr_cnn.regions import Regions

UTR5, CDS, UTR3 = "GGCTTCAAAC", "ATGGCTAAACCCGATTGA", "CTGTATATAAAG"


def fasta(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "genes.fa"
    path.write_text(text)
    return path


def regions(path: Path) -> list[Regions]:
    return [r for r, _ in iter_regions([path])]


def test_three_ways_to_mark_the_cds_agree(tmp_path: Path) -> None:
    n = len(UTR5)
    path = fasta(tmp_path, f">a cds={n + 1}-{n + len(CDS)}\n{UTR5}{CDS}{UTR3}\n"
                           f">b|ENSG1|x|UTR5:1-{n}|CDS:{n + 1}-{n + len(CDS)}|UTR3:{n + len(CDS) + 1}-40|\n"
                           f"{UTR5}{CDS}{UTR3}\n"
                           f">c\n{UTR5.lower()}{CDS}{UTR3.lower()}\n"
                           f">d CDS={n + 1}..{n + len(CDS)}\n{(UTR5 + CDS + UTR3).replace('T', 'U')}\n")
    got = regions(path)
    assert [r.id for r in got] == ["a", "b", "c", "d"]
    assert {(r.utr5, r.cds, r.utr3, r.flags) for r in got} == {(UTR5, CDS, UTR3, ())}
    assert got[0].protein_length == 5


@pytest.mark.parametrize(("record", "reason"), [
    (f">x\n{UTR5}{CDS}{UTR3}\n", "record 'x': no CDS marked: mark it with cds=START-END"),
    (f">x cds=11-27\n{UTR5}{CDS}{UTR3}\n", "record 'x': CDS length 17 is not a multiple of 3"),
    (f">x cds=11-99\n{UTR5}{CDS}{UTR3}\n", "record 'x': CDS 11-99 lies outside the 40-nt sequence"),
    (f">x\n{UTR5.lower()}ATGTAAGCT{UTR3.lower()}\n", "record 'x': in-frame stop codon TAA at CDS position 4"),
    (f">x\n{UTR5.lower()}ATGGC{UTR3.lower()}AAATGA\n", "record 'x': upper-case letters do not form one block"),
    (f">x cds=11-28\n{UTR5}ATGGCJAAACCCGATTGA{UTR3}\n", "record 'x': invalid nucleotide letter 'J'"),
])
def test_malformed_cds_is_a_clear_error(tmp_path: Path, record: str, reason: str) -> None:
    path = fasta(tmp_path, f">ok cds=11-28\n{UTR5}{CDS}{UTR3}\n{record}")
    with pytest.raises(InputError) as e:
        regions(path)
    assert str(e.value).startswith(f"{path}: {reason}")


def test_unusual_but_usable_records_are_flagged(tmp_path: Path) -> None:
    path = fasta(tmp_path, f">no_atg cds=1-15\nGCTAAACCCGATTGA{UTR3}\n>no_stop\n{UTR5.lower()}ATGGCTAAACCC\n"
                           f">with_n cds=11-28\n{UTR5}ATGGCTNAACCCGATTGA{UTR3}\n")
    flags = {r.id: r.flags for r in regions(path)}
    assert flags == {"no_atg": ("no_5utr", "no_start"), "no_stop": ("no_3utr", "no_stop"), "with_n": ("non_acgt",)}


def test_tpm_table_logs_and_thresholds(tmp_path: Path) -> None:
    path = tmp_path / "tpm.tsv"
    path.write_text("id\tleaf\troot\na\t8\t0.5\n")
    samples, table = read_tpm(path)
    assert samples == ["leaf", "root"]
    assert table["a"][0] == 3.0 and np.isnan(table["a"][1])
    path.write_text("id\tleaf\na\tlots\n")
    with pytest.raises(InputError, match="record 'a': sample 'leaf': 'lots' is not a number"):
        read_tpm(path)


def test_codon_and_protein_features_from_the_cds_one_hot() -> None:
    batch = encode([Regions("a", UTR5, CDS, UTR3)])
    codons = codon_onehot(torch.as_tensor(batch.inputs["cds"]))
    protein = codons @ translation_matrix()
    aa = "ACDEFGHIKLMNPQRSTVWY"
    assert "".join(aa[i] for i in protein[0].argmax(dim=1)[:5]) == "MAKPD"
    assert protein[0, 5].sum() == 0  # the stop codon translates to nothing


def test_predictions_do_not_depend_on_padding() -> None:
    torch.manual_seed(0)
    net = PTRCNN().eval()
    short, long = Regions("a", UTR5, CDS, UTR3), Regions("b", UTR5 * 30, "ATG" + "GCT" * 400 + "TAA", UTR3 * 20)
    alone = encode([short]).inputs
    padded = encode([short, long]).inputs
    with torch.no_grad():
        y1 = net(*(torch.as_tensor(alone[k]) for k in ("utr5", "cds", "utr3", "lengths")))
        y2 = net(*(torch.as_tensor(padded[k]) for k in ("utr5", "cds", "utr3", "lengths")))
    assert padded["cds"].shape[1] > alone["cds"].shape[1]
    torch.testing.assert_close(y1[0], y2[0])


def test_start_and_stop_context_windows() -> None:
    net = PTRCNN(context=3, modules=["start_context", "stop_context"])
    x = encode([Regions("a", UTR5, CDS, UTR3)]).inputs
    feats = net.features(*(torch.as_tensor(x[k]) for k in ("utr5", "cds", "utr3", "lengths")))

    def letters(v: torch.Tensor) -> str:
        return "".join("ACGT"[int(i)] for i in v.reshape(-1, 4).argmax(dim=1))

    assert letters(feats["start_context"][0]) == UTR5[-3:] + CDS[:6]
    assert letters(feats["stop_context"][0]) == CDS[-6:] + UTR3[:3]
    names = net.feature_names()
    assert names[:4] == ["start_context:-3:A", "start_context:-3:C", "start_context:-3:G", "start_context:-3:T"]
    assert "stop_context:+1:C" in names
