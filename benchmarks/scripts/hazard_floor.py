"""How much of the hazard kernel's time the random numbers themselves take.

The hazard benchmark compares the kernel with NumPy drawing one uniform per
event. This script puts the random numbers of the kernel on the same scale:

- NumPy's time for one uniform (``Generator.random``, PCG64, in one call);
- riskmc's Philox-4x32-10 in bulk (``fill_uniforms``), per uniform;
- the uniforms a default replication draws, counted from its tables with the
  draws each step makes (``riskmc.hazard.kernel``): one per background or
  campaign attack (its gap), a block of four per triggered attack (parent,
  delay, spillover, neighbour), three per attack (target, closes, blacks out),
  a block of four per closure or blackout an attack makes, and two per
  protest, order, campaign or seizure (its time and its duration). Burn-in
  attacks and partly used blocks are left out, so it is a lower count;
- the kernel's own time per replication (``hazard_throughput``).

Usage::

    python benchmarks/scripts/hazard_floor.py
"""

from __future__ import annotations

import timeit

import numba as nb
import numpy as np

import riskmc
from riskmc.hazard.bench import hazard_throughput, numpy_uniform_seconds
from riskmc.hazard.rng import fill_uniforms, key_from_seed

REPS = 1000


@nb.njit(cache=False)
def _philox(out: np.ndarray, k0: np.uint64, k1: np.uint64, reps: int, blocks: int) -> float:
    total = 0.0
    for r in range(reps):
        fill_uniforms(out, k0, k1, np.uint64(r), np.uint64(12345), 0, blocks)
        total += out[0]
    return total


def main() -> None:
    scenario = riskmc.default_scenario()
    sample = riskmc.sample_hazard(scenario, 200, seed=1)
    per = 1 / 200
    kind = sample.attacks["kind"].value_counts()
    closures = sample.closures["cause"].value_counts()
    blackouts = sample.blackouts["cause"].value_counts()
    n_attacks = len(sample.attacks) * per
    events = (len(sample.attacks) + len(sample.closures) + len(sample.blackouts)) * per
    uniforms = (
        (kind.get("background", 0) + kind.get("campaign", 0) + 4 * kind.get("triggered", 0)) * per
        + 3 * n_attacks
        + 4 * (closures.get("attack", 0) + blackouts.get("attack", 0)) * per
        + 2 * (closures.drop("attack", errors="ignore").sum()) * per
        + 2 * (blackouts.drop("attack", errors="ignore").sum()) * per
    )
    blocks = int(uniforms / 4) + 1
    k0, k1 = (np.uint64(k) for k in key_from_seed(1))
    out = np.empty(4 * blocks)
    _philox(out, k0, k1, 2, blocks)
    best = min(timeit.repeat(lambda: _philox(out, k0, k1, REPS, blocks), number=1, repeat=5))
    philox_ns = best / (REPS * 4 * blocks) * 1e9
    n = int(REPS * events)
    numpy_ns = numpy_uniform_seconds(n, repeat=5) / n * 1e9
    kernel = hazard_throughput(scenario, REPS, threads=1)
    kernel_us = kernel.seconds / REPS * 1e6
    print(f"events a replication:             {events:,.0f} ({n_attacks:,.0f} attacks)")
    print(f"uniforms a replication (at least): {uniforms:,.0f} ({uniforms / events:.1f} an event)")
    print(f"NumPy, one uniform:                {numpy_ns:.2f} ns")
    print(f"riskmc Philox in bulk, one uniform: {philox_ns:.2f} ns")
    print(f"NumPy, one uniform per event:      {events * numpy_ns / 1e3:.1f} us a replication")
    print(
        f"riskmc's uniforms alone:           {uniforms * philox_ns / 1e3:.1f} us a replication"
        f" ({uniforms * philox_ns / (events * numpy_ns):.2f}x NumPy)"
    )
    print(
        f"the kernel:                        {kernel_us:.1f} us a replication"
        f" ({kernel.numpy_ratio:.1f}x NumPy; 5x would be {5 * events * numpy_ns / 1e3:.1f} us)"
    )


if __name__ == "__main__":
    main()
