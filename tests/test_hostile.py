"""Hostile input, as a careless or malicious user would give it (issue 24).

Every case runs the real ``riskmc`` command in a subprocess, under a timeout, and
checks the contract of SPEC "Reliability and bad input":

- either exit 0 (a correct run), or a non-zero exit with exactly one line on standard
  error, starting ``error: `` and naming the file or the field;
- never a traceback, never a hang;
- nothing created, changed or removed outside ``--out``.

The Hypothesis parts call :func:`riskmc.scenario.scenario_from_dict` instead of a
subprocess, so that many names, numbers and dates stay cheap: each either validates
or raises a :class:`~riskmc.scenario.ScenarioError` whose message is one line.

What ``tests/test_cli_errors.py`` already checks (a FIFO, ``/dev/zero``, a folder and a
file over the cap as a scenario; markup in names; ``--out ''``) is not repeated here.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import math
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from riskmc.calibration.readers import ACLED_COLUMNS
from riskmc.scenario import ScenarioError, read_document, scenario_from_dict, shipped_scenarios

EXE = shutil.which("riskmc")
TIMEOUT = 60  # seconds a case may take before it counts as a hang
RUN = ("-n", "2", "--workers", "1")

pytestmark = pytest.mark.skipif(EXE is None, reason="the riskmc command is not installed")

Doc = dict[str, Any]
Edit = Callable[[Doc], Any]


# ----------------------------------------------------------------------------- helpers


def _snapshot(root: Path, skip: str = "out") -> dict[str, Any]:
    """Every path under ``root`` (but ``skip``) with what it is; nothing is opened but files.

    A FIFO or a link to ``/dev/zero`` is recorded by its kind, never read.
    """
    seen: dict[str, Any] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        if here == root:
            dirnames[:] = [d for d in dirnames if d != skip]
            filenames = [f for f in filenames if f != skip]
        for name in [*dirnames, *filenames]:
            path = here / name
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                what: Any = ("link", os.readlink(path))
            elif stat.S_ISREG(info.st_mode):
                with path.open("rb") as fh:
                    what = ("file", hashlib.file_digest(fh, "sha256").hexdigest())
            else:
                what = ("other", stat.S_IFMT(info.st_mode))
            seen[str(path.relative_to(root))] = what
    return seen


def _riskmc(commands: Sequence[Sequence[str]], cwd: Path) -> list[tuple[int, str, str]]:
    """Run each command as its own ``riskmc`` process, side by side; fail on a hang."""
    assert EXE is not None
    procs = [
        subprocess.Popen(
            [EXE, *command],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        for command in commands
    ]
    done = []
    for command, proc in zip(commands, procs, strict=True):
        try:
            out, err = proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            for p in procs:
                p.kill()
                p.communicate()
            pytest.fail(f"hang: riskmc {' '.join(command)} ran over {TIMEOUT} s")
        done.append((proc.returncode, out, err))
    return done


def _assert_clean(command: Sequence[str], rc: int, out: str, err: str, names: Sequence[str]):
    """Exit 0, or one ``error: `` line naming one of ``names``; never a traceback."""
    shown = f"riskmc {' '.join(command)} -> {rc}\nstderr: {err[-2000:]}"
    assert "Traceback" not in err, shown
    if rc == 0:
        assert not re.search(r"(?<![\w-])(nan|NaN)(?![\w-])", out), shown  # no nan in a summary
        return
    assert rc != 130, shown
    lines = err.strip().splitlines()
    assert len(lines) == 1, shown
    assert lines[0].startswith("error: "), shown
    assert any(n in lines[0] for n in names), f"names none of {names}: {shown}"


def _check_scenario(tmp_path: Path, path: Path, names: Sequence[str]) -> list[int]:
    """``validate`` and ``run`` the scenario ``path``: the contract, nothing outside --out."""
    out = tmp_path / "out"
    before = _snapshot(tmp_path)
    commands = [["validate", str(path)], ["run", str(path), *RUN, "--out", str(out)]]
    results = _riskmc(commands, tmp_path)
    for command, (rc, stdout, stderr) in zip(commands, results, strict=True):
        _assert_clean(command, rc, stdout, stderr, [str(path), *names])
    (valid, *_), (ran, *_) = results
    if valid != 0:
        assert ran != 0, "run accepted what validate refused"
    if ran == 0:
        assert (out / "outcomes.parquet").is_file()
    assert _snapshot(tmp_path) == before, "a file outside --out was created, changed or removed"
    return [valid, ran]


def _write(tmp_path: Path, doc: Doc | str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    text = doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def _rename_district(doc: Doc, name: str) -> None:
    """Give the tiny scenario's one district a new name, everywhere it is named."""
    doc["districts"][0]["name"] = name
    for place in doc["network"]["places"]:
        place["district"] = name
    doc["network"]["segments"][0]["districts"] = [name]


