"""The Dask backend on a real LocalCluster (two worker processes on loopback)."""

from __future__ import annotations

import importlib
import os
import signal
import time

import pandas as pd
import pytest

import riskmc
from riskmc.engine.checkpoint import ExecutionError, read_manifest
from riskmc.engine.execute import connect
from riskmc.scenario import shipped_scenarios

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as c:
        yield c


@pytest.fixture
def client(cluster):
    with distributed.Client(cluster) as cl:
        cl.wait_for_workers(2, timeout=60)
        yield cl


@pytest.fixture(scope="module")
def tiny():
    return riskmc.load_scenario(shipped_scenarios()["tiny.yaml"])


@pytest.fixture(scope="module")
def reference(tiny):
    return riskmc.simulate(tiny, 240, seed=31, workers=1).outcomes


def test_dask_client_gives_the_local_outcomes(tiny, reference, client):
    r = riskmc.simulate(tiny, 240, seed=31, client=client, chunk_size=40)
    pd.testing.assert_frame_equal(r.outcomes, reference, check_exact=True)
    # the chunks ran on the workers, which keep their model for the next run
    models = client.run(lambda: len(importlib.import_module("riskmc.engine.execute")._dask_models))
    assert 1 <= sum(models.values()) <= 2
    assert max(models.values()) == 1  # one model per scenario and worker, not per chunk
    assert not client.futures  # every result was released


def test_dask_address_with_checkpoints(tiny, reference, cluster, tmp_path):
    out = tmp_path / "run"
    r = riskmc.simulate(
        tiny, 240, seed=31, backend="dask", address=cluster.scheduler_address, out=out
    )
    pd.testing.assert_frame_equal(r.outcomes, reference, check_exact=True)
    assert read_manifest(out).complete


def test_unreachable_scheduler_is_one_line(tiny, tmp_path):
    with pytest.raises(ExecutionError, match=r"dask address 'tcp://127\.0\.0\.1:9': no Dask"):
        connect("tcp://127.0.0.1:9", timeout=1)
    with pytest.raises(ExecutionError, match="dask address 'nonsense://x'"):
        riskmc.simulate(tiny, 5, address="nonsense://x", out=tmp_path / "run")
    assert not (tmp_path / "run").exists()  # no run folder to --resume by mistake


def test_a_killed_worker_changes_nothing(tiny, reference, client):
    pids = client.run(os.getpid)
    victim = next(iter(pids.values()))
    killed = []

    def kill_once(done, total):
        if done > 0 and not killed:  # one chunk is back; the others are running
            os.kill(victim, signal.SIGKILL)
            killed.append(time.monotonic())

    r = riskmc.simulate(tiny, 240, seed=31, client=client, chunk_size=20, progress=kill_once)
    # Ending the run restarted the profilers of the workers still there only: a call to
    # the dead worker's address would have waited out distributed's 30 s connect timeout.
    assert time.monotonic() - killed[0] < 20
    pd.testing.assert_frame_equal(r.outcomes, reference, check_exact=True)
    assert killed
    client.wait_for_workers(2, timeout=60)  # the nanny starts a new worker
    assert victim not in client.run(os.getpid).values()


def test_cli_run_on_dask(tiny, reference, cluster, tmp_path):
    from typer.testing import CliRunner

    from riskmc.cli import app

    out = tmp_path / "run"
    args = ["run", str(shipped_scenarios()["tiny.yaml"]), "-n", "240", "--seed", "31"]
    result = CliRunner().invoke(
        app, [*args, "--dask", cluster.scheduler_address, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "240 replications (seed 31)" in result.stdout
    saved = riskmc.SimulationResult.from_parquet(out)
    pd.testing.assert_frame_equal(saved.outcomes, reference, check_exact=True)


def _profiling(client) -> list[bool]:
    def running(dask_worker) -> bool:
        return bool(dask_worker.periodic_callbacks["profile"].is_running())

    return list(client.run(running).values())


def test_the_workers_profiler_is_paused_during_a_run_and_restarted(tiny, client):
    from riskmc.engine.execute import DaskBackend

    assert _profiling(client) == [True, True]  # distributed's default
    backend = DaskBackend(tiny, client=client)
    chunks = backend.run([(0, 4), (4, 8), (8, 12)], seed=2)
    first = next(chunks)
    assert first[2]["replication"].min() >= 0
    assert _profiling(client) == [False, False]
    rest = list(chunks)
    assert len(rest) == 2
    backend.close()
    assert _profiling(client) == [True, True]
    # a profiler someone else stopped stays stopped
    client.run(lambda dask_worker: dask_worker.periodic_callbacks["profile"].stop())
    riskmc.simulate(tiny, 8, seed=2, client=client, chunk_size=4)
    assert _profiling(client) == [False, False]
    client.run(lambda dask_worker: dask_worker.periodic_callbacks["profile"].start())


def test_closing_after_the_cluster_is_gone_neither_raises_nor_waits(tiny, cluster):
    from riskmc.engine.execute import DaskBackend

    backend = DaskBackend(tiny, address=cluster.scheduler_address)
    list(backend.run([(0, 2)], seed=1))
    assert backend._profiled  # stopped on the workers
    backend.client.close()  # as if the scheduler were lost: the client is no longer running
    backend.close()  # restarting the profilers is skipped, and the client stays closed
    assert backend.client.status == "closed"
    with distributed.Client(cluster) as other:  # let the module's workers profile again
        other.run(lambda dask_worker: dask_worker.periodic_callbacks["profile"].start())
