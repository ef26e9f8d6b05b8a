"""Run folders: saved results round-trip exactly, interrupted runs resume exactly."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import riskmc
from riskmc.engine import SimulationResult
from riskmc.engine.checkpoint import ExecutionError, atomic_write, read_manifest
from riskmc.scenario import scenario_from_dict, shipped_scenarios


@pytest.fixture(scope="module")
def tiny():
    return riskmc.load_scenario(shipped_scenarios()["tiny.yaml"])


@pytest.fixture(scope="module")
def reference(tiny):
    return riskmc.simulate(tiny, 200, seed=21, workers=1).outcomes


def _leftovers(folder):
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".tmp"))


def test_to_parquet_round_trip_is_exact(tiny, tmp_path):
    r = riskmc.simulate(tiny, 25, seed=3, workers=1)
    back = SimulationResult.from_parquet(r.to_parquet(tmp_path / "res"))
    pd.testing.assert_frame_equal(back.outcomes, r.outcomes, check_exact=True)
    assert back.outcomes.dtypes.equals(r.outcomes.dtypes)
    assert back.scenario == r.scenario
    assert back.scenario.fingerprint() == r.scenario.fingerprint()
    assert back.seed == 3
    pd.testing.assert_frame_equal(back.summary(), r.summary(), check_exact=True)
    assert _leftovers(tmp_path) == []


def test_round_trip_of_the_default_scenario_and_of_no_rows(tmp_path):
    s = riskmc.default_scenario()
    r = riskmc.simulate(s, 2, seed=8, workers=1)
    back = SimulationResult.from_parquet(r.to_parquet(tmp_path / "a"))
    pd.testing.assert_frame_equal(back.outcomes, r.outcomes, check_exact=True)
    assert back.scenario == s
    empty = SimulationResult(s, 8, r.outcomes.iloc[:0])
    again = SimulationResult.from_parquet(empty.to_parquet(tmp_path / "b"))
    pd.testing.assert_frame_equal(again.outcomes, empty.outcomes, check_exact=True)


def test_edited_scenario_file_is_refused(tiny, tmp_path):
    folder = riskmc.simulate(tiny, 3, seed=3, workers=1).to_parquet(tmp_path)
    doc = json.loads((folder / "scenario.json").read_text())
    doc["districts"][0]["attacks_per_year"] = 99
    (folder / "scenario.json").write_text(json.dumps(doc))
    with pytest.raises(ExecutionError, match=r"scenario\.json: the scenario's fingerprint"):
        SimulationResult.from_parquet(folder)


def test_atomic_write_leaves_the_old_file_or_the_new_one(tmp_path):
    target = tmp_path / "f.bin"
    atomic_write(target, lambda f: f.write(b"old"))

    def fails(f):
        f.write(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, fails)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_a_run_folder_holds_the_chunks_and_the_result(tiny, reference, tmp_path):
    out = tmp_path / "run"
    r = riskmc.simulate(tiny, 200, seed=21, workers=1, chunk_size=64, out=out)
    pd.testing.assert_frame_equal(r.outcomes, reference, check_exact=True)
    m = read_manifest(out)
    assert m is not None
    assert m.complete
    assert (m.scenario, m.seed, m.replications) == (tiny.fingerprint(), 21, 200)
    assert sorted(m.done) == [(0, 64), (64, 128), (128, 192), (192, 200)]
    assert len(list((out / "chunks").iterdir())) == 4
    back = SimulationResult.from_parquet(out)
    pd.testing.assert_frame_equal(back.outcomes, reference, check_exact=True)
    # a finished run cannot be overwritten by accident
    with pytest.raises(ExecutionError, match="already holds a run"):
        riskmc.simulate(tiny, 200, seed=21, workers=1, out=out)


def _interrupt_after(chunks):
    seen = []

    def progress(done, total):
        seen.append(done)
        if len(seen) > chunks:  # the first call is before any chunk
            raise KeyboardInterrupt

    return progress


@pytest.mark.parametrize("workers", [1, 2])
def test_interrupted_run_resumes_to_the_same_outcomes(tiny, reference, tmp_path, workers):
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        riskmc.simulate(
            tiny, 200, seed=21, workers=workers, chunk_size=30, out=out,
            progress=_interrupt_after(2),
        )  # fmt: skip
    m = read_manifest(out)
    assert m is not None
    assert not m.complete
    assert 2 <= len(m.done) < 7
    assert not (out / "outcomes.parquet").exists()
    # resume with another chunk size: the remaining gaps are cut differently
    calls = []
    r = riskmc.simulate(
        tiny, 200, seed=21, workers=workers, chunk_size=45, out=out, resume=True,
        progress=lambda d, t: calls.append(d),
    )  # fmt: skip
    pd.testing.assert_frame_equal(r.outcomes, reference, check_exact=True)
    assert calls[0] == sum(b - a for a, b in m.done)  # the saved chunks are not run again
    done = read_manifest(out).done
    reps = [i for a, b in done for i in range(a, b)]
    assert sorted(reps) == list(range(200))  # none missing, none twice
    assert _leftovers(out) == []


def test_resume_clears_what_a_killed_run_leaves(tiny, reference, tmp_path):
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        riskmc.simulate(tiny, 200, seed=21, workers=1, chunk_size=50, out=out,
                        progress=_interrupt_after(1))  # fmt: skip
    # what SIGKILL can leave: a temporary file, and a chunk written but not yet listed
    (out / ".manifest.json.123.ab.tmp").write_text("{")
    (out / "chunks" / ".000000000050-000000000100.parquet.9.cd.tmp").write_bytes(b"PAR")
    reference.iloc[:0].to_parquet(out / "chunks" / "000000000050-000000000100.parquet")
    r = riskmc.simulate(tiny, 200, seed=21, workers=1, chunk_size=50, out=out, resume=True)
    pd.testing.assert_frame_equal(r.outcomes, reference, check_exact=True)
    assert _leftovers(out) == []
    assert len(list((out / "chunks").iterdir())) == 4


@pytest.mark.parametrize("damage", ["copied", "truncated", "no_replication"])
def test_resume_runs_again_a_chunk_that_is_damaged_or_not_its_range(
    tiny, reference, tmp_path, damage
):
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        riskmc.simulate(tiny, 200, seed=21, workers=1, chunk_size=50, out=out,
                        progress=_interrupt_after(2))  # fmt: skip
    first, second = (
        out / "chunks" / f"{a:012d}-{b:012d}.parquet" for a, b in read_manifest(out).done
    )
    if damage == "copied":
        second.write_bytes(first.read_bytes())
    elif damage == "truncated":
        second.write_bytes(second.read_bytes()[:100])
    else:
        pd.read_parquet(second).drop(columns="replication").to_parquet(second)
    r = riskmc.simulate(tiny, 200, seed=21, workers=1, chunk_size=50, out=out, resume=True)
    pd.testing.assert_frame_equal(r.outcomes, reference, check_exact=True)
    done = read_manifest(out).done
    assert sorted(i for a, b in done for i in range(a, b)) == list(range(200))
    assert _leftovers(out) == []


def test_resume_can_ask_for_more_replications_never_fewer(tiny, reference, tmp_path):
    out = tmp_path / "run"
    riskmc.simulate(tiny, 120, seed=21, workers=1, chunk_size=50, out=out)
    more = riskmc.simulate(tiny, 200, seed=21, workers=1, chunk_size=50, out=out, resume=True)
    pd.testing.assert_frame_equal(more.outcomes, reference, check_exact=True)
    # fewer would replace the saved outcomes of 200 replications by 75: refused, untouched
    saved = {f: f.read_bytes() for f in out.rglob("*") if f.is_file()}
    with pytest.raises(ExecutionError, match="has 200 replications; 75 would shrink it"):
        riskmc.simulate(tiny, 75, seed=21, workers=1, out=out, resume=True)
    assert {f: f.read_bytes() for f in out.rglob("*") if f.is_file()} == saved


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"precision": 0.9, "max_replications": 20}, "max_replications=20 would shrink it"),
        ({}, "replications=10 would shrink it"),
    ],
)
def test_resume_never_shrinks_a_finished_run_through_precision(tiny, tmp_path, settings, message):
    """Issue 24: the cap of a precision run is a number of replications too. A finished
    run of 40 (or a precision run that ended at 60) resumed with a lower cap would replace
    its outcomes by fewer; refused, the folder unchanged. (Found by hand: both shrank.)"""
    out = tmp_path / "run"
    if settings:
        riskmc.simulate(tiny, 40, seed=21, workers=1, chunk_size=10, out=out)
    else:
        riskmc.simulate(tiny, 20, seed=21, workers=1, chunk_size=10, out=out,
                        precision=1e-9, max_replications=60)  # fmt: skip
        assert read_manifest(out).done[-1][1] == 60
    before = _files(out)
    with pytest.raises(ExecutionError, match=message):
        riskmc.simulate(tiny, 10, seed=21, workers=1, out=out, resume=True, **settings)
    assert _files(out) == before


def test_resume_with_a_looser_precision_keeps_every_saved_replication(tiny, reference, tmp_path):
    """Issue 24: a finished precision run of 200 replications resumed with a looser precision
    stopped at an earlier batch and replaced its outcomes by 100 of them (found by hand). It
    now ends no earlier than the replications saved, which it keeps as they were."""
    out = tmp_path / "run"
    first = riskmc.simulate(tiny, 20, seed=21, workers=1, chunk_size=20, out=out,
                            precision=1e-9, max_replications=200)  # fmt: skip
    assert first.n_replications == 200
    loose = riskmc.simulate(tiny, 20, seed=21, workers=1, chunk_size=20, precision=0.5,
                            max_replications=200)  # fmt: skip
    assert loose.n_replications < 200  # without the saved run, the looser one stops earlier
    again = riskmc.simulate(tiny, 20, seed=21, workers=1, chunk_size=20, out=out, resume=True,
                            precision=0.5, max_replications=200)  # fmt: skip
    assert again.n_replications == 200
    pd.testing.assert_frame_equal(again.outcomes, reference, check_exact=True)
    saved = riskmc.SimulationResult.from_parquet(out).outcomes
    pd.testing.assert_frame_equal(saved, reference, check_exact=True)


def test_resume_refuses_another_seed_or_scenario(tiny, tiny_doc, tmp_path):
    out = tmp_path / "run"
    riskmc.simulate(tiny, 10, seed=21, workers=1, out=out)
    with pytest.raises(ExecutionError, match="is for seed 21, not 22: the seed must be"):
        riskmc.simulate(tiny, 10, seed=22, workers=1, out=out, resume=True)
    tiny_doc["districts"][0]["attacks_per_year"] = 30
    other = scenario_from_dict(tiny_doc)
    with pytest.raises(ExecutionError, match=r"is for scenario .* the scenario must be"):
        riskmc.simulate(other, 10, seed=21, workers=1, out=out, resume=True)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExecutionError, match="is a file, not a folder"):
        riskmc.simulate(tiny, 10, seed=21, workers=1, out=tmp_path / "file")


def test_one_run_at_a_time_writes_a_folder(tiny, reference, tmp_path):
    from riskmc.engine.checkpoint import Manifest, RunFolder

    out = tmp_path / "run"
    manifest = Manifest(scenario=tiny.fingerprint(), seed=21, replications=10)
    first = RunFolder.open(out, tiny, manifest, resume=False)
    # a second run on the folder, even one asking to resume, stops before touching it
    with pytest.raises(ExecutionError, match=r"run is in use by another run \(process \d+\)"):
        riskmc.simulate(tiny, 10, seed=21, workers=1, out=out, resume=True)
    assert read_manifest(out) == first.manifest
    first.close()
    first.close()  # idempotent
    # released: the run can be taken up, and it releases the folder when it ends
    result = riskmc.simulate(tiny, 10, seed=21, workers=1, out=out, resume=True)
    pd.testing.assert_frame_equal(result.outcomes, reference.iloc[:10], check_exact=True)
    riskmc.simulate(tiny, 12, seed=21, workers=1, out=out, resume=True)


def test_a_killed_run_leaves_the_folder_free(tiny, reference, tmp_path):
    import subprocess
    import sys

    out = tmp_path / "run"
    code = (
        "import os, riskmc\n"
        "from riskmc.engine.checkpoint import Manifest, RunFolder\n"
        "from riskmc.scenario import shipped_scenarios\n"
        "s = riskmc.load_scenario(shipped_scenarios()['tiny.yaml'])\n"
        f"RunFolder.open({str(out)!r}, s, Manifest(s.fingerprint(), 21, 10), resume=False)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], check=False)
    assert done.returncode == -9
    assert (out / ".lock").exists()  # the file stays, its lock went with the process
    result = riskmc.simulate(tiny, 10, seed=21, workers=1, out=out, resume=True)
    pd.testing.assert_frame_equal(result.outcomes, reference.iloc[:10], check_exact=True)


def test_a_forked_child_does_not_keep_the_folder_locked(tiny, tmp_path):
    import os
    import signal

    from riskmc.engine.checkpoint import Manifest, RunFolder

    out = tmp_path / "run"
    manifest = Manifest(scenario=tiny.fingerprint(), seed=21, replications=10)
    first = RunFolder.open(out, tiny, manifest, resume=False)
    ready, tell = os.pipe()
    child = os.fork()
    if child == 0:  # a worker that outlives its parent: it just waits
        os.write(tell, b"x")  # after the fork hooks have run
        signal.pause()
        os._exit(0)
    try:
        assert os.read(ready, 1) == b"x"
        # the parent dies without unlocking: its descriptor closes, the child's stays
        assert first._lock is not None
        first._lock.close()
        again = RunFolder.open(out, tiny, manifest, resume=True)
        again.close()
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        os.close(ready)
        os.close(tell)


def test_a_forked_child_keeps_a_descriptor_that_reuses_a_dropped_lock_number(tiny, tmp_path):
    import gc
    import os

    from riskmc.engine.checkpoint import Manifest, RunFolder

    manifest = Manifest(scenario=tiny.fingerprint(), seed=21, replications=10)
    folder = RunFolder.open(tmp_path / "run", tiny, manifest, resume=False)
    del folder  # dropped without close(): its file object closes the descriptor
    gc.collect()
    read, write = os.pipe()  # may take the lock's old number
    os.write(write, b"kept")
    child = os.fork()
    if child == 0:
        os._exit(0 if os.read(read, 4) == b"kept" else 1)
    _, status = os.waitpid(child, 0)
    os.close(read)
    os.close(write)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.parametrize("old", ["riskmc-run/3", "riskmc-run/5"])
def test_a_run_folder_of_an_older_format_is_refused(tiny, tmp_path, old):
    # 5: the last format whose chunks held project as text and first_production as dates
    out = tmp_path / "run"
    riskmc.simulate(tiny, 10, seed=21, workers=1, out=out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["format"] = old
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ExecutionError, match=f"format must be 'riskmc-run/6', not '{old}'") as e:
        riskmc.simulate(tiny, 10, seed=21, workers=1, out=out, resume=True)
    assert "\n" not in str(e.value)


def test_a_result_of_the_earlier_format_is_read_with_todays_types(tmp_path):
    # riskmc-result/1: project as text, first_production as dates or None
    r = riskmc.simulate(riskmc.default_scenario(), 3, seed=2, workers=1)
    folder = r.to_parquet(tmp_path / "r")
    old = r.outcomes.assign(
        project=r.outcomes["project"].astype(object),
        first_production=[None if pd.isna(d) else d.date() for d in r.outcomes["first_production"]],
    )
    old.to_parquet(folder / "outcomes.parquet", index=False)
    meta = json.loads((folder / "result.json").read_text())
    (folder / "result.json").write_text(json.dumps({**meta, "format": "riskmc-result/1"}))
    back = SimulationResult.from_parquet(folder)
    pd.testing.assert_frame_equal(back.outcomes, r.outcomes, check_exact=True)
    assert back.outcomes["project"].cat.categories.tolist() == ["Reko Diq", "Saindak"]


def test_from_parquet_names_a_missing_or_damaged_outcomes_file(tiny, tmp_path):
    folder = riskmc.simulate(tiny, 5, seed=1, workers=1).to_parquet(tmp_path / "r")
    outcomes = folder / "outcomes.parquet"
    data = outcomes.read_bytes()
    for damage, rule in [
        (data[:200], "cannot be read"),
        (b"", "cannot be read"),
        (None, "no such file"),
    ]:
        if damage is None:
            outcomes.unlink()
        else:
            outcomes.write_bytes(damage)
        with pytest.raises(ExecutionError, match=f"^{outcomes}: {rule}") as info:
            SimulationResult.from_parquet(folder)
        assert "\n" not in str(info.value)


def test_to_parquet_refuses_the_folder_of_a_run(tiny, tmp_path):
    out = tmp_path / "run"
    result = riskmc.simulate(tiny, 5, seed=1, workers=1, out=out)
    before = (out / "outcomes.parquet").read_bytes()
    with pytest.raises(ExecutionError, match="already holds a result"):
        riskmc.simulate(tiny, 7, seed=2, workers=1).to_parquet(out)
    assert (out / "outcomes.parquet").read_bytes() == before
    assert result.to_parquet(tmp_path / "elsewhere").is_dir()


def _files(folder):
    return {f: f.read_bytes() for f in folder.rglob("*") if f.is_file()}


def test_resume_refuses_a_chunk_of_another_run_under_a_listed_name(tiny, tmp_path):
    """Issue 24: runs are never mixed. A chunk of seed 22, copied over a chunk that the
    seed-21 run lists, is refused before anything in the folder changes."""
    other, out = tmp_path / "other", tmp_path / "run"
    riskmc.simulate(tiny, 100, seed=22, workers=1, chunk_size=50, out=other)
    with pytest.raises(KeyboardInterrupt):
        riskmc.simulate(tiny, 200, seed=21, workers=1, chunk_size=50, out=out,
                        progress=_interrupt_after(2))  # fmt: skip
    a, b = read_manifest(out).done[0]
    name = f"{a:012d}-{b:012d}.parquet"
    (out / "chunks" / name).write_bytes((other / "chunks" / name).read_bytes())
    before = _files(out)
    with pytest.raises(ExecutionError, match=f"{name} is not a chunk of this run"):
        riskmc.simulate(tiny, 200, seed=21, workers=1, chunk_size=50, out=out, resume=True)
    assert _files(out) == before  # the refused resume changed nothing


@pytest.mark.parametrize(
    ("field", "value"), [("seed", 5), ("replications", 10_000), ("done", [[0, 200]])]
)
def test_a_manifest_edited_by_hand_is_refused(tiny, tmp_path, field, value):
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        riskmc.simulate(tiny, 200, seed=21, workers=1, chunk_size=50, out=out,
                        progress=_interrupt_after(1))  # fmt: skip
    doc = json.loads((out / "manifest.json").read_text())
    doc[field] = value
    (out / "manifest.json").write_text(json.dumps(doc))
    before = _files(out)
    with pytest.raises(ExecutionError, match="digest: does not match the manifest's content"):
        riskmc.simulate(tiny, 200, seed=doc["seed"], workers=1, out=out, resume=True)
    assert _files(out) == before


def test_after_runs_while_the_folder_is_locked(tiny, tmp_path):
    from riskmc.engine.checkpoint import Manifest, RunFolder

    out = tmp_path / "run"
    seen = []

    def after(result):
        # another run cannot take the folder while this one writes its extras
        m = Manifest(scenario=tiny.fingerprint(), seed=21, replications=10)
        with pytest.raises(ExecutionError, match="is in use by another run"):
            RunFolder.open(out, tiny, m, resume=True)
        seen.append(result.n_replications)

    riskmc.simulate(tiny, 10, seed=21, workers=1, out=out, after=after)
    assert seen == [10]
    # released afterwards
    folder = RunFolder.open(out, tiny, Manifest(tiny.fingerprint(), 21, 10), resume=True)
    folder.close()
    with pytest.raises(TypeError, match="after: must be callable"):
        riskmc.simulate(tiny, 10, seed=21, workers=1, after=3)


WRITE_LIMIT = """
import resource, signal, sys
import riskmc
from riskmc.engine.checkpoint import WriteError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
tiny = riskmc.load_scenario(sys.argv[1])
riskmc.simulate(tiny, 40, seed=21, workers=1, chunk_size=10, out=sys.argv[2],
                progress=lambda done, total: done >= 20 and resource.setrlimit(
                    resource.RLIMIT_FSIZE, (2000, resource.RLIM_INFINITY)))
