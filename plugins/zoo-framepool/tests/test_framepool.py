"""framepool through the user's commands: the published variant effects (zoo vep and Python), zoo test, options,
input modes (FASTA, gzip, strings, genome + GTF/GFF3), padding, attributions and bad input."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

import zoo
from zoo_core.encoding import one_hot
from zoo_core.seqio import read_fasta, reverse_complement

PKG = Path(__file__).resolve().parents[1] / "src" / "zoo_framepool"
EX = PKG / "examples"
UTRS = EX / "utrs.fa"
PAIRS = EX / "calvo_pairs.tsv"
PUBLISHED = pd.read_csv(EX / "calvo_pairs_expected.tsv", sep="\t")
SCORES = ["mrl_log2fc", "mrl_log2fc_shift1", "mrl_log2fc_shift2"]
Cli = Callable[..., tuple[int, str, str]]

pytestmark = pytest.mark.slow  # runs the torch model


@pytest.fixture(autouse=True)
def _framepool_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "zoo-framepool")


@pytest.fixture(scope="module")
def utrs() -> dict[str, str]:
    return {r.id: r.seq for r in read_fasta(UTRS)}


def _max_diff_from_published(got: pd.DataFrame) -> float:
    merged = got.merge(PUBLISHED, on="id", suffixes=("", "_published"))
    assert len(merged) == 5
    return float(max(np.abs(merged[s] - merged[f"{s}_published"]).max() for s in SCORES))


# --- the published numbers ------------------------------------------------------------------------------------

def test_vep_cli_reproduces_the_15_published_variant_effects(zoo_cli: Cli, tmp_path: Path) -> None:
    """Kipoi's 5 Calvo variants x 3 frames, published with 6 decimals: within 1e-5 (measured: under 1e-6)."""
    out = tmp_path / "out.tsv"
    code, _, err = zoo_cli("vep", "framepool", "--pairs", PAIRS, "-o", out, "-q")
    assert code == 0, err
    got = pd.read_csv(out, sep="\t")
    assert list(got.columns) == ["id", "mrl_ref", "mrl_alt", *SCORES]
    assert list(got["id"]) == list(PUBLISHED["id"])
    assert _max_diff_from_published(got) <= 1e-5
    np.testing.assert_allclose(got["mrl_log2fc"], np.log2(got["mrl_alt"] / got["mrl_ref"]), atol=1e-6)


def test_python_score_pairs_reproduces_the_published_variant_effects() -> None:
    got = zoo.get_model("framepool").score_pairs(PAIRS)
    assert _max_diff_from_published(got) <= 1e-5
    # a DataFrame in, any batch size: the same numbers
    again = zoo.get_model("framepool").score_pairs(pd.read_csv(PAIRS, sep="\t"), batch_size=2)
    np.testing.assert_allclose(again[SCORES].to_numpy(), got[SCORES].to_numpy(), atol=1e-6)


def test_score_pairs_shifts_are_zeros_appended_at_the_3_prime_end(utrs: dict[str, str]) -> None:
    """shift k == both UTRs with k all-zero rows appended, scored as plain arrays (Kipoi's own construction)."""
    model = zoo.get_model("framepool")
    pairs = pd.read_csv(PAIRS, sep="\t")
    got = model.score_pairs(pairs)
    for k, column in enumerate(SCORES):
        for _, row in pairs.iterrows():
            ref = np.vstack([one_hot(row["ref"]), np.zeros((k, 4), np.float32)])[None]
            alt = np.vstack([one_hot(row["alt"]), np.zeros((k, 4), np.float32)])[None]
            lfc = np.log2(model.predict_array(alt)[0, 0] / model.predict_array(ref)[0, 0])
            assert got.loc[got["id"] == row["id"], column].item() == pytest.approx(lfc, abs=1e-5)


def test_zoo_test_passes(zoo_cli: Cli) -> None:
    code, out, err = zoo_cli("test", "framepool")
    assert code == 0, err
    assert out.startswith("framepool: PASS (20 records")


# --- options ---------------------------------------------------------------------------------------------------