def _second_project(doc: Doc, first: str, second: str) -> None:
    doc["projects"].append({**copy.deepcopy(doc["projects"][0]), "name": second})
    doc["projects"][0]["name"] = first


def _set(*path: str | int, value: Any) -> Edit:
    def edit(doc: Doc) -> None:
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


def _both(*edits: Edit) -> Edit:
    def edit(doc: Doc) -> None:
        for e in edits:
            e(doc)

    return edit


PROJECT = ("projects", 0)


def _case(name: str, edit: Edit, field: str | None, bug: str | None = None) -> Any:
    """A parameter set; ``bug`` marks a known failure that must flip when fixed."""
    marks = [pytest.mark.xfail(strict=True, reason=f"bug: {bug}")] if bug else []
    return pytest.param(edit, field, id=name, marks=marks)


# ----------------------------------------------------------------------------- names

NAME_CASES: list[tuple[Any, ...]] = [
    # (id, edit of the tiny scenario, text the error names or None when it must run)
    ("district-markup-and-osc", lambda d: _rename_district(d, "[bold]Al\x1b]0;pwn\x07pha"), None),
    ("district-urdu", lambda d: _rename_district(d, "کوئٹہ"), None),
    ("project-path-up", _set(*PROJECT, "name", value="../../escaped"), None),
    ("project-absolute-path", _set(*PROJECT, "name", value="/tmp/riskmc-hostile"), None),
    ("project-only-punctuation", _set(*PROJECT, "name", value="!!!"), None),
    ("project-bad-mathtext", _set(*PROJECT, "name", value="$\\frac{1}{$ Mine $x^"), None),
    ("project-very-long", _set(*PROJECT, "name", value="M" * 5000), "projects[0].name"),
    ("scenario-name-control", _set("name", value="tiny\x00\x1b[31m\r"), None),
    ("project-only-control", _set(*PROJECT, "name", value="\x1f\x1b"), "projects[0].name"),
    ("place-path-separators", lambda d: _rename_place(d, "Port", "../Port/.."), None),
    (
        "districts-collide-casefolded",
        lambda d: d["districts"].append({**d["districts"][0], "name": "ALPHA"}),
        "districts[1].name",
    ),
    (
        "districts-collide-sharp-s",
        lambda d: (
            _rename_district(d, "Straße"),
            d["districts"].append({**d["districts"][0], "name": "STRASSE"}),
        ),
        "districts[1].name",
    ),
    ("projects-collide-case", lambda d: _second_project(d, "Mine", "MINE"), "projects[1].name"),
    (
        "projects-collide-punctuation",
        lambda d: _second_project(d, "!!!", "???"),
        "projects[1].name",
    ),
]


def _rename_place(doc: Doc, old: str, new: str) -> None:
    for place in doc["network"]["places"]:
        if place["name"] == old:
            place["name"] = new
    for seg in doc["network"]["segments"]:
        for key in ("from", "to"):
            if seg[key] == old:
                seg[key] = new
    for project in doc["projects"]:
        for key in ("site", "port"):
            if project[key] == old:
                project[key] = new


@pytest.mark.parametrize(("edit", "field"), [_case(*c) for c in NAME_CASES])
def test_hostile_names(tmp_path, tiny_doc, edit, field):
    edit(tiny_doc)
    path = _write(tmp_path, tiny_doc)
    valid, ran = _check_scenario(tmp_path, path, [field] if field else [])
    if field is None:
        assert (valid, ran) == (0, 0)
    else:
        assert valid != 0


