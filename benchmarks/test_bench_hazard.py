"""Hazard sampling of the default scenario (10-year horizon), one thread: per-core figures.

Reported in ``extra_info``: replications and events per second per core, ns per
event, and the ratio to NumPy drawing one uniform per event (measured in the
same run).
"""

from __future__ import annotations

import pytest
from throughput import record

import riskmc
from riskmc.hazard.bench import numpy_uniform_seconds

SIZES = {"small": 100, "large": 1000}


@pytest.fixture(scope="module")
def default():
    scenario = riskmc.default_scenario()
    riskmc.sample_hazard(scenario, 2, seed=0, threads=1)  # compile before timing
    return scenario


@pytest.mark.parametrize("size", list(SIZES))
def test_hazard_default(benchmark, default, size):
    benchmark.group = "hazard"
    n = SIZES[size]
    sample = benchmark(riskmc.sample_hazard, default, n, seed=1, threads=1)
    events = sample.n_events
    record(benchmark, replications=n, events=events)
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        mean = stats.stats.mean
        benchmark.extra_info["ns_per_event"] = 1e9 * mean / events
        benchmark.extra_info["numpy_uniform_ratio"] = mean / numpy_uniform_seconds(events)
    assert events > 3000 * n