def test_library_option_rescales_mrl(zoo_cli: Cli, tmp_path: Path) -> None:
    model = zoo.get_model("framepool")
    kipoi = model.predict(UTRS)["mrl"].to_numpy()
    random = model.predict(UTRS, library="random")["mrl"].to_numpy()
    egfp = model.predict(UTRS, library="egfp_unmod_1")["mrl"].to_numpy()
    np.testing.assert_array_equal(kipoi, random)  # the same indicator, [0, 1]
    assert not np.allclose(kipoi, egfp)
    assert np.corrcoef(kipoi, egfp)[0, 1] == pytest.approx(1.0, abs=1e-9)  # affine: a*y + b either way
    out = tmp_path / "egfp.tsv"
    assert zoo_cli("predict", "framepool", UTRS, "--library", "egfp_unmod_1", "-o", out, "-q")[0] == 0
    np.testing.assert_allclose(pd.read_csv(out, sep="\t")["mrl"], egfp, atol=1e-6)
    code, _, err = zoo_cli("predict", "framepool", UTRS, "--library", "hek", "-o", tmp_path / "x.tsv")
    assert code != 0 and "hek" in err and not (tmp_path / "x.tsv").exists()


def test_info_lists_option_scores_and_methods(zoo_cli: Cli) -> None:
    code, out, err = zoo_cli("info", "framepool")
    assert code == 0, err
    for word in ("library", "egfp_unmod_1", "mrl_log2fc_shift2", "ism", "grad", "ig"):
        assert word in out


# --- inputs and padding ----------------------------------------------------------------------------------------

def test_a_utr_alone_equals_the_same_utr_padded_in_a_batch(utrs: dict[str, str]) -> None:
    """Right-padded batches (the dataloader), each UTR alone, and Kipoi's left-padded arrays agree."""
    model = zoo.get_model("framepool")
    seqs = list(utrs.values())
    batched = model.predict(seqs, batch_size=32)["mrl"].to_numpy()
    alone = np.array([model.predict([s], batch_size=1)["mrl"].item() for s in seqs])
    width = max(map(len, seqs)) + 5
    left = np.zeros((len(seqs), width, 4), np.float32)
    for k, s in enumerate(seqs):
        left[k, width - len(s):] = one_hot(s)
    kipoi = model.predict_array(left)[:, 0]
    np.testing.assert_allclose(batched, alone, atol=1e-5, rtol=0)
    np.testing.assert_allclose(batched, kipoi, atol=1e-5, rtol=0)


def test_length_groups_keep_every_record_once_within_the_budget() -> None:
    from zoo_framepool.model import length_groups

    lengths = np.array([50, 1000, 30, 20000, 60, 70, 5, 50])
    groups = length_groups(lengths, 4000)
    assert sorted(np.concatenate(groups).tolist()) == list(range(len(lengths)))
    for g in groups:
        assert len(g) == 1 or len(g) * lengths[g].max() <= 4000
    assert [len(g) for g in length_groups(np.full(700, 50), 16_384)] == [327, 327, 46]


def test_grouping_by_length_does_not_change_the_values(monkeypatch: pytest.MonkeyPatch, utrs: dict[str, str]) -> None:
    """A batch of mixed lengths run as one padded group and as many small ones: the same MRLs and pair scores."""
    import zoo_framepool.model as fm

    model = zoo.get_model("framepool")
    seqs = list(utrs.values())
    monkeypatch.setattr(fm, "GROUP_POSITIONS", 10**9)
    one, pairs_one = model.predict(seqs)["mrl"].to_numpy(), model.score_pairs(PAIRS)
    monkeypatch.setattr(fm, "GROUP_POSITIONS", 300)
    many, pairs_many = model.predict(seqs)["mrl"].to_numpy(), model.score_pairs(PAIRS)
    np.testing.assert_allclose(one, many, atol=1e-5, rtol=0)
    np.testing.assert_allclose(pairs_one[SCORES].to_numpy(), pairs_many[SCORES].to_numpy(), atol=1e-5, rtol=0)