# ----------------------------------------------------------------------------- numbers

COSTS = (*PROJECT, "costs")
BUILD = (*PROJECT, "construction")
OPS = (*PROJECT, "operations")
ROAD = ("hazard", "closures", "road_hours_per_day")

NUMBER_CASES: list[tuple[Any, ...]] = [
    # refused, naming the field
    ("rate-negative", _set("districts", 0, "attacks_per_year", value=-3), "attacks_per_year"),
    ("rate-string", _set("districts", 0, "attacks_per_year", value="24"), "attacks_per_year"),
    ("rate-bool", _set("districts", 0, "attacks_per_year", value=True), "attacks_per_year"),
    ("probability-inf", _set("hazard", "closures", "road", "probability", value=math.inf), "road"),
    ("days-1e308", _set(*BUILD, "planned_days", value=1e308), "planned_days"),
    ("money-negative", _set(*COSTS, "standby_usd_per_day", value=-1), "standby_usd_per_day"),
    # accepted: a run must end, correctly, or refuse with one line
    ("rate-zero", _set("districts", 0, "attacks_per_year", value=0), None),
    ("horizon-a-second", _set("horizon_years", value=1e-9), None),
    (
        "road-hours-tiny",
        _set(*ROAD, value=1e-300),
        "road_hours_per_day",
    ),
    (
        "convoys-1e12",
        _both(
            _set(*PROJECT, "logistics", "convoy_t", value=1), _set(*BUILD, "material_t", value=1e12)
        ),
        "material_t",
    ),
    (
        "export-convoys-1e7-a-day",
        _both(
            _set(*PROJECT, "logistics", "convoy_t", value=1),
            _set(*OPS, "output_t_per_day", value=1e7),
        ),
        "output_t_per_day",
    ),
]


@pytest.mark.parametrize(("edit", "field"), [_case(*c) for c in NUMBER_CASES])
def test_hostile_numbers(tmp_path, tiny_doc, edit, field):
    edit(tiny_doc)
    path = _write(tmp_path, tiny_doc)
    valid, _ = _check_scenario(tmp_path, path, [field] if field else [])
    if field is not None and valid == 0:
        pytest.fail(f"accepted silently: {field}")


# ----------------------------------------------------------------------------- dates


def _start(value: Any) -> Edit:
    """Move the scenario's start and its project's construction start together."""
    return _both(_set("start_date", value=value), _set(*BUILD, "start", value=value))


DATE_CASES: list[tuple[Any, ...]] = [
    ("start-feb-30", _set("start_date", value="2026-02-30"), "start_date"),
    ("start-year-1", _start("0001-01-01"), "start_date"),
    ("start-9999", _start("9999-06-01"), "start_date"),
    ("start-1900", _start("1900-01-01"), "start_date"),
    (
        "construction-after-horizon",
        _set(*BUILD, "start", value="2100-01-01"),
        "construction.start",
    ),
    ("construction-year-1", _set(*BUILD, "start", value="0001-01-01"), "construction.start"),
    (
        "stress-after-horizon",
        _set(
            "stress", value=[{"kind": "closure", "segment": "R1", "start": "9999-01-01", "days": 5}]
        ),
        "stress[0].start",
    ),
]


@pytest.mark.parametrize(("edit", "field"), [_case(*c) for c in DATE_CASES])
def test_hostile_dates(tmp_path, tiny_doc, edit, field):
    edit(tiny_doc)
    path = _write(tmp_path, tiny_doc)
    _check_scenario(tmp_path, path, [field] if field else [])


# ----------------------------------------------------------------------------- file kinds


def _billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    return "\n".join(lines) + "\n"


