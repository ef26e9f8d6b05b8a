"""A folder of the user's own files, with every command pointed at it (issue 24).

riskmc never removes or overwrites a file it did not write (SPEC "Nothing lost"). The
folder holds what a user's folder on a shared drive holds: text files, a subfolder,
links to files and folders elsewhere, and files and folders that happen to carry the
names riskmc uses itself (``chunks/``, ``plots/``, ``manifest.json``, ``report.html``).
Each command runs as a real process; afterwards every file's bytes, every link's
target and the set of files are as they were, but for what riskmc wrote into a new
folder or file it was asked to make. Where a command refuses, it says so in one line.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from riskmc.scenario import shipped_scenarios
from tests.test_hostile import _acled, _riskmc, _snapshot

EXE = shutil.which("riskmc")
TINY = str(shipped_scenarios()["tiny.yaml"])
RUN = ["-n", "2", "--workers", "1"]

pytestmark = pytest.mark.skipif(EXE is None, reason="the riskmc command is not installed")


def _make_user_folder(root: Path) -> Path:
    """``root/user``, the user's folder, and ``root/elsewhere``, which its links point into."""
    elsewhere = root / "elsewhere"
    (elsewhere / "shared").mkdir(parents=True)
    (elsewhere / "other.txt").write_text("a file of someone else\n")
    (elsewhere / "shared" / "inner.txt").write_text("inside a linked folder\n")
    user = root / "user"
    (user / "sub").mkdir(parents=True)
    (user / "notes.txt").write_text("years of notes\n")
    (user / "data.csv").write_text("a,b\n1,2\n")
    (user / "sub" / "deep.txt").write_text("deeper\n")
    (user / "link_to_file").symlink_to(elsewhere / "other.txt")
    (user / "link_to_folder").symlink_to(elsewhere / "shared", target_is_directory=True)
    # the names riskmc gives its own files, used by the user for theirs
    (user / "chunks").mkdir()
    (user / "chunks" / "chunk_000000.parquet").write_bytes(b"not a chunk of riskmc's")
    (user / "chunks" / "mine.txt").write_text("mine\n")
    (user / "plots").mkdir()
    (user / "plots" / "s_curve.png").write_bytes(b"\x89PNG a drawing of mine")
    (user / "plots" / "holiday.jpg").write_bytes(b"\xff\xd8 a photo")
    (user / "manifest.json").write_text('{"shipment": "ore", "replications": 7, "seed": 1}\n')
    (user / "report.html").write_text("<html>my report to the board</html>\n")
    (user / "report.xlsx").write_bytes(b"PK my workbook")
    (user / "districts.geojson").write_text('{"type": "FeatureCollection", "features": []}\n')
    (user / "outcomes.parquet").write_bytes(b"my own table")
    (user / "file.yaml").write_text("my: settings\n")
    (user / ".lock").write_text("a lock of my own tool\n")
    return user


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> Path:
    """A finished riskmc run, outside the user's folder."""
    assert EXE is not None
    out = tmp_path_factory.mktemp("result") / "run"
    done = subprocess.run(
        [EXE, "run", TINY, *RUN, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def events(tmp_path_factory) -> Path:
    """An ACLED export of two years of Quetta attacks, outside the user's folder."""
    days = [
        f"{year}-{month:02d}-{day:02d}"
        for year in (2022, 2023)
        for month in range(1, 13)
        for day in (3, 17)
    ]
    return _acled(tmp_path_factory.mktemp("events") / "acled.csv", days)


# (id, arguments, what may be new afterwards under the root (a path or a tuple of them):
# None when the command must refuse in one line; the cwd is the user's folder)
CASES = [
    ("run-out-folder", ["run", TINY, *RUN, "--out", "{user}"], None),
    ("run-out-chunks", ["run", TINY, *RUN, "--out", "{user}/chunks"], None),
    ("run-out-plots", ["run", TINY, *RUN, "--out", "{user}/plots"], None),
    ("run-out-link-to-folder", ["run", TINY, *RUN, "--out", "{user}/link_to_folder"], None),
    ("run-out-link-to-file", ["run", TINY, *RUN, "--out", "{user}/link_to_file"], None),
    ("run-out-a-file", ["run", TINY, *RUN, "--out", "{user}/notes.txt"], None),
    ("run-resume-folder", ["run", TINY, *RUN, "--out", "{user}", "--resume"], None),
    ("run-resume-no-scenario", ["run", "--out", "{user}", "--resume"], None),
    ("run-resume-chunks", ["run", "--out", "{user}/chunks", "--resume"], None),
    ("run-out-relative-dot", ["run", TINY, *RUN, "--out", "."], None),
    (
        "run-out-new-subfolder",
        ["run", TINY, *RUN, "--out", "{user}/sub/new_run"],
        "user/sub/new_run",
    ),
    ("run-without-out", ["run", TINY, *RUN], ""),
    ("report-the-folder", ["report", "{user}"], None),
    ("report-chunks", ["report", "{user}/chunks"], None),
    ("report-to-users-html", ["report", "{result}", "-o", "{user}/report.html"], None),
    ("report-to-a-link", ["report", "{result}", "-o", "{user}/link_to_file"], None),
    ("report-to-the-folder", ["report", "{result}", "-o", "{user}"], None),
    ("report-to-a-new-file", ["report", "{result}", "-o", "{user}/board.html"], "user/board.html"),
    ("calibrate-out-users-yaml", ["calibrate", "{events}", "--out", "{user}/file.yaml"], None),
    ("calibrate-out-users-text", ["calibrate", "{events}", "--out", "{user}/notes.txt"], None),
    ("calibrate-out-the-folder", ["calibrate", "{events}", "--out", "{user}"], None),
    ("calibrate-out-a-link", ["calibrate", "{events}", "--out", "{user}/link_to_file"], None),
    ("calibrate-events-in-folder", ["calibrate", "{user}/data.csv"], None),
    (
        "calibrate-out-new-file",
        ["calibrate", "{events}", "--out", "{user}/fit.yaml"],
        "user/fit.yaml",
    ),
    (
        "export-xlsx-to-users-workbook",
        ["export", "{result}", "--to", "xlsx", "-o", "{user}/report.xlsx"],
        None,
    ),
    (
        "export-xlsx-to-users-text",
        ["export", "{result}", "--to", "xlsx", "-o", "{user}/notes.txt"],
        None,
    ),
    (
        "export-xlsx-to-a-link",
        ["export", "{result}", "--to", "xlsx", "-o", "{user}/link_to_file"],
        None,
    ),
    ("export-xlsx-to-the-folder", ["export", "{result}", "--to", "xlsx", "-o", "{user}"], None),
    ("export-the-folder", ["export", "{user}", "--to", "xlsx"], None),
    (
        "export-geojson-over-users-layer",
        ["export", "{result}", "--to", "geojson", "-o", "{user}"],
        None,
    ),
    (
        "export-geojson-to-a-link-to-a-file",
        ["export", "{result}", "--to", "geojson", "-o", "{user}/link_to_file"],
        None,
    ),
    (
        "export-xlsx-new-file",
        ["export", "{result}", "--to", "xlsx", "-o", "{user}/board.xlsx"],
        "user/board.xlsx",
    ),
    (
        "export-geojson-new-folder",
        ["export", "{result}", "--to", "geojson", "-o", "{user}/sub"],
        ("user/sub/districts.geojson", "user/sub/segments.geojson"),
    ),
    ("compare-in-the-folder", ["compare", TINY, TINY, *RUN], ""),
    ("validate-users-yaml", ["validate", "{user}/file.yaml"], None),
    ("validate-the-folder", ["validate", "{user}"], None),
    ("validate-a-link-to-a-folder", ["validate", "{user}/link_to_folder"], None),
    ("validate-the-manifest", ["validate", "{user}/manifest.json"], None),
]


BUGS: dict[str, str] = {}  # known failures, none left (the two report cases are fixed)


def _params():
    for name, args, new in CASES:
        bug = BUGS.get(name)
        marks = [pytest.mark.xfail(strict=True, reason=f"bug: {bug}")] if bug else []
        yield pytest.param(args, new, id=name, marks=marks)


@pytest.mark.parametrize(("args", "new"), list(_params()))
def test_a_users_folder_is_left_as_it_was(tmp_path, result, events, args, new):
    user = _make_user_folder(tmp_path)
    before = _snapshot(tmp_path, skip="")
    command = [a.format(user=user, result=result, events=events) for a in args]
    ((rc, out, err),) = _riskmc([command], cwd=user)
    shown = f"riskmc {' '.join(command)} -> {rc}\nstdout: {out[-1000:]}\nstderr: {err[-2000:]}"
    assert "Traceback" not in err, shown
    after = _snapshot(tmp_path, skip="")
    # every file, folder and link of the user's is there, with the same bytes or target
    assert {k: after.get(k) for k in before} == before, shown
    added = sorted(set(after) - set(before))
    if new is None:
        lines = err.strip().splitlines()
        assert rc != 0, shown
        assert len(lines) == 1, shown
        assert lines[0].startswith("error: "), shown
        assert added == [], shown
    else:
        assert rc == 0, shown
        allowed = (new,) if isinstance(new, str) else new
        assert all(any(k == n or k.startswith(f"{n}/") for n in allowed) for k in added), (
            added,
            shown,
        )
    # the result riskmc wrote elsewhere is its own business, but the user's links still
    # point where they did
    assert (user / "link_to_file").resolve() == tmp_path / "elsewhere" / "other.txt"
    assert (user / "link_to_folder").resolve() == tmp_path / "elsewhere" / "shared"


def test_a_run_folder_inside_the_users_folder_then_resumed_and_reported(tmp_path):
    """A run in a new subfolder, resumed and reported: the user's files around it stay."""
    user = _make_user_folder(tmp_path)
    before = _snapshot(tmp_path, skip="")
    run = user / "sub" / "run"
    first = [["run", TINY, *RUN, "--out", str(run)]]
    ((rc, _, err),) = _riskmc(first, cwd=user)
    assert rc == 0, err
    again = [["run", "--out", str(run), "--resume"], ["report", str(run)]]
    for rc, _, err in (_riskmc([c], cwd=user)[0] for c in again):
        assert rc == 0, err
    after = _snapshot(tmp_path, skip="")
    assert {k: after.get(k) for k in before} == before
    assert all(k.startswith("user/sub/run") for k in set(after) - set(before))
    assert (run / "report.html").is_file()
