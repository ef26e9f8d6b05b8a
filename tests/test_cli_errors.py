"""Bad input to the command line: one line on standard error, exit 2, never a traceback."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from riskmc.cli import app
from riskmc.scenario import shipped_scenarios

runner = CliRunner()
TINY = str(shipped_scenarios()["tiny.yaml"])


def _one_line(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_compare_lets_an_internal_value_error_through(monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("an internal failure")

    # the module (``riskmc.analysis.compare`` is also the name of the function)
    monkeypatch.setattr(sys.modules["riskmc.analysis.compare"], "compare", broken)
    result = runner.invoke(app, ["compare", TINY, TINY, "-n", "2", "--workers", "1"])
    assert isinstance(result.exception, ValueError)  # not a misleading one-liner with exit 2


def test_compare_of_scenarios_with_no_project_in_common_is_refused(tiny_doc, write_yaml):
    tiny_doc["projects"][0]["name"] = "Other"
    other = write_yaml(tiny_doc)
    line = _one_line(["compare", TINY, str(other), "-n", "2", "--workers", "1"])
    assert line.startswith(f"error: compare: {other} has no project in common with {TINY}")


@pytest.mark.parametrize("command", [["run", TINY], ["compare", TINY, TINY]])
def test_workers_0_gets_the_same_line_from_run_and_compare(command):
    line = _one_line([*command, "-n", "2", "--workers", "0"])
    assert line.startswith("error: workers: must be an integer >= 1")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", TINY, "-n", "0"], "error: Invalid value for '-n' / '--replications': "),
        (["run", TINY, "--seed", "-1"], "error: Invalid value for '--seed': "),
        (["run", TINY, "--nope"], "error: No such option: --nope"),
        (["validate"], "error: Missing argument "),
        (["compare"], "error: Missing argument "),
        (["bench", "-n", "5"], "error: Invalid value for '-n' / '--replications': "),
        (["nosuchcommand"], "error: No such command 'nosuchcommand'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args, message):
    assert _one_line(args).startswith(message)


def test_help_and_version_still_work():
    for args in (["--help"], ["run", "--help"], ["--version"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert result.stderr == ""
    assert runner.invoke(app, []).exit_code == 2  # the help, without a command


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-n", "3000000000"], "error: replications: must be < 2**31 - 1 (2,147,483,647), got "),
        (["-n", str(2**31 - 1)], "error: replications: must be < 2**31 - 1"),
        (
            ["-n", "20", "--precision", "0.1", "--max-replications", "3000000000"],
            "error: max_replications: must be < 2**31 - 1",
        ),
        (
            ["-n", "20", "--max-replications", "5"],
            "error: --max-replications: only with --precision",
        ),
    ],
)
def test_run_refuses_absurd_or_ignored_replication_settings(args, message):
    result = runner.invoke(app, ["run", TINY, "--workers", "1", *args])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""  # refused before any work


SUSPENSION = {
    "site_attack": {"min_fatalities": 1, "probability": 0.3},
    "days": {"dist": "lognormal", "median": 30, "sigma": 1.6},
}
TWO_STATES = [
    {"name": "calm", "mean_days": 540, "multiplier": 0.6},
    {"name": "offensive", "mean_days": 120, "multiplier": 2.5},
]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["projects"][0].update(
                suspension={**SUSPENSION, "site_attack": {"min_fatalities": -1, "probability": 0.3}}
            ),
            "projects[0].suspension.site_attack.min_fatalities: must be >= 0, got -1",
        ),
        (
            lambda d: d["projects"][0].update(
                suspension={**SUSPENSION, "campaign": {"probability": 1.5}}
            ),
            "projects[0].suspension.campaign.probability: must be <= 1, got 1.5",
        ),
        (
            lambda d: d["hazard"].update(
                regimes={"states": [{**TWO_STATES[0], "mean_days": 0}, TWO_STATES[1]]}
            ),
            "hazard.regimes.states[0].mean_days: must be > 0, got 0",
        ),
        (
            lambda d: d["hazard"].update(regimes={"states": TWO_STATES[:1]}),
            "hazard.regimes.states: needs at least 2 items, got 1",
        ),
        (
            lambda d: d["hazard"].update(
                regimes={
                    "states": [*TWO_STATES, {**TWO_STATES[0], "name": "lull"}],
                    "transitions": [[0, 0.5, 0.4], [0.5, 0, 0.5], [0.5, 0.5, 0]],
                }
            ),
            "hazard.regimes.transitions[0]: must sum to 1, got 0.9",
        ),
        (
            lambda d: d["hazard"].update(regimes={"start": "war", "states": TWO_STATES}),
            "hazard.regimes.start: unknown state 'war' (use 'stationary' or one of calm, "
            "offensive)",
        ),
        (
            lambda d: d["hazard"].update(fatalities=-2),
            "hazard.fatalities: must be >= 0, got -2",
        ),
    ],
)
def test_bad_tail_blocks_get_one_line(tiny_doc, write_yaml, edit, message):
    edit(tiny_doc)
    path = write_yaml(tiny_doc)
    for command in (["validate", str(path)], ["run", str(path), "-n", "2", "--workers", "1"]):
        line = _one_line(command)
        assert line.startswith(f"error: {path}: {message}"), line


def _not_files(tmp_path):
    """Paths that are not regular files, or too large, each named like an input."""
    import os

    fifo_yaml, fifo_csv = tmp_path / "pipe.yaml", tmp_path / "pipe.csv"
    os.mkfifo(fifo_yaml)
    os.mkfifo(fifo_csv)
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    (tmp_path / "zero.csv").symlink_to("/dev/zero")
    (tmp_path / "folder.yaml").mkdir()
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:  # sparse: no disk is used
        f.truncate((16 << 20) + 1)
    return {
        "pipe.yaml": "not a regular file (a FIFO)",
        "pipe.csv": "not a regular file (a FIFO)",
        "zero.yaml": "not a regular file (a character device)",
        "zero.csv": "not a regular file (a character device)",
        "folder.yaml": "not a regular file (a directory)",
        "big.yaml": "larger than the 16 MiB read at most (16,777,217 bytes)",
    }


def test_inputs_that_are_not_files_are_refused_at_once(tmp_path):
    """A FIFO or a device would block or never end; each gets one line, exit 2, no hang.

    Run as real processes with a timeout, so that a regression fails instead of hanging.
    """
    import subprocess

    for name, rule in _not_files(tmp_path).items():
        path = str(tmp_path / name)
        if name.endswith(".csv"):
            commands = [["calibrate", path, "--format", "acled"]]
        else:
            commands = [["validate", path], ["run", path, "-n", "2", "--workers", "1"]]
        for command in commands:
            done = subprocess.run(
                [sys.executable, "-c", "from riskmc.cli import main; main()", *command],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert done.returncode == 2, (command, done.stderr)
            assert done.stderr.strip().splitlines() == [f"error: {path}: {rule}"], done.stderr


def test_an_extends_chain_through_a_fifo_is_refused(tmp_path, tiny_doc, write_yaml):
    import os

    os.mkfifo(tmp_path / "base.yaml")
    path = write_yaml({"extends": "base.yaml", "name": "x"}, "child.yaml")
    line = _one_line(["validate", str(path)])
    assert "base.yaml" in line
    assert "not a regular file (a FIFO)" in line


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["run", TINY, "-n", "2", "--workers", "1", "--out", ""], "'--out'"),
        (["run", TINY, "-n", "2", "--workers", "1", "--out", "  "], "'--out'"),
        (["calibrate", "events.csv", "--out", ""], "'--out' / '-o'"),
        (["report", ".", "-o", ""], "'-o' / '--output'"),
    ],
)
def test_an_empty_path_is_refused_not_read_as_the_current_folder(
    args, option, tmp_path, monkeypatch
):
    """``--out $UNSET`` would write riskmc's files among the user's: refused, nothing written."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.txt").write_text("the user's")
    line = _one_line(args)
    assert (
        line == f"error: Invalid value for {option}: must not be empty (an unset shell variable?)"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


def test_the_api_refuses_an_empty_out(tmp_path, monkeypatch):
    import riskmc

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"^out: must be the path of a folder, got ''"):
        riskmc.simulate(TINY, 2, seed=1, workers=1, out="")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["districts"].append({**d["districts"][0], "name": "ALPHA"}),
            "districts[1].name: 'ALPHA' and 'Alpha' (districts[0]) would share the column and "
            "file name 'alpha'; rename one",
        ),
        (
            lambda d: (
                d["projects"].append({**d["projects"][0], "name": "Mine-A"})
                or d["projects"][0].update(name="Mine A")
            ),
            "projects[1].name: 'Mine-A' and 'Mine A' (projects[0]) would share the column and "
            "file name 'mine_a'; rename one",
        ),
    ],
)
def test_names_that_would_share_a_column_or_file_are_refused(tiny_doc, write_yaml, edit, message):
    edit(tiny_doc)
    path = write_yaml(tiny_doc)
    assert _one_line(["validate", str(path)]) == f"error: {path}: {message}"