def _file_kinds(tmp_path: Path, suffix: str) -> dict[str, Callable[[], Path]]:
    """Ways a path can fail to be a readable file, each making the path and returning it."""

    def missing() -> Path:
        return tmp_path / f"missing{suffix}"

    def dev_null() -> Path:
        path = tmp_path / f"null{suffix}"
        path.symlink_to("/dev/null")
        return path

    def empty() -> Path:
        path = tmp_path / f"empty{suffix}"
        path.write_bytes(b"")
        return path

    def binary() -> Path:
        path = tmp_path / f"binary{suffix}"
        path.write_bytes(bytes(range(256)) * 64 + b"\x00\xff\xfe")
        return path

    def link_loop() -> Path:
        a, b = tmp_path / f"loop_a{suffix}", tmp_path / f"loop_b{suffix}"
        a.symlink_to(b)
        b.symlink_to(a)
        return a

    def folder() -> Path:
        path = tmp_path / f"folder{suffix}"
        path.mkdir()
        return path

    return {
        "missing": missing,
        "dev-null": dev_null,
        "empty": empty,
        "binary": binary,
        "symlink-loop": link_loop,
        "folder": folder,
    }


SCENARIO_TEXTS: dict[str, str] = {
    "yaml-bomb": _billion_laughs(),
    "deep-nesting": "a: " + "[" * 5000 + "]" * 5000 + "\n",
    "python-tag": "name: !!python/object/apply:os.system ['touch pwned']\n",
    "top-level-list": "- name: tiny\n",
    "utf16": "name: tiny\n",  # written as UTF-16 below
}


@pytest.mark.parametrize("kind", [*_file_kinds(Path("."), ".yaml"), *SCENARIO_TEXTS, "txt"])
def test_hostile_scenario_files(tmp_path, kind):
    if kind in SCENARIO_TEXTS:
        path = tmp_path / f"{kind}.yaml"
        if kind == "utf16":
            path.write_bytes(SCENARIO_TEXTS[kind].encode("utf-16"))
        else:
            path.write_text(SCENARIO_TEXTS[kind], encoding="utf-8")
    elif kind == "txt":
        path = tmp_path / "scenario.txt"
        path.write_text(yaml.safe_dump(read_document(shipped_scenarios()["tiny.yaml"])))
    else:
        path = _file_kinds(tmp_path, ".yaml")[kind]()
    valid, ran = _check_scenario(tmp_path, path, [])
    assert valid != 0
    assert ran != 0
    assert not (tmp_path / "pwned").exists()


def _acled(path: Path, dates: Sequence[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(ACLED_COLUMNS)
        for i, day in enumerate(dates):
            row = {
                "event_id_cnty": f"PAK{i}",
                "event_date": day,
                "year": day[:4],
                "time_precision": "1",
                "disorder_type": "Political violence",
                "event_type": "Explosions/Remote violence",
                "sub_event_type": "Remote explosive/landmine/IED",
                "actor1": "Unidentified Armed Group",
                "admin1": "Balochistan",
                "admin2": "Quetta",
                "location": "Quetta",
                "latitude": "30.18",
                "longitude": "67.0",
                "fatalities": "0",
                "country": "Pakistan",
            }
            w.writerow([row.get(c, "") for c in ACLED_COLUMNS])
    return path


EVENT_TEXTS: dict[str, Callable[[Path], Path]] = {
    "header-only": lambda p: _acled(p, []),
    "year-1": lambda p: _acled(p, ["0001-01-01", "2023-02-01", "2023-06-01"]),
    "year-1900": lambda p: _acled(p, ["1900-01-01", "2023-02-01", "2023-06-01"]),
    "year-9999": lambda p: _acled(p, ["2023-02-01", "2023-06-01", "9999-12-31"]),
    "one-event": lambda p: _acled(p, ["2023-02-01"]),
}


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as fh:  # sparse: no disk is used
        fh.truncate(size)
    return path


CALIBRATE_BUGS: dict[str, str] = {}


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(
            kind,
            marks=[pytest.mark.xfail(strict=True, reason=f"bug: {CALIBRATE_BUGS[kind]}")]
            if kind in CALIBRATE_BUGS
            else [],
        )
        for kind in [*_file_kinds(Path("."), ".csv"), "over-cap", *EVENT_TEXTS]
    ],
)
def test_hostile_event_files(tmp_path, kind):
    """The events file of ``riskmc calibrate``: refused in one line, or a block written."""
    if kind in EVENT_TEXTS:
        path = EVENT_TEXTS[kind](tmp_path / f"{kind}.csv")
    elif kind == "over-cap":
        from riskmc.scenario.files import EVENT_FILE_MAX_BYTES

        path = _sparse(tmp_path / "big.csv", EVENT_FILE_MAX_BYTES + 1)
    else:
        path = _file_kinds(tmp_path, ".csv")[kind]()
    out = tmp_path / "out"
    out.mkdir()
    before = _snapshot(tmp_path)
    commands = [
        ["calibrate", str(path), "--format", "acled"],
        ["calibrate", str(path), "--format", "acled", "--out", str(out / "fit.yaml")],
    ]
    for command, (rc, stdout, stderr) in zip(commands, _riskmc(commands, tmp_path), strict=True):
        _assert_clean(command, rc, stdout, stderr, [str(path), path.name])
    assert _snapshot(tmp_path) == before
    assert [p.name for p in out.iterdir()] in ([], ["fit.yaml"])


