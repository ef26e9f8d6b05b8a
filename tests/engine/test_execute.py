"""Local execution: chunk plans, the process pool, precision stopping, progress."""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
import time
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import riskmc
from riskmc.analysis import summarize
from riskmc.engine.checkpoint import ExecutionError, covered
from riskmc.engine.execute import POOL_RESTARTS, LocalPool, plan_chunks
from riskmc.engine.precision import next_target, p90_errors, precision_reached
from riskmc.scenario import shipped_scenarios


@pytest.fixture(scope="module")
def tiny():
    return riskmc.load_scenario(shipped_scenarios()["tiny.yaml"])


@pytest.fixture(scope="module")
def reference(tiny):
    """1,100 replications in this process, in chunks of 1,000."""
    return riskmc.simulate(tiny, 1100, seed=11, workers=1, chunk_size=1000).outcomes


# -- chunk plans -----------------------------------------------------------------------------


@given(
    stop=st.integers(0, 400),
    size=st.integers(1, 60),
    cuts=st.lists(st.integers(0, 450), max_size=12),
)
def test_plan_covers_exactly_what_is_not_done(stop, size, cuts):
    # "done" ranges: disjoint pieces between sorted cut points, every other one
    points = sorted(set(cuts))
    done = list(zip(points[::2], points[1::2], strict=False))
    chunks = plan_chunks(stop, size, done=done)
    assert all(0 < b - a <= size for a, b in chunks)
    wanted = set(range(stop)) - {r for a, b in done for r in range(a, b)}
    got = [r for a, b in chunks for r in range(a, b)]
    assert len(got) == len(set(got))  # nothing twice
    assert set(got) == wanted  # nothing missing, nothing done again
    assert chunks == sorted(chunks)


def test_plan_of_nothing_done_is_regular():
    assert plan_chunks(1000, 256) == [(0, 256), (256, 512), (512, 768), (768, 1000)]
    assert plan_chunks(0, 10) == []
    assert covered([(256, 512), (0, 256), (600, 700)]) == [(0, 512), (600, 700)]


# -- bit-identical outcomes ----------------------------------------------------------------


def test_two_workers_and_chunks_of_100_give_the_same_outcomes(tiny, reference):
    pooled = riskmc.simulate(tiny, 1100, seed=11, workers=2, chunk_size=100).outcomes
    pd.testing.assert_frame_equal(pooled, reference, check_exact=True)
    assert list(pooled["replication"].unique()) == list(range(1100))


def test_one_worker_equals_two_at_the_same_chunk_size(tiny, reference):
    one = riskmc.simulate(tiny, 300, seed=11, workers=1, chunk_size=100).outcomes
    two = riskmc.simulate(tiny, 300, seed=11, workers=2, chunk_size=100).outcomes
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    pd.testing.assert_frame_equal(one, reference.iloc[: len(one)], check_exact=True)


def test_another_seed_gives_other_outcomes(tiny, reference):
    other = riskmc.simulate(tiny, 50, seed=12, workers=1).outcomes
    assert not other["delay_days"].equals(reference["delay_days"].iloc[:50])


# -- progress ------------------------------------------------------------------------------


def test_progress_counts_every_replication_once(tiny):
    calls: list[tuple[int, int]] = []
    riskmc.simulate(
        tiny, 130, seed=2, workers=2, chunk_size=20, progress=lambda d, t: calls.append((d, t))
    )
    done = [d for d, _ in calls]
    assert calls[0] == (0, 130)
    assert calls[-1] == (130, 130)
    assert done == sorted(done)  # never goes back
    assert len(calls) == 1 + 7  # once before the work, once per chunk


# -- precision -----------------------------------------------------------------------------


def test_p90_standard_error_matches_the_asymptotic_formula():
    # Exp(1): P90 = ln 10, density there 0.1, so se = sqrt(0.9 x 0.1 / n) / 0.1 = 3 / sqrt(n)
    n = 40_000
    x = np.random.default_rng(5).exponential(size=n)
    s = summarize(pd.DataFrame({"project": "A", "m": x}), ["m"])
    p90 = p90_errors(s).iloc[0]
    assert p90["value"] == pytest.approx(math.log(10), rel=0.02)
    assert p90["se"] == pytest.approx(3 / math.sqrt(n), rel=0.15)
    assert p90["relative_se"] == pytest.approx(3 / math.sqrt(n) / math.log(10), rel=0.15)


def test_precision_rule_edge_cases():
    s = pd.DataFrame(
        {
            "statistic": ["P90", "P90", "P90", "mean"],
            "value": [0.0, 10.0, np.nan, 5.0],
            "se": [0.0, 0.05, np.nan, 99.0],
            "n": [1000, 1000, 1000, 1000],
        }
    )
    # a P90 of 0 known exactly passes, an undefined one is left out, means do not count
    assert precision_reached(s, 0.01)
    assert not precision_reached(s, 0.004)
    # a P90 of 0 with some spread never passes; too few replications never pass
    assert not precision_reached(s.assign(se=[0.1, 0.05, np.nan, 0.0]), 0.5)
    assert not precision_reached(s.assign(n=50), 0.5)
    assert next_target(1000, s, 0.004, cap=10**6) == 1800  # (1.25)^2 x 1.1 = 1.72 -> 1800
    assert next_target(1000, s, 0.004, cap=1500) == 1500