def test_very_short_and_n_containing_utrs_do_not_depend_on_the_batch() -> None:
    model = zoo.get_model("framepool")
    seqs = ["A", "GC", "ATG", "NNACGNT", "ACGTACGTNN", "GGCGCCACC" * 40]
    batched = model.predict(seqs)["mrl"].to_numpy()
    alone = np.array([model.predict([s])["mrl"].item() for s in seqs])
    assert np.isfinite(batched).all()
    np.testing.assert_allclose(batched, alone, atol=1e-5, rtol=0)


def test_fasta_gzip_strings_lower_case_and_u_give_the_same_values(tmp_path: Path, utrs: dict[str, str]) -> None:
    model = zoo.get_model("framepool")
    plain = model.predict(UTRS)
    gz = tmp_path / "utrs.fa.gz"
    with gzip.open(gz, "wt") as fh:
        fh.writelines(f">{k}\n{v.lower().replace('t', 'u')}\n" for k, v in utrs.items())
    np.testing.assert_allclose(model.predict(gz)["mrl"], plain["mrl"], atol=1e-6)
    got = model.predict([v.lower().replace("t", "u") for v in utrs.values()])
    assert list(got["id"]) == [f"seq_{i}" for i in range(len(utrs))]
    assert list(got["length"]) == [len(v) for v in utrs.values()]
    np.testing.assert_allclose(got["mrl"], plain["mrl"], atol=1e-6)


def _genome_and_annotation(tmp_path: Path, utrs: dict[str, str], fmt: str) -> tuple[Path, Path]:
    """A genome with two real UTRs as spliced exons (an intron inside each), one per strand, each followed by a
    CDS; plus a coding transcript with no 5'UTR and a non-coding one."""
    rng = np.random.default_rng(0)

    def filler(n: int) -> str:
        return "".join(rng.choice(list("ACGT"), n))

    cds = "ATG" + filler(60) + "TAA"
    intron = "GT" + filler(80) + "AG"
    hbb, rpl5 = utrs["HBB"], utrs["RPL5"]
    plus = filler(100) + rpl5[:40] + intron + rpl5[40:] + cds + filler(100)  # RPL5 on +
    minus_tx = hbb[:20] + intron + hbb[20:] + cds  # HBB on -, written 5'->3' then reverse-complemented
    contig = plus + filler(50) + reverse_complement(minus_tx) + filler(100) + cds + filler(50)
    genome = tmp_path / "genome.fa"
    genome.write_text(">chrT\n" + "\n".join(contig[i:i + 60] for i in range(0, len(contig), 60)) + "\n")

    def one_based(start0: int, length: int) -> tuple[int, int]:
        return start0 + 1, start0 + length

    p0 = 100
    rpl5_ex1 = one_based(p0, 40)
    rpl5_ex2 = one_based(p0 + 40 + len(intron), len(rpl5) - 40 + len(cds))
    rpl5_cds = one_based(p0 + 40 + len(intron) + len(rpl5) - 40, len(cds))
    m0 = len(plus) + 50  # the minus-strand transcript occupies [m0, m0 + len(minus_tx)) on +
    n = len(minus_tx)
    # on +, reverse complement: 5' exon (hbb[:20]) is at the right end
    hbb_ex1 = one_based(m0 + n - 20, 20)
    hbb_ex2 = one_based(m0, n - 20 - len(intron))
    hbb_cds = one_based(m0, len(cds))
    c0 = m0 + n + 100
    bare = one_based(c0, len(cds))  # a coding transcript whose CDS starts at its first base: no 5'UTR
    rows = [
        ("tx_rpl5", "+", [rpl5_ex1, rpl5_ex2], rpl5_cds),
        ("tx_hbb", "-", [hbb_ex1, hbb_ex2], hbb_cds),
        ("tx_bare", "+", [bare], bare),
        ("tx_noncoding", "+", [one_based(10, 50)], None),
    ]
    lines = []
    for tid, strand, exons, cds_span in rows:
        if fmt == "gtf":
            attrs = f'gene_id "{tid}_g"; transcript_id "{tid}";'
            lines += [f"chrT\tzoo\texon\t{s}\t{e}\t.\t{strand}\t.\t{attrs}" for s, e in exons]
            if cds_span:
                lines.append(f"chrT\tzoo\tCDS\t{cds_span[0]}\t{cds_span[1]}\t.\t{strand}\t0\t{attrs}")
        else:
            lo, hi = min(s for s, _ in exons), max(e for _, e in exons)
            lines.append(f"chrT\tzoo\tmRNA\t{lo}\t{hi}\t.\t{strand}\t.\tID={tid}")
            lines += [f"chrT\tzoo\texon\t{s}\t{e}\t.\t{strand}\t.\tParent={tid}" for s, e in exons]
            if cds_span:
                lines.append(f"chrT\tzoo\tCDS\t{cds_span[0]}\t{cds_span[1]}\t.\t{strand}\t0\tParent={tid}")
    ann = tmp_path / f"tx.{fmt}"
    ann.write_text(("##gff-version 3\n" if fmt == "gff3" else "") + "\n".join(lines) + "\n")
    return genome, ann