# ----------------------------------------------------------------------------- Hypothesis

_TINY = read_document(shipped_scenarios()["tiny.yaml"])  # a plain mapping, copied per example

HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "[red]x[/red]",
            "[/]",
            "$x^$",
            "$\\frac{$",
            "\x1b[2J",
            "a\nb",
            "a\r",
            "../..",
            "/",
            "C:\\",
            "\x00",
            "ALPHA",
            "alpha",
            "Alpha ",
            "M" * 10_000,
            "\u202e",
            "default",
            "all",
        ]
    ),
)

HOSTILE_NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from([0, -0.0, 1e308, -1e308, 5e-324, 2**63, True, False, None]),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)

NUMBER_FIELDS = [
    ("horizon_years",),
    ("districts", 0, "attacks_per_year"),
    ("districts", 0, "targets", "road"),
    ("hazard", "closures", "road", "probability"),
    ("hazard", "closures", "road", "days"),
    ("hazard", "closures", "road_hours_per_day"),
    ("hazard", "campaigns", "rate_per_year"),
    ("hazard", "blackouts", "attack_probability"),
    ("network", "segments", 0, "km"),
    ("network", "segments", 0, "kmh"),
    (*BUILD, "planned_days"),
    (*BUILD, "material_t"),
    (*BUILD, "site_buffer_days"),
    (*OPS, "output_t_per_day"),
    (*PROJECT, "logistics", "convoy_t"),
    (*COSTS, "standby_usd_per_day"),
    (*COSTS, "site_attack_damage_usd"),
    (*COSTS, "discount_rate"),
    (*COSTS, "price_usd_per_t"),
]

FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _validates(doc: Doc) -> Any:
    """The scenario, or the one-line message of its ScenarioError (anything else fails)."""
    try:
        return scenario_from_dict(doc, "hostile.yaml")
    except ScenarioError as exc:
        message = str(exc)
        assert message.startswith("hostile.yaml: "), message
        assert "\n" not in message, repr(message)
        assert "\r" not in message, repr(message)
        return message


def _put(doc: Doc, path: Sequence[str | int], value: Any) -> None:
    _set(*path, value=value)(doc)


@FEW
@given(
    district=HOSTILE_TEXT,
    project=HOSTILE_TEXT,
    place=HOSTILE_TEXT,
    scenario=HOSTILE_TEXT,
)
def test_any_name_validates_or_gets_one_line(district, project, place, scenario):
    doc = copy.deepcopy(_TINY)
    _rename_district(doc, district)
    _rename_place(doc, "Port", place)
    doc["projects"][0]["name"] = project
    doc["name"] = scenario
    got = _validates(doc)
    if isinstance(got, str):
        return
    # accepted: the text itself, trimmed of surrounding white space (shown escaped later)
    assert got.name.strip() == scenario.strip()
    assert got.projects[0].name.strip() == project.strip()


def _visible(text: str) -> bool:
    """Whether ``text`` shows a character once control characters are dropped."""
    import unicodedata

    return any(unicodedata.category(c) != "Cc" and not c.isspace() for c in text)


