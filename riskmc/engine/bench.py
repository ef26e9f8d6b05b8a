"""Throughput of the two engines on a scenario: replications a second, hazard included.

Both engines run the same replications on one core (one Numba thread, in this
process), one after the other, so that their ratio is measured in one run:
these machines differ 2x from one day to the next (SPEC, "Performance targets").
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from riskmc.engine.propagate import ChunkModel
from riskmc.scenario import Scenario

__all__ = ["EngineThroughput", "engine_throughput"]


@dataclass(frozen=True)
class EngineThroughput:
    """Replications a second on one core, hazard sampling included, of each engine."""

    compiled_per_s: float
    simpy_per_s: float
    compiled_replications: int
    simpy_replications: int
    warm_s: float  # compiling (or loading) both engines' kernels before the timing

    @property
    def ratio(self) -> float:
        """The compiled engine's throughput over the SimPy engine's."""
        return self.compiled_per_s / self.simpy_per_s


def engine_throughput(
    scenario: Scenario, replications: int = 1000, simpy_replications: int | None = None
) -> EngineThroughput:
    """Time ``replications`` of the compiled engine and (fewer, by default a fifth) of
    the SimPy engine, each hazard included, from replication 1,000 on (after a warm-up)."""
    n_simpy = max(10, replications // 5) if simpy_replications is None else simpy_replications
    t0 = time.perf_counter()
    models = {e: ChunkModel(scenario, threads=1, engine=e) for e in ("compiled", "simpy")}
    for model in models.values():
        model.run(0, 0, 2)
    warm = time.perf_counter() - t0
    rates = {}
    for engine, n in (("compiled", replications), ("simpy", n_simpy)):
        start = time.perf_counter()
        models[engine].run(7, 1000, 1000 + n)
        rates[engine] = n / (time.perf_counter() - start)
    return EngineThroughput(rates["compiled"], rates["simpy"], replications, n_simpy, warm)
