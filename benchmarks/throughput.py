"""Record throughput beside pytest-benchmark's timings."""

from __future__ import annotations

from typing import Any


def record(benchmark: Any, **units_per_call: float) -> None:
    """Store ``<unit>_per_s`` in ``benchmark.extra_info`` for each unit per call.

    Does nothing when benchmarks are disabled (``--benchmark-disable``), where
    the function ran once, untimed.
    """
    stats = getattr(benchmark, "stats", None)
    if stats is None:
        return
    mean = stats.stats.mean
    for unit, count in units_per_call.items():
        benchmark.extra_info[f"{unit}_per_s"] = count / mean