@FEW
@given(first=HOSTILE_TEXT, second=HOSTILE_TEXT)
def test_two_projects_whose_names_collide_are_refused_naming_both(first, second):
    from riskmc.scenario.schema import name_key

    doc = copy.deepcopy(_TINY)
    _second_project(doc, first, second)
    got = _validates(doc)
    a, b = first.strip(), second.strip()
    if not (_visible(a) and _visible(b)):  # a name that shows nothing is refused first
        assert isinstance(got, str), (first, second)
        return
    if a != b and name_key(a) == name_key(b):
        assert isinstance(got, str), (first, second)
        assert "projects[1].name" in got, got
        assert "(projects[0])" in got, got


@FEW
@given(field=st.sampled_from(NUMBER_FIELDS), value=HOSTILE_NUMBER)
@example(field=("districts", 0, "targets", "road"), value=0.0)  # CI found: a sum rule
def test_any_number_in_any_field_validates_finite_or_gets_one_line(field, value):
    doc = copy.deepcopy(_TINY)
    _put(doc, field, value)
    got = _validates(doc)
    if isinstance(got, str):
        # the message names the field, or the mapping whose rule it breaks (targets sum to 1)
        paths = [
            "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in field[:n])[1:]
            for n in range(len(field), 1, -1)
        ]
        assert any(f"hostile.yaml: {p}" in got for p in paths) or field[-1] in got, got
        return
    # accepted: a real, finite number, never a bool or a string read as one
    assert not isinstance(value, bool | str | type(None) | list)
    if isinstance(value, int | float):
        assert math.isfinite(value)


@FEW
@given(
    start=st.one_of(
        st.dates().map(str),
        st.text(max_size=12),
        st.integers(),
        st.sampled_from(["2026-02-29", "2026-00-10", "10000-01-01", "-0001-01-01", " 2026-01-01"]),
    ),
    build=st.dates().map(str),
)
def test_any_date_validates_inside_the_window_or_gets_one_line(start, build):
    doc = copy.deepcopy(_TINY)
    doc["start_date"] = start
    doc["projects"][0]["construction"]["start"] = build
    got = _validates(doc)
    if isinstance(got, str):
        return
    end = got.date_of(got.horizon_days)
    assert got.start_date.year >= 1900, start
    assert end.year <= 2262, (start, end)
    assert got.projects[0].construction.start < end, (build, end)


# ----------------------------------------------------------------------------- file kinds, drawn

FILE_KINDS = [
    "valid",
    "valid-through-link",
    "bytes",
    "empty",
    "fifo",
    "dev-zero",
    "dev-null",
    "folder",
    "link-loop",
    "dangling-link",
    "over-cap",
]


def _make_kind(folder: Path, kind: str, data: bytes, suffix: str, valid: bytes, cap: int) -> Path:
    """A path of the given kind in ``folder``; nothing is opened that could block."""
    path = folder / f"input{suffix}"
    if kind in ("valid", "valid-through-link"):
        target = folder / f"real{suffix}" if kind == "valid-through-link" else path
        target.write_bytes(valid)
        if kind == "valid-through-link":
            path.symlink_to(target)
    elif kind == "bytes":
        path.write_bytes(data)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind in ("dev-zero", "dev-null"):
        path.symlink_to(f"/dev/{kind[4:]}")
    elif kind == "folder":
        path.mkdir()
    elif kind == "link-loop":
        path.symlink_to(folder / "other")
        (folder / "other").symlink_to(path)
    elif kind == "dangling-link":
        path.symlink_to(folder / "nowhere")
    else:
        with path.open("wb") as fh:  # sparse: no disk is used
            fh.truncate(cap + 1)
    return path


class _HangError(Exception):
    pass


def _within(seconds: float) -> Any:
    """A context in which a call that blocks (a FIFO opened) fails instead of hanging."""
    import contextlib
    import signal

    @contextlib.contextmanager
    def limit() -> Any:
        def expired(signum: int, frame: Any) -> None:
            raise _HangError

        old = signal.signal(signal.SIGALRM, expired)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)

    return limit()