@pytest.mark.parametrize("fmt", ["gtf", "gff3"])
def test_genome_and_annotation_give_the_spliced_stranded_5utr(zoo_cli: Cli, tmp_path: Path, utrs: dict[str, str],
                                                             fmt: str) -> None:
    genome, ann = _genome_and_annotation(tmp_path, utrs, fmt)
    out = tmp_path / "out.tsv"
    code, _, err = zoo_cli("predict", "framepool", ann, "--genome", genome, "-o", out)
    assert code == 0, err
    assert "1 of 3 coding transcripts have no 5'UTR" in err and "tx_bare" in err
    got = pd.read_csv(out, sep="\t").set_index("id")
    assert sorted(got.index) == ["tx_hbb", "tx_rpl5"]
    fasta = zoo.get_model("framepool").predict([utrs["RPL5"], utrs["HBB"]])["mrl"].to_numpy()
    assert got.loc["tx_rpl5", "length"] == len(utrs["RPL5"]) and got.loc["tx_hbb", "length"] == len(utrs["HBB"])
    np.testing.assert_allclose(got.loc[["tx_rpl5", "tx_hbb"], "mrl"], fasta, atol=1e-6)


# --- attributions ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["ism", "grad", "ig"])
def test_attributions_are_cut_to_each_utr_and_do_not_depend_on_the_batch(method: str, utrs: dict[str, str]) -> None:
    model = zoo.get_model("framepool")
    seqs = [utrs["HBB"], utrs["RPL5"], "ACGTNACGT"]
    batched = list(model.explain(seqs, method=method, batch_size=3))
    alone = [next(iter(model.explain([s], method=method, batch_size=1))) for s in seqs]
    for a, b, s in zip(batched, alone, seqs, strict=True):
        assert a.attr.shape == (len(s), 4) and a.onehot.shape == (len(s), 4)
        np.testing.assert_array_equal(a.onehot, one_hot(s))  # the real UTR, not padding
        np.testing.assert_allclose(a.attr, b.attr, atol=2e-5, rtol=1e-4)
        assert a.prediction == pytest.approx(b.prediction, abs=1e-5)
    if method == "ism":  # f(mutant) - f(original), checked directly at one position
        s = seqs[1]
        pos, base = 60, "ACGT".index("A" if s[60] != "A" else "C")
        mutant = s[:pos] + "ACGT"[base] + s[pos + 1:]
        pred = model.predict([s, mutant])["mrl"].to_numpy()
        assert batched[1].attr[pos, base] == pytest.approx(pred[1] - pred[0], abs=1e-5)
        assert (batched[1].attr[one_hot(s) == 1] == 0).all()


