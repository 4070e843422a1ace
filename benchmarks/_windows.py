"""Shared by the benchmarks: real 10,500-nt Xpresso windows cut from the bundled chr22 piece.

The piece (``chr22_32000000_32300000.fa``, 300 kb of hg38, no N) is read once; ``n`` windows are
taken by sliding a 10,500-nt window along it with an even step, half on the + strand and half on
the − strand (reverse complement of the same windows). The piece holds 289,501 distinct
start positions per strand, so up to 579,002 windows are all distinct; beyond that, starts wrap
around and windows are reused (``plan_windows`` reports how many are distinct).
"""

from __future__ import annotations

import resource
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHR22 = REPO / "plugins/zoo-xpresso/src/zoo_xpresso/examples/chr22_32000000_32300000.fa"
CHR22_OFFSET = 32_000_000  # 0-based genome coordinate of the piece's first base
MODEL_ID = "xpresso-human-median"
WINDOW = 10_500


@dataclass(frozen=True)
class Plan:
    """Where the windows come from: ``starts`` per strand, the step, and how many are distinct."""

    n: int
    step: int
    plus: list[int]
    minus: list[int]
    distinct: int
    reused: bool


def read_piece(path: Path = CHR22) -> str:
    """The chr22 piece as one upper-case string (plain line reader, independent of zoo)."""
    with open(path) as fh:
        return "".join(line.strip() for line in fh if not line.startswith(">")).upper()


def plan_windows(n: int, length: int, window: int = WINDOW) -> Plan:
    """Evenly spaced window starts: ceil(n/2) on +, floor(n/2) on −, wrapping only if needed."""
    positions = length - window + 1
    n_plus, n_minus = (n + 1) // 2, n // 2
    step = max(1, (positions - 1) // max(n_plus - 1, 1))
    plus = [(i * step) % positions for i in range(n_plus)]
    minus = [(i * step) % positions for i in range(n_minus)]
    distinct = len(set(plus)) + len(set(minus))
    return Plan(n, step, plus, minus, distinct, distinct < n)


def write_windows_fasta(path: Path, n: int, *, line_width: int = 60) -> Plan:
    """Write ``n`` windows to ``path`` as FASTA wrapped at ``line_width`` (0 = one line per record)."""
    from zoo_core.seqio import reverse_complement

    piece = read_piece()
    plan = plan_windows(n, len(piece))
    seen: dict[tuple[int, str], int] = {}
    with open(path, "w") as fh:
        for strand, starts in (("+", plan.plus), ("-", plan.minus)):
            for s in starts:
                seq = piece[s: s + WINDOW]
                if strand == "-":
                    seq = reverse_complement(seq)
                k = seen.get((s, strand), 0)
                seen[(s, strand)] = k + 1
                rid = f"chr22:{CHR22_OFFSET + s}-{CHR22_OFFSET + s + WINDOW}({strand})" + (f"#{k}" if k else "")
                fh.write(f">{rid}\n")
                if line_width:
                    fh.write("\n".join(seq[i: i + line_width] for i in range(0, len(seq), line_width)))
                else:
                    fh.write(seq)
                fh.write("\n")
    return plan


def describe(plan: Plan) -> str:
    """One line saying how the windows were made."""
    reuse = f"{plan.n - plan.distinct} reused" if plan.reused else "none reused"
    return (f"{plan.n} windows of {WINDOW} nt from chr22:{CHR22_OFFSET}-{CHR22_OFFSET + 300_000} "
            f"(hg38), step {plan.step} nt, {len(plan.plus)} on + / {len(plan.minus)} on −, "
            f"{plan.distinct} distinct ({reuse})")


def max_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (ru_maxrss: KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def current_rss_mb() -> float:
    """Current resident set size in MiB (Linux /proc; NaN elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
    except OSError:
        return float("nan")
    return pages * resource.getpagesize() / (1024 * 1024)