_TINY_BYTES = shipped_scenarios()["tiny.yaml"].read_bytes()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(FILE_KINDS),
    data=st.binary(max_size=300),
    suffix=st.sampled_from([".yaml", ".yml", ".toml", ".json", ".txt", ""]),
)
def test_any_file_kind_as_a_scenario_loads_or_gets_one_line(kind, data, suffix):
    """A scenario path of any kind: the scenario, or one line naming the path; never a hang
    (a FIFO or /dev/zero read), never another exception."""
    import tempfile

    from riskmc.scenario import load_scenario
    from riskmc.scenario.files import SCENARIO_MAX_BYTES

    with tempfile.TemporaryDirectory() as folder:
        path = _make_kind(Path(folder), kind, data, suffix, _TINY_BYTES, SCENARIO_MAX_BYTES)
        try:
            with _within(10):
                got = load_scenario(path)
        except _HangError:
            pytest.fail(f"hang: load_scenario of a {kind}")
        except ScenarioError as exc:
            message = str(exc)
            assert "\n" not in message, repr(message)
            assert path.name in message, message
            return
        assert kind in ("valid", "valid-through-link"), kind
        assert suffix in (".yaml", ".yml"), suffix
        assert got.name == "tiny"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(FILE_KINDS),
    data=st.binary(max_size=300),
    fmt=st.sampled_from(["acled", "gtd"]),
)
def test_any_file_kind_as_events_reads_or_gets_one_line(kind, data, fmt):
    """An event export of any kind: a table, or one line naming the file; never a hang."""
    import tempfile

    from riskmc.calibration.errors import EventFileError
    from riskmc.calibration.readers import read_events
    from riskmc.scenario.files import EVENT_FILE_MAX_BYTES

    with tempfile.TemporaryDirectory() as folder:
        valid = _acled(Path(folder) / "made.csv", ["2023-02-01", "2023-06-01"]).read_bytes()
        path = _make_kind(Path(folder), kind, data, ".csv", valid, EVENT_FILE_MAX_BYTES)
        try:
            with _within(10):
                got = read_events(path, fmt)
        except _HangError:
            pytest.fail(f"hang: read_events of a {kind}")
        except EventFileError as exc:
            message = str(exc)
            assert "\n" not in message, repr(message)
            assert path.name in message, message
            return
        assert kind in ("valid", "valid-through-link"), kind
        assert fmt == "acled", fmt
        assert len(got.events) + len(got.excluded) == 2


# ----------------------------------------------------------------------------- run folders tampered

# Wrong or lost data: a run folder (or a saved result) edited, mixed with another run's files,
# or asked to shrink, then resumed or reported. Each case must end in one line naming the
# file or the rule, and leave every byte of the folder as it was (the lock file aside, which
# holds the process id of the last run to take the folder).


def _edit_json(path: Path, **changes: Any) -> None:
    import json

    doc = json.loads(path.read_text())
    doc.update(changes)
    path.write_text(json.dumps(doc))


def _edit_outcomes(path: Path, edit: Callable[[Any], Any]) -> None:
    import pandas as pd

    edit(pd.read_parquet(path)).to_parquet(path, index=False)


def _swap_chunk(run: Path, other: Path) -> None:
    name = "000000000010-000000000020.parquet"
    (run / "chunks" / name).write_bytes((other / "chunks" / name).read_bytes())


def _link_lock(run: Path, other: Path) -> None:
    (run / ".lock").unlink()
    (run / ".lock").symlink_to(other / "result.json")


def _fifo(name: str) -> Callable[[Path, Path], None]:
    def edit(run: Path, other: Path) -> None:
        (run / name).unlink()
        os.mkfifo(run / name)

    return edit


def _dup_row(frame: Any) -> Any:
    frame.loc[5, "replication"] = frame.loc[4, "replication"]
    return frame


def _inf_delay(frame: Any) -> Any:
    frame.loc[3, "delay_days"] = math.inf
    return frame


