"""``riskmc run`` at scale: killed part-way and resumed, precision, progress, bad settings."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from typer.testing import CliRunner

import riskmc
from riskmc.cli import app
from riskmc.engine import SimulationResult
from riskmc.engine.checkpoint import read_manifest
from riskmc.scenario import shipped_scenarios

runner = CliRunner()
TINY = str(shipped_scenarios()["tiny.yaml"])
SCRIPT = Path(sys.executable).parent / "riskmc"
N, SEED = 1000, 5


@pytest.fixture(scope="module")
def reference():
    return riskmc.simulate(riskmc.load_scenario(TINY), N, seed=SEED, workers=1).outcomes


def _chunks_done(out: Path) -> int:
    try:
        return len(json.loads((out / "manifest.json").read_text())["done"])
    except (OSError, ValueError):  # not written yet
        return 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_killed_run_resumes_to_the_uninterrupted_outcomes(tmp_path, reference, sig):
    out = tmp_path / "run"
    cmd = [str(SCRIPT), "run", TINY, "-n", str(N), "--seed", str(SEED), "--workers", "2"]
    proc = subprocess.Popen(
        [*cmd, "--chunk-size", "20", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as in a terminal
    )
    deadline = time.monotonic() + 120
    while _chunks_done(out) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    # Ctrl-C in a terminal, or kill -9, reaches the CLI and its worker processes
    os.killpg(proc.pid, sig)
    _, stderr = proc.communicate(timeout=60)
    if sig == signal.SIGINT:
        assert proc.returncode == 130, stderr
        assert stderr.strip().splitlines()[-1].startswith("interrupted: "), stderr
        assert f"riskmc run --out {out} --resume" in stderr
        assert "Traceback" not in stderr
    else:
        assert proc.returncode == -signal.SIGKILL, stderr
    assert not _left_in_group(proc.pid)  # no orphans left
    m = read_manifest(out)
    assert m is not None
    assert not m.complete, stderr
    assert 3 <= len(m.done) < N // 20, stderr
    assert not (out / "outcomes.parquet").exists()

    again = _resume(out)
    assert again.returncode == 0, again.stderr
    assert f"{N} replications (seed {SEED})" in again.stdout
    result = SimulationResult.from_parquet(out)
    pd.testing.assert_frame_equal(result.outcomes, reference, check_exact=True)
    reps = [i for a, b in read_manifest(out).done for i in range(a, b)]
    assert sorted(reps) == list(range(N))  # none missing, none twice
    assert not [p.name for p in out.rglob("*.tmp")]  # no partial file


def _left_in_group(pgid: int, wait: float = 10.0) -> list[psutil.Process]:
    """Processes of the group still alive after ``wait`` seconds at most.

    A process killed with its group takes a moment to exit (more on a loaded machine); an
    orphan never does.
    """
    deadline = time.monotonic() + wait
    while True:
        left = [p for p in psutil.process_iter() if _in_group(p, pgid)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def _in_group(p: psutil.Process, pgid: int) -> bool:
    try:
        return os.getpgid(p.pid) == pgid and p.status() != psutil.STATUS_ZOMBIE
    except (ProcessLookupError, psutil.Error):
        return False


def test_precision_run_reports_the_replications_used(tmp_path):
    result = runner.invoke(app, ["run", TINY, "-n", "100", "--precision", "0.05", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "Precision 0.05: reached" in result.stdout
    used = int(result.stdout.split(" replications (seed 0)")[0].split()[-1])
    assert used > 100
    assert "rep/s" in result.stderr
    assert "ETA" in result.stderr


def test_run_with_out_saves_the_result(tmp_path):
    out = tmp_path / "res"
    result = runner.invoke(app, ["run", TINY, "-n", "30", "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Outcomes saved in {out / 'outcomes.parquet'}" in result.stdout
    saved = SimulationResult.from_parquet(out)
    assert saved.n_replications == 30


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--precision", "0"], "error: precision: must be a fraction between 0 and 1"),
        (["--precision", "-0.5"], "error: precision: must be a fraction between 0 and 1"),
        (["--resume"], "error: --resume: needs --out DIR"),
        (["--workers", "0"], "error: workers: must be an integer >= 1"),
        (["--chunk-size", "0"], "error: chunk_size: must be an integer >= 1"),
        (["--dask", "nonsense://x"], "error: dask address 'nonsense://x'"),
    ],
)
def test_bad_settings_exit_2_with_one_line(args, message):
    result = runner.invoke(app, ["run", TINY, "-n", "5", *args])
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""  # refused before any work or output
    assert "Traceback" not in result.output


def test_an_out_folder_that_cannot_be_made_is_one_line_before_any_work(tmp_path):
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    plots = tmp_path / "pl"
    plots.mkdir()
    (plots / "plots").write_text("x")
    for out, rule in [
        (a_file / "sub", f"out: {a_file / 'sub'}: cannot be written (Not a directory)"),
        (Path("/proc/nope"), "out: /proc/nope: cannot be written (No such file or directory)"),
        (plots, f"out: {plots / 'plots'} is a file, not the folder of the plots"),
    ]:
        result = runner.invoke(app, ["run", TINY, "-n", "5", "--workers", "1", "--out", str(out)])
        assert result.exit_code == 2, result.output
        assert result.stderr == f"error: {rule}\n"
        assert result.stdout == ""  # refused before any work
    assert list(plots.iterdir()) == [plots / "plots"]


def test_resume_refusals_name_the_rule(tmp_path):
    out = tmp_path / "run"
    first = runner.invoke(app, ["run", TINY, "-n", "5", "--workers", "1", "--out", str(out)])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["run", TINY, "-n", "5", "--out", str(out)])
    assert again.exit_code == 2
    assert "already holds a run (manifest.json); pass resume (--resume)" in again.stderr
    seed = runner.invoke(app, ["run", "--out", str(out), "--resume", "--seed", "9"])
    assert seed.exit_code == 2
    assert "is for seed 0, not 9: the seed must be the one of the run" in seed.stderr
    # without a scenario file, the run's own scenario is used, not the default
    own = runner.invoke(app, ["run", "--out", str(out), "--resume"])
    assert own.exit_code == 0, own.output
    assert "5 replications (seed 0)" in own.stdout
    default = runner.invoke(
        app, ["run", str(shipped_scenarios()["balochistan.yaml"]), "--out", str(out), "--resume"]
    )
    assert default.exit_code == 2
    assert "the scenario must be the one of the run" in default.stderr
    empty = runner.invoke(app, ["run", "--out", str(tmp_path / "none"), "--resume"])
    assert empty.exit_code == 2
    assert "holds no run to finish (no manifest.json)" in empty.stderr


def _start_run(out: Path) -> tuple[subprocess.Popen[str], float]:
    """The tiny run on 2 workers into ``out``, once 2 chunks are saved; and a deadline."""
    cmd = [str(SCRIPT), "run", TINY, "-n", str(N), "--seed", str(SEED), "--workers", "2"]
    proc = subprocess.Popen(
        [*cmd, "--chunk-size", "20", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while _chunks_done(out) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    return proc, deadline


def _resume(out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "run", "--out", str(out), "--resume"], capture_output=True, text=True
    )


def _workers(proc: subprocess.Popen[str]) -> list[psutil.Process]:
    try:
        return psutil.Process(proc.pid).children()
    except psutil.NoSuchProcess:
        return []


def test_a_killed_pool_worker_is_replaced_and_changes_nothing(tmp_path, reference):
    out = tmp_path / "run"
    proc, _ = _start_run(out)
    workers = _workers(proc)
    assert len(workers) == 2
    workers[0].kill()  # as the kernel's out-of-memory killer would
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    result = SimulationResult.from_parquet(out)
    pd.testing.assert_frame_equal(result.outcomes, reference, check_exact=True)
    assert not _left_in_group(proc.pid)


def test_workers_that_keep_dying_end_the_run_cleanly_and_resume_finishes_it(tmp_path, reference):
    out = tmp_path / "run"
    proc, deadline = _start_run(out)
    killed: set[int] = set()
    while proc.poll() is None and time.monotonic() < deadline:
        for w in _workers(proc):
            if w.pid not in killed:  # every new pool's workers too, until the run gives up
                killed.add(w.pid)
                w.kill()
        time.sleep(0.01)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1, stderr
    assert len(killed) > 2, stderr  # the first pool's workers and those of a new pool
    assert stderr.strip().splitlines()[-1].startswith("error: a worker process died"), stderr
    assert "Traceback" not in stderr
    assert not _left_in_group(proc.pid)
    again = _resume(out)
    assert again.returncode == 0, again.stderr
    result = SimulationResult.from_parquet(out)
    pd.testing.assert_frame_equal(result.outcomes, reference, check_exact=True)


def test_the_workers_of_a_killed_run_end_with_it_and_free_its_folder(tmp_path, reference):
    out = tmp_path / "run"
    proc, _ = _start_run(out)
    workers = _workers(proc)
    assert len(workers) == 2
    proc.kill()  # the main process only, not its process group
    proc.wait(timeout=60)  # (not communicate: a live worker would hold the output pipes)
    _, alive = psutil.wait_procs(workers, timeout=30)
    assert not alive, alive  # no orphan left waiting for work
    again = _resume(out)
    assert again.returncode == 0, again.stderr
    result = SimulationResult.from_parquet(out)
    pd.testing.assert_frame_equal(result.outcomes, reference, check_exact=True)