def test_gradient_matches_finite_differences(utrs: dict[str, str]) -> None:
    """ZooModel.gradient (float32) against central differences of a float64 copy of the network (eps 1e-5: the
    ReLUs and the input-dependent pad mask make larger steps cross kinks)."""
    import copy

    import torch

    impl = zoo.get_model("framepool").load()
    x = one_hot(utrs["HBB"])[None]
    lengths = np.array([x.shape[1]], np.float32)
    g = impl.gradient({"utr5": x, "lengths": lengths}, target="mrl", name="utr5")
    net = copy.deepcopy(impl.net).double()
    x64 = torch.tensor(x, dtype=torch.float64)
    eps = 1e-5
    for pos, ch in [(3, 0), (25, 2), (49, 3), (10, 1)]:
        up, down = x64.clone(), x64.clone()
        up[0, pos, ch] += eps
        down[0, pos, ch] -= eps
        with torch.no_grad():
            fd = float(net(up) - net(down)) / (2 * eps)
        assert g[0, pos, ch] == pytest.approx(fd, abs=1e-4)


def test_explain_cli_writes_hdf5_cut_to_length(zoo_cli: Cli, tmp_path: Path, utrs: dict[str, str]) -> None:
    out = tmp_path / "attr.h5"
    code, _, err = zoo_cli("explain", "framepool", UTRS, "--method", "grad", "-o", out, "-q")
    assert code == 0, err
    with h5py.File(out) as f:
        ids = [i.decode() if isinstance(i, bytes) else i for i in f["ids"][:]]
        assert ids == list(utrs)
        for k, s in enumerate(utrs.values()):
            assert f[f"attr/utr5/{k}"].shape == (len(s), 4)


# --- bad input -------------------------------------------------------------------------------------------------

def _error_line(err: str) -> str:
    """The CLI's one-line error (the core adds a second line only to say how to get a traceback)."""
    lines = err.strip().splitlines()
    assert lines[0].startswith("Error: ") and lines[1:] in ([], ["(set ZOO_DEBUG=1 for a traceback)"]), err
    return lines[0]


def test_invalid_letter_stops_with_one_line_naming_the_record(zoo_cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.fa"
    bad.write_text(">ok\nACGTACGT\n>broken\nACGTXACGT\n")
    out = tmp_path / "out.tsv"
    code, _, err = zoo_cli("predict", "framepool", bad, "-o", out)
    assert code == 1
    assert _error_line(err).endswith("bad.fa: record 'broken': invalid nucleotide letter 'X' at position 5")
    assert not out.exists()


def test_all_n_utr_and_bed_input_are_refused(zoo_cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "n.fa"
    bad.write_text(">ok\nACGT\n>gap\nNNNNNN\n")
    code, _, err = zoo_cli("predict", "framepool", bad, "-o", tmp_path / "o.tsv")
    assert code == 1 and "'gap'" in err and "no A, C, G or T" in err
    bed = tmp_path / "x.bed"
    bed.write_text("chrT\t1\t50\tx\t0\t+\n")
    code, _, err = zoo_cli("predict", "framepool", bed, "--genome", bed, "-o", tmp_path / "o.tsv")
    assert code == 1 and "GTF/GFF3" in err


def _pairs(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pairs.tsv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("id\tref\n1\tACGT\n", ["pairs.tsv", "'alt'"]),  # a missing column
        ("id\tref\talt\nv1\tACGT\tACGA\nv1\tACGG\tACGC\n", ["pairs.tsv", "'v1'", "duplicate id"]),
        ("id\tref\talt\nv1\tACGT\tACGA\nv2\tACGG\tACJC\n", ["pairs.tsv (alt)", "'v2'", "'J'"]),  # invalid letter
    ],
    ids=["missing-column", "duplicate-id", "invalid-letter"],
)
def test_bad_pairs_file_is_reported_with_file_and_record(zoo_cli: Cli, tmp_path: Path, text: str,
                                                        words: list[str]) -> None:
    pairs = _pairs(tmp_path, text)
    out = tmp_path / "out.tsv"
    code, _, err = zoo_cli("vep", "framepool", "--pairs", pairs, "-o", out)
    assert code == 1
    line = _error_line(err)
    for w in words:
        assert w in line, err
    assert not out.exists()