TAMPER_CASES: list[tuple[Any, ...]] = [
    # (id, the edit of the seed-1 run given the seed-2 run, the command, text the line holds)
    ("chunk-of-another-seed", _swap_chunk, ["run", "--out", "{run}", "--resume"], "not a chunk"),
    (
        "manifest-seed-edited",
        lambda r, o: _edit_json(r / "manifest.json", seed=2),
        ["run", "--out", "{run}", "--resume"],
        "digest",
    ),
    (
        "manifest-replications-edited",
        lambda r, o: _edit_json(r / "manifest.json", replications=10),
        ["report", "{run}"],
        "digest",
    ),
    ("resume-fewer", None, ["run", "--out", "{run}", "--resume", "-n", "10"], "shrink"),
    (
        "resume-lower-cap",
        None,
        [
            "run",
            "--out",
            "{run}",
            "--resume",
            "-n",
            "10",
            "--precision",
            "0.9",
            "--max-replications",
            "20",
        ],
        "shrink",
    ),
    (
        "outcomes-of-another-seed",
        lambda r, o: (r / "outcomes.parquet").write_bytes((o / "outcomes.parquet").read_bytes()),
        ["report", "{run}"],
        "two runs",
    ),
    (
        "result-json-of-another-seed",
        lambda r, o: (r / "result.json").write_bytes((o / "result.json").read_bytes()),
        ["export", "{run}", "--to", "xlsx", "-o", "{run}/../book.xlsx"],
        "two runs",
    ),
    (
        "result-json-replications-edited",
        lambda r, o: _edit_json(r / "result.json", replications=30),
        ["report", "{run}"],
        "result.json",
    ),
    (
        "a-replication-twice",
        lambda r, o: _edit_outcomes(r / "outcomes.parquet", _dup_row),
        ["report", "{run}"],
        "appears twice",
    ),
    (
        "an-infinite-delay",
        lambda r, o: _edit_outcomes(r / "outcomes.parquet", _inf_delay),
        ["report", "{run}"],
        "delay_days",
    ),
    ("lock-a-link", _link_lock, ["run", "--out", "{run}", "--resume"], "symbolic link"),
    ("scenario-json-a-fifo", _fifo("scenario.json"), ["run", "--out", "{run}", "--resume"], "FIFO"),
    (
        "chunks-a-link",
        lambda r, o: (shutil.rmtree(r / "chunks"), (r / "chunks").symlink_to(o / "chunks")),
        ["run", "--out", "{run}", "--resume"],
        "symbolic link",
    ),
    (
        "plots-a-file",
        lambda r, o: (shutil.rmtree(r / "plots"), (r / "plots").write_text("mine")),
        ["run", "--out", "{run}", "--resume"],
        "plots",
    ),
    (
        "new-run-over-a-finished-one",
        None,
        ["run", str(shipped_scenarios()["tiny.yaml"]), *RUN, "--out", "{run}"],
        "already holds a run",
    ),
]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple[Path, Path]:
    """Finished runs of the tiny scenario, seeds 1 and 2, 40 replications in chunks of 10."""
    root = tmp_path_factory.mktemp("runs")
    tiny = str(shipped_scenarios()["tiny.yaml"])
    commands = [
        ["run", tiny, "-n", "40", "--seed", str(seed), "--chunk-size", "10", "--workers", "1",
         "--out", str(root / f"seed{seed}")]
        for seed in (1, 2)
    ]  # fmt: skip
    for command in commands:  # one after the other, without the cases' timeout: set-up
        assert EXE is not None
        done = subprocess.run([EXE, *command], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, (command, done.stderr)
    return root / "seed1", root / "seed2"


@pytest.mark.parametrize(
    ("edit", "command", "names"), [pytest.param(*c[1:], id=c[0]) for c in TAMPER_CASES]
)
def test_a_tampered_run_folder_is_refused_and_left_as_it_was(
    tmp_path, two_runs, edit, command, names
):
    seed1, seed2 = two_runs
    run, other = tmp_path / "run", tmp_path / "other"
    shutil.copytree(seed1, run, symlinks=True)
    shutil.copytree(seed2, other, symlinks=True)
    if edit is not None:
        edit(run, other)
    before = {k: v for k, v in _snapshot(tmp_path, skip="").items() if not k.endswith(".lock")}
    args = [a.format(run=run) for a in command]
    ((rc, out, err),) = _riskmc([args], tmp_path)
    _assert_clean(args, rc, out, err, [names])
    assert rc == 2, f"accepted: riskmc {' '.join(args)}\n{out[-1000:]}"
    after = {k: v for k, v in _snapshot(tmp_path, skip="").items() if not k.endswith(".lock")}
    assert after == before, "a refused command changed the folder"