def test_precision_stops_as_soon_as_every_p90_is_precise(tiny):
    calls: list[tuple[int, int]] = []
    r = riskmc.simulate(
        tiny, 100, seed=4, workers=1, precision=0.05, progress=lambda d, t: calls.append((d, t))
    )
    n = r.n_replications
    assert precision_reached(r.summary(), 0.05)
    totals = sorted({t for _, t in calls})
    assert totals[0] == 100
    assert totals[-1] == n
    assert len(totals) > 1  # 100 replications were not enough: batches were added
    # the batch before the last one was not precise enough
    before = r.outcomes[r.outcomes["replication"] < totals[-2]]
    assert not precision_reached(summarize(before, riskmc.engine.METRICS), 0.05)
    # the replications used do not depend on the chunk size or the workers
    again = riskmc.simulate(tiny, 100, seed=4, workers=2, chunk_size=37, precision=0.05)
    pd.testing.assert_frame_equal(again.outcomes, r.outcomes, check_exact=True)


def test_precision_stops_at_the_cap(tiny):
    r = riskmc.simulate(tiny, 100, seed=4, workers=1, precision=1e-4, max_replications=250)
    assert r.n_replications == 250
    assert not precision_reached(r.summary(), 1e-4)


# -- bad settings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"precision": 0}, "precision: must be a fraction between 0 and 1"),
        ({"precision": -0.1}, "precision: must be a fraction between 0 and 1"),
        ({"precision": 1.5}, "precision: must be a fraction between 0 and 1"),
        ({"precision": 0.01, "max_replications": 5}, "max_replications: must be an integer >= 10"),
        ({"workers": 0}, "workers: must be an integer >= 1"),
        ({"chunk_size": 0}, "chunk_size: must be an integer >= 1"),
        ({"resume": True}, "resume: needs out="),
        ({"backend": "spark"}, "backend: must be 'local' or 'dask'"),
        ({"backend": "dask"}, "needs address="),
        ({"backend": "local", "address": "tcp://x:1"}, "are for backend 'dask'"),
    ],
)
def test_bad_settings_are_named(tiny, kwargs, message):
    with pytest.raises(ExecutionError, match=message):
        riskmc.simulate(tiny, 10, seed=0, **kwargs)


_ORPHAN = """
import os, signal, threading, time
from riskmc.engine.execute import LocalPool
from riskmc.scenario import load_scenario, shipped_scenarios

if __name__ == "__main__":
    # another thread alive (as in Jupyter or with a Dask client): workers fork from a server
    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
    pool = LocalPool(load_scenario(shipped_scenarios()["tiny.yaml"]), 2)
    for _ in pool.run([(0, 2), (2, 4)], 1):
        pass
    print(pool._ctx.get_start_method(), *pool._pool._processes, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_workers_started_from_a_server_end_with_their_parent(tmp_path):
    import contextlib
    import subprocess
    import sys

    import psutil

    script = tmp_path / "orphan.py"
    script.write_text(_ORPHAN)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == -9, done.stderr
    method, *pids = done.stdout.split()
    assert method == "forkserver"
    assert len(pids) == 2
    workers = []
    for pid in map(int, pids):
        with contextlib.suppress(psutil.NoSuchProcess):  # gone already
            workers.append(psutil.Process(pid))
    _, alive = psutil.wait_procs(workers, timeout=30)
    for p in alive:
        p.kill()
    assert not alive  # none left waiting for work


def test_simulate_takes_the_path_of_a_scenario(tiny):
    path = shipped_scenarios()["tiny.yaml"]
    expected = riskmc.simulate(tiny, 5, seed=1, workers=1).outcomes
    for named in (path, str(path)):
        r = riskmc.simulate(named, 5, seed=1, workers=1)
        pd.testing.assert_frame_equal(r.outcomes, expected, check_exact=True)
        assert r.scenario == tiny


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scenario": 5}, "scenario: must be a Scenario or the path of a scenario file, got int"),
        ({"client": "x"}, "client: must be a distributed.Client, got str"),
        ({"progress": 5}, r"progress: must be callable as progress\(done, total\), got int"),
    ],
)
def test_simulate_names_an_argument_of_the_wrong_type(tiny, kwargs, message):
    args = {"scenario": tiny, **kwargs}
    with pytest.raises(TypeError, match=f"^{message}$"):
        riskmc.simulate(replications=5, seed=1, workers=1, **args)


def test_a_pool_whose_workers_keep_dying_stops_and_leaves_no_thread(tiny):
    """The third broken pool raises; terminate() then ends every thread the pools started.

    A pool thread still closing its pipes when Python exits made the CLI end with
    "OSError: [Errno 9] Bad file descriptor" from concurrent.futures' exit hook.
    """
    pool = LocalPool(tiny, 2)
    before = set(threading.enumerate())
    stop = threading.Event()

    def kill_workers() -> None:  # as the out-of-memory killer would, pool after pool
        while not stop.is_set():
            for pid in list(pool._pool._processes or {}):  # the pool's own table
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.002)

    killer = threading.Thread(target=kill_workers)
    killer.start()
    try:
        with pytest.raises(BrokenProcessPool):
            for _ in pool.run([(i, i + 1) for i in range(100_000)], 1):
                pass
    finally:
        stop.set()
        killer.join()
        pool.terminate()
    assert pool.restarts == POOL_RESTARTS
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert left == [], [(t.name, type(t).__name__) for t in left]