def test_names_reach_the_terminal_and_the_plots_as_text(tiny_doc, write_yaml, tmp_path):
    """Markup and escape sequences in names are shown, not obeyed; $ is not TeX."""
    tiny_doc["name"] = "[blink]tiny$x^"
    tiny_doc["districts"][0]["name"] = "Al[red]pha\x1b[2J"
    for place in tiny_doc["network"]["places"]:
        place["district"] = tiny_doc["districts"][0]["name"]
    tiny_doc["network"]["segments"][0]["districts"] = [tiny_doc["districts"][0]["name"]]
    tiny_doc["projects"][0]["name"] = "[red]Mine[/red] $1$"
    path = write_yaml(tiny_doc)
    result = runner.invoke(
        app, ["run", str(path), "-n", "4", "--workers", "1", "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert "[red]Mine[/red] $1$" in result.output
    assert "Al[red]pha[2J" in result.output
    assert len(list((tmp_path / "r" / "plots").glob("*.png"))) >= 5


def _snapshot(folder):
    return {
        str(p.relative_to(folder)): (p.is_symlink(), p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


def test_a_run_never_writes_into_a_folder_riskmc_did_not_make(tmp_path):
    folder = tmp_path / "mine"
    (folder / "chunks").mkdir(parents=True)
    (folder / "chunks" / "thesis.docx").write_bytes(b"years of work")
    (folder / "scenario.json").write_text("{}")
    before = _snapshot(folder)
    line = _one_line(["run", TINY, "-n", "2", "--workers", "1", "--out", str(folder)])
    assert line == (
        f"error: out: {folder} is not empty and riskmc did not make it (no .riskmc-run); "
        "choose an empty or new folder"
    )
    assert _snapshot(folder) == before


def test_links_and_foreign_files_inside_a_run_folder_are_left_alone(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.parquet").write_bytes(b"not riskmc's")
    run = tmp_path / "run"
    args = ["run", TINY, "-n", "2", "--workers", "1", "--out", str(run)]
    assert runner.invoke(app, args).exit_code == 0
    assert (run / ".riskmc-run").is_file()
    # a user's file dropped in chunks/ survives a resume
    (run / "chunks" / "notes.txt").write_text("mine")
    assert runner.invoke(app, [*args, "--resume"]).exit_code == 0
    assert (run / "chunks" / "notes.txt").read_text() == "mine"
    # chunks/ or plots/ as a link to elsewhere: refused, nothing followed
    for name in ("chunks", "plots"):
        other = tmp_path / f"run_{name}"
        assert runner.invoke(app, [*args[:-1], str(other)]).exit_code == 0
        moved = other / f"{name}.old"
        (other / name).rename(moved)
        (other / name).symlink_to(elsewhere, target_is_directory=True)
        line = _one_line([*args[:-1], str(other), "--resume"])
        assert line == (
            f"error: out: {other / name} is a symbolic link; riskmc follows no link inside a "
            "run folder"
        )
        assert sorted(p.name for p in elsewhere.iterdir()) == ["keep.parquet"]
        assert (elsewhere / "keep.parquet").read_bytes() == b"not riskmc's"


def test_regimes_whose_states_do_not_all_reach_each_other_are_refused(tiny_doc, write_yaml):
    states = [
        {"name": n, "mean_days": 100, "multiplier": m}
        for n, m in zip("abcd", (1, 2, 1, 2), strict=True)
    ]
    tiny_doc["hazard"]["regimes"] = {
        "states": states,
        "transitions": [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]],
    }
    path = write_yaml(tiny_doc)
    assert _one_line(["validate", str(path)]) == (
        f"error: {path}: hazard.regimes.transitions: state 'a' never reaches 'c': every state "
        "must reach every other"
    )


def test_validate_says_which_files_an_extends_chain_read(tmp_path, tiny_doc):
    import yaml

    elsewhere = tmp_path / "shared" / "base.yaml"
    elsewhere.parent.mkdir()
    elsewhere.write_text(yaml.safe_dump(tiny_doc))
    child = tmp_path / "mine" / "child.yaml"
    child.parent.mkdir()
    child.write_text("extends: ../shared/base.yaml\nname: child\n")
    result = runner.invoke(app, ["validate", str(child)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"ok: {child}: scenario 'child'")
    assert lines[1] == f"  read: {child.resolve()} -> {elsewhere.resolve()}"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["projects"][0]["costs"].update(standby_usd_per_day=1.0e300),
            "projects[0].costs.standby_usd_per_day: must be <= 1e+13, got 1e+300",
        ),
        (
            lambda d: d.update(
                stress=[{"kind": "closure", "segment": "R1", "start": "2026-04-10", "days": 1e9}]
            ),
            "stress[0].days: must be <= 100000, got 1e+09",
        ),
    ],
)
def test_ceilings_on_money_and_stress_days(tiny_doc, write_yaml, edit, message):
    edit(tiny_doc)
    path = write_yaml(tiny_doc)
    assert _one_line(["validate", str(path)]) == f"error: {path}: {message}"


def _limit_file_size(limit: int):  # pragma: no cover - runs in the child
    def apply() -> None:
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    return apply


def test_a_full_disk_gives_one_line_and_a_resumable_folder(tmp_path):
    """The process's file size limit (RLIMIT_FSIZE) stands in for a full disk: the
    operating system refuses the write of the first chunk (EFBIG). One line, exit 2, the
    way to finish; then the same command with --resume and room finishes the run."""
    import shutil
    import subprocess

    exe = shutil.which("riskmc")
    assert exe is not None
    out = tmp_path / "run"
    args = [exe, "run", TINY, "-n", "40", "--seed", "3", "--workers", "1", "--out", str(out)]
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=300, preexec_fn=_limit_file_size(12_000)
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr
    assert lines[-1].startswith("error: ")
    assert "cannot be written (File too large)" in lines[-1]
    assert lines[-1].endswith(f"finish with: riskmc run --out {out} --resume")
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    again = subprocess.run([*args, "--resume"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert (out / "outcomes.parquet").is_file()


@pytest.mark.parametrize("after", [0.3, 1.0, 2.5])
def test_ctrl_c_at_any_moment_exits_130_quietly(tmp_path, after):
    """Ctrl-C while the command imports its libraries (about the first second), while
    the pool starts its workers, or while they run: status 130, one line, no traceback
    (the workers, which share the terminal's process group, leave it to the parent)."""
    import shutil
    import signal
    import subprocess
    import time

    exe = shutil.which("riskmc")
    assert exe is not None
    args = [exe, "run", TINY, "-n", "5000", "--workers", "2", "--out", str(tmp_path / "r")]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1].startswith("interrupted")


def test_a_lock_that_is_a_link_or_a_users_file_is_never_emptied(tmp_path):
    """The run's lock file is truncated to hold its process id: a ``.lock`` that is a link
    to a user's file, or a user's own ``.lock``, must never be emptied (found by hand: a
    folder holding only a link ``.lock`` -> thesis.txt was taken as riskmc's, and the
    thesis replaced by a process id)."""
    thesis = tmp_path / "thesis.txt"
    thesis.write_text("years of work\n")
    args = ["run", TINY, "-n", "2", "--workers", "1", "--out"]
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / ".lock").symlink_to(thesis)
    users = tmp_path / "users"
    users.mkdir()
    (users / ".lock").write_text("a lock of my own tool\n")
    for folder in (lone, users):
        assert _one_line([*args, str(folder)]) == (
            f"error: out: {folder} is not empty and riskmc did not make it (no .riskmc-run); "
            "choose an empty or new folder"
        )
    assert (users / ".lock").read_text() == "a lock of my own tool\n"
    # a run folder of riskmc's whose lock was replaced by a link
    run = tmp_path / "run"
    assert runner.invoke(app, [*args, str(run)]).exit_code == 0
    (run / ".lock").unlink()
    (run / ".lock").symlink_to(thesis)
    assert _one_line(["run", "--out", str(run), "--resume"]) == (
        f"error: out: {run / '.lock'} is a symbolic link; riskmc follows no link inside a "
        "run folder"
    )
    assert thesis.read_text() == "years of work\n"
    # a lock left alone by a run that stopped at once is still taken
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / ".lock").write_text("12345\n")
    assert runner.invoke(app, [*args, str(fresh)]).exit_code == 0


def test_a_fifo_in_a_run_folder_is_refused_not_read(tmp_path):
    """``--resume`` reads the run's scenario.json: a FIFO there blocked for ever (found by
    hand). Run as a process with a timeout, so that a regression fails instead of hanging."""
    import os
    import subprocess

    run = tmp_path / "run"
    assert (
        runner.invoke(app, ["run", TINY, "-n", "2", "--workers", "1", "--out", str(run)]).exit_code
        == 0
    )
    (run / "scenario.json").unlink()
    os.mkfifo(run / "scenario.json")
    done = subprocess.run(
        [sys.executable, "-c", "from riskmc.cli import main; main()",
         "run", "--out", str(run), "--resume"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: {run / 'scenario.json'}: not a regular file (a FIFO)"
    ]


def test_compare_shows_the_first_scenarios_name_as_text(tiny_doc, write_yaml):
    """The first scenario's name heads a column and the title of ``riskmc compare``: its
    markup was obeyed and its escape sequence sent to the terminal (found by hand)."""
    tiny_doc["name"] = "[red]T\x1b[2Jiny"
    path = write_yaml(tiny_doc)
    result = runner.invoke(app, ["compare", str(path), TINY, "-n", "3", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
    assert "against '[red]T[2Jiny'" in " ".join(result.stdout.split())


@pytest.mark.parametrize("kind", ["fifo", "folder", "missing"])
def test_calibrate_names_a_scenario_that_is_not_a_file(tmp_path, kind):
    """``--scenario`` is also the default ``extends:`` base: a FIFO or a folder there was
    reported as "--extends: no such scenario" (found by hand), naming the wrong option."""
    import os

    path = tmp_path / "s.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    rule = {
        "fifo": "not a regular file (a FIFO)",
        "folder": "not a regular file (a directory)",
        "missing": "no such file",
    }[kind]
    line = _one_line(["calibrate", str(tmp_path / "events.csv"), "--scenario", str(path)])
    assert line == f"error: --scenario: {path}: {rule}"


@pytest.fixture
def small_disk(tmp_path):
    """A real file system of 200 KiB (tmpfs), mounted for the test: a disk that fills up.

    Skipped where the test may not mount one (not root, or no mount in the sandbox)."""
    import os
    import subprocess

    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    where = tmp_path / "disk"
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(where)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")

    def resize(size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(where)], check=True)

    try:
        yield where, resize
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_real_full_disk_gives_one_line_and_resumes_to_the_same_outcomes(small_disk, tmp_path):
    """ENOSPC from a real file system (a 200 KiB tmpfs), not a stand-in: the run stops at
    the chunk that does not fit with one line and the way to finish, leaves no temporary
    file, and once the disk has room, --resume gives the outcomes of a run never stopped.
    calibrate --out and report -o on the full disk: one line, nothing left behind."""
    import shutil
    import subprocess

    import pandas as pd

    import riskmc

    disk, resize = small_disk
    exe = shutil.which("riskmc")
    assert exe is not None
    run = disk / "run"
    args = [exe, "run", TINY, "-n", "200", "--seed", "4", "--chunk-size", "10", "--workers", "1"]
    done = subprocess.run([*args, "--out", str(run)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: "), last
    assert "(No space left on device)" in last, last
    assert last.endswith(f"finish with: riskmc run --out {run} --resume"), last
    assert not [p for p in disk.rglob("*") if p.name.endswith(".tmp")]
    saved = riskmc.engine.checkpoint.read_manifest(run)
    assert 0 < sum(b - a for a, b in saved.done) < 200
    # the disk full: the other commands that write say so in one line and leave nothing
    (disk / "filler").write_bytes(b"\0" * 4096)
    while True:
        try:
            with (disk / "filler").open("ab") as fh:
                fh.write(b"\0" * 4096)
        except OSError:
            break
    from tests.test_hostile import _acled

    days = [f"{y}-{m:02d}-{d:02d}" for y in (2022, 2023) for m in range(1, 13) for d in (3, 17)]
    events = _acled(tmp_path / "events.csv", days)
    result = tmp_path / "result"
    riskmc.simulate(TINY, 5, seed=1, workers=1).to_parquet(result)
    for command in (
        ["report", str(result), "-o", str(disk / "r.html")],
        ["calibrate", str(events), "--out", str(disk / "fit.yaml")],
        ["export", str(result), "--to", "xlsx", "-o", str(disk / "r.xlsx")],
    ):
        out = subprocess.run([exe, *command], capture_output=True, text=True, timeout=120)
        assert out.returncode == 2, out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1, out.stderr  # export's workbook printed a ZipFile traceback
        assert lines[0].startswith("error: "), lines
        assert "No space left on device" in lines[0], lines
    assert sorted(p.name for p in disk.iterdir()) == ["filler", "run"]
    # room again: the same command, resumed, finishes the run as if never stopped
    (disk / "filler").unlink()
    resize("20m")
    again = subprocess.run([*args, "--out", str(run), "--resume"], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    reference = riskmc.simulate(TINY, 200, seed=4, workers=1, chunk_size=10)
    resumed = riskmc.SimulationResult.from_parquet(run).outcomes
    pd.testing.assert_frame_equal(resumed, reference.outcomes, check_exact=True)
