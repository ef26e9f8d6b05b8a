"""Scale-out: the default scenario on 1 worker, on a local pool of 2, and on Dask with 2.

Each 2-worker benchmark records ``efficiency``: its throughput over twice the
1-worker throughput (1.0 is ideal; the target is at least 0.85). The
1-worker figure is the in-process run, the fastest one core can do, timed
once per session by the ``one_worker`` fixture and by its own benchmark.
Every run includes its start-up: the pool's workers, or the Dask tasks.

Run: ``pytest benchmarks/test_bench_scale.py --benchmark-only -n 0``. Under
``--benchmark-disable`` (CI), each runs once on a few replications, untimed.
"""

from __future__ import annotations

import time

import pytest
from throughput import record

import riskmc

REPS = 1000  # about 12 s on one core of the reference machine
ROUNDS = 3
SEED = 3


def _size(benchmark) -> int:
    return 16 if benchmark.disabled else REPS


@pytest.fixture(scope="module")
def scenario():
    s = riskmc.default_scenario()
    riskmc.simulate(s, 2, seed=SEED, workers=1)  # kernels compiled and cached
    return s


@pytest.fixture(scope="module")
def one_worker(scenario):
    """Replications per second of one worker (in this process), best of two."""
    best = 0.0
    for _ in range(2):
        t0 = time.perf_counter()
        riskmc.simulate(scenario, REPS, seed=SEED, workers=1)
        best = max(best, REPS / (time.perf_counter() - t0))
    return best


def _efficiency(benchmark, one_worker: float, workers: int) -> None:
    stats = getattr(benchmark, "stats", None)
    if stats is None:
        return
    rate = REPS / stats.stats.min
    benchmark.extra_info["one_worker_replications_per_s"] = one_worker
    benchmark.extra_info["efficiency"] = rate / (workers * one_worker)


def test_scale_one_worker(benchmark, scenario):
    benchmark.group = "scale"
    n = _size(benchmark)
    r = benchmark.pedantic(
        riskmc.simulate, (scenario, n), {"seed": SEED, "workers": 1}, rounds=ROUNDS
    )
    record(benchmark, replications=n)
    assert r.n_replications == n


def test_scale_local_pool_two_workers(benchmark, scenario, request):
    benchmark.group = "scale"
    n = _size(benchmark)
    r = benchmark.pedantic(
        riskmc.simulate, (scenario, n), {"seed": SEED, "workers": 2}, rounds=ROUNDS
    )
    record(benchmark, replications=n)
    if not benchmark.disabled:
        _efficiency(benchmark, request.getfixturevalue("one_worker"), 2)
    assert r.n_replications == n


def test_scale_dask_two_workers(benchmark, scenario, request):
    distributed = pytest.importorskip("distributed")
    benchmark.group = "scale"
    n = _size(benchmark)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        # the workers build their model and load the kernels before the timing
        riskmc.simulate(scenario, 4, seed=SEED, client=client, chunk_size=1)
        r = benchmark.pedantic(
            riskmc.simulate, (scenario, n), {"seed": SEED, "client": client}, rounds=ROUNDS
        )
    record(benchmark, replications=n)
    if not benchmark.disabled:
        _efficiency(benchmark, request.getfixturevalue("one_worker"), 2)
    assert r.n_replications == n