"""


def test_a_write_that_fails_leaves_a_resumable_folder(tiny, reference, tmp_path):
    """A full disk, as the operating system reports it: the process's file size limit
    (RLIMIT_FSIZE) makes every larger write fail (EFBIG) after 20 replications. The run
    stops with one error line, no temporary file is left, and the folder resumes to the
    same outcomes as a run never stopped."""
    import subprocess
    import sys

    out = tmp_path / "run"
    path = shipped_scenarios()["tiny.yaml"]
    done = subprocess.run(
        [sys.executable, "-c", WRITE_LIMIT, str(path), str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode != 0
    assert "WriteError" in done.stderr
    assert "cannot be written (File too large)" in done.stderr
    assert _leftovers(out) == []
    kept = read_manifest(out)
    assert 0 < sum(b - a for a, b in kept.done) < 40
    r = riskmc.simulate(tiny, 40, seed=21, workers=1, chunk_size=10, out=out, resume=True)
    pd.testing.assert_frame_equal(r.outcomes, reference.iloc[:40], check_exact=True)


def test_to_parquet_never_replaces_a_users_file(tiny, tmp_path, monkeypatch):
    """Issue 24: a result saved into a folder of the user's replaced their scenario.json,
    outcomes.parquet or result.json, wrote through a link of that name, and to_parquet('')
    wrote into the current folder (found by hand). Refused, every byte left; a result
    saved before is still overwritten."""
    result = riskmc.simulate(tiny, 3, seed=1, workers=1)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text("someone else's")
    for name in ("scenario.json", "outcomes.parquet", "result.json"):
        folder = tmp_path / name.replace(".", "_")
        folder.mkdir()
        (folder / name).write_text("the user's")
        (folder / "notes.txt").write_text("mine")
        before = _files(folder)
        with pytest.raises(ExecutionError, match=f"{name}: exists and riskmc did not write it"):
            result.to_parquet(folder)
        assert _files(folder) == before
        (folder / name).unlink()
        (folder / name).symlink_to(elsewhere)
        with pytest.raises(ExecutionError, match=f"{name}: is a symbolic link"):
            result.to_parquet(folder)
        assert (folder / name).is_symlink()
        assert elsewhere.read_text() == "someone else's"
    monkeypatch.chdir(tmp_path / "result_json")
    with pytest.raises(ExecutionError, match=r"^folder: must be the path of a folder, got ''"):
        result.to_parquet("")
    # beside the user's other files, and over a result of its own
    again = tmp_path / "notes"
    again.mkdir()
    (again / "notes.txt").write_text("mine")
    result.to_parquet(again)
    riskmc.simulate(tiny, 4, seed=2, workers=1).to_parquet(again)
    assert riskmc.SimulationResult.from_parquet(again).seed == 2
    assert (again / "notes.txt").read_text() == "mine"
