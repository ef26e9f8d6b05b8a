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
from riskmc.scenario import resolve_document, scenario_from_dict, shipped_scenarios

SIZES = {"small": 100, "large": 1000}


def _without(*blocks: str) -> riskmc.Scenario:
    """The default scenario without some of its tail blocks (fatalities, regimes, suspension)."""
    doc = resolve_document(shipped_scenarios()["balochistan.yaml"])
    for block in blocks:
        if block == "suspension":
            for p in doc["projects"]:
                p.pop("suspension", None)
        else:
            doc["hazard"].pop(block, None)
    return scenario_from_dict(doc)


@pytest.fixture(scope="module")
def default():
    scenario = riskmc.default_scenario()
    riskmc.sample_hazard(scenario, 2, seed=0, threads=1)  # compile before timing
    return scenario


@pytest.fixture(scope="module")
def variants():
    """The default without regimes (the tail's 5 % budget) and without any tail block
    (release 1's scenario), to compare in one run."""
    out = {
        "no_regimes": _without("regimes"),
        "release1": _without("regimes", "fatalities", "suspension"),
    }
    for s in out.values():
        riskmc.sample_hazard(s, 2, seed=0, threads=1)
    return out


@pytest.mark.parametrize("variant", ["no_regimes", "release1"])
def test_hazard_default_variants(benchmark, variants, variant):
    benchmark.group = "hazard"
    n = SIZES["large"]
    sample = benchmark(riskmc.sample_hazard, variants[variant], n, seed=1, threads=1)
    record(benchmark, replications=n, events=sample.n_events)


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


def test_hazard_default_attack_table(benchmark, default):
    """The default sampled, then its attack table read: every attack's deaths drawn
    (riskmc.hazard.attack_severity), which sampling alone leaves to the first reader."""
    benchmark.group = "hazard"
    n = SIZES["large"]

    def sample_and_read() -> riskmc.HazardSample:
        sample = riskmc.sample_hazard(default, n, seed=1, threads=1)
        assert sample.arrays["attacks"]["fatalities"].max() > 0
        return sample

    sample = benchmark(sample_and_read)
    record(benchmark, replications=n, events=sample.n_events)
