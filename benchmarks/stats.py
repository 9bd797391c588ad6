"""Small statistics helpers: interleaved repetitions, medians, percentiles, paired ratios."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

T = TypeVar("T")


def rotated(cases: Sequence[str], shift: int) -> list[str]:
    """``cases`` rotated left by ``shift``: rep 0 runs A,B,C; rep 1 B,C,A; rep 2 C,A,B."""
    if not cases:
        return []
    k = shift % len(cases)
    return [*cases[k:], *cases[:k]]


def interleave(cases: Sequence[str], reps: int, run: Callable[[str, int], T]) -> dict[str, list[T]]:
    """Run every case once per repetition, cases interleaved, order rotated each repetition.

    Interleaving puts the runs of a comparison pair next to each other in time, so slow drifts of
    the machine (other processes, thermal state) hit both sides alike; rotating the order cancels
    any advantage of going first. ``run(case, rep)`` returns one observation.
    """
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    if len(set(cases)) != len(cases):
        raise ValueError(f"case names must be unique, got {list(cases)}")
    results: dict[str, list[T]] = {case: [] for case in cases}
    for rep in range(reps):
        for case in rotated(cases, rep):
            results[case].append(run(case, rep))
    return results


def median(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("median of no values")
    return float(statistics.median(values))


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (``pct`` in 0..100): a value that really was observed."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile must be within 0..100, got {pct}")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return float(ordered[rank - 1])


def paired_ratios(samples: Mapping[str, Sequence[float]], baseline: str) -> dict[str, list[float]]:
    """Per-repetition ratios ``case[i] / baseline[i]`` (pairs taken from the same repetition)."""
    if baseline not in samples:
        raise ValueError(f"baseline {baseline!r} is not one of {sorted(samples)}")
    base = samples[baseline]
    ratios: dict[str, list[float]] = {}
    for case, values in samples.items():
        pairs = [(v, b) for v, b in zip(values, base, strict=False) if b > 0]
        ratios[case] = [v / b for v, b in pairs]
    return ratios


def median_ratio(samples: Mapping[str, Sequence[float]], baseline: str) -> dict[str, float | None]:
    """Median of the paired ratios of each case against ``baseline``; None when nothing pairs up."""
    return {
        case: (median(values) if values else None)
        for case, values in paired_ratios(samples, baseline).items()
    }
