"""Throughput of the hazard sampler, as ``riskmc bench`` and the benchmarks report it."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from riskmc.hazard.sample import sample_hazard
from riskmc.scenario.schema import Scenario

__all__ = ["HazardThroughput", "hazard_throughput", "numpy_uniform_seconds"]


@dataclass(frozen=True)
class HazardThroughput:
    """One timed run of :func:`riskmc.sample_hazard`.

    Attributes
    ----------
    replications, threads, events : int
        What was sampled, on how many threads; events are attacks plus merged
        closures plus merged blackouts.
    seconds : float
        Wall time of the sampling [s].
    numpy_seconds : float
        Wall time of ``numpy.random.Generator.random(events)``: one uniform
        per event, the floor set by random-number generation [s].
    """

    replications: int
    threads: int
    events: int
    seconds: float
    numpy_seconds: float

    @property
    def replications_per_s_per_core(self) -> float:
        return self.replications / self.seconds / self.threads

    @property
    def events_per_s_per_core(self) -> float:
        return self.events / self.seconds / self.threads

    @property
    def ns_per_event(self) -> float:
        return 1e9 * self.seconds * self.threads / max(self.events, 1)

    @property
    def numpy_ratio(self) -> float:
        """Sampling time per core over NumPy's time for one uniform per event."""
        return self.seconds * self.threads / self.numpy_seconds


def numpy_uniform_seconds(n: int, repeat: int = 3) -> float:
    """Best wall time of drawing ``n`` uniforms with NumPy's default generator."""
    rng = np.random.default_rng(0)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        rng.random(n)
        best = min(best, time.perf_counter() - t0)
    return best


def hazard_throughput(
    scenario: Scenario, replications: int, threads: int = 1, seed: int = 0, repeat: int = 3
) -> HazardThroughput:
    """Time :func:`riskmc.sample_hazard` (best of ``repeat``), after a warm-up call."""
    sample_hazard(scenario, 2, seed=seed, threads=1)  # compile or load the kernels
    best = float("inf")
    events = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        sample = sample_hazard(scenario, replications, seed=seed, threads=threads)
        best = min(best, time.perf_counter() - t0)
        events = sample.n_events
        del sample
    return HazardThroughput(
        replications=replications,
        threads=threads,
        events=events,
        seconds=best,
        numpy_seconds=numpy_uniform_seconds(events, repeat),
    )
