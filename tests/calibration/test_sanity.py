"""Calibration sanity (issue 24): implausible dates, fits that cannot be trusted,
intervals that hold their estimate, and output written whole or not at all.

Every case is checked through the API and through ``riskmc calibrate``.
"""

from __future__ import annotations

import errno
import os
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from riskmc.calibration import EventFileError, calibrate, read_acled, read_gtd
from riskmc.calibration import output as output_module
from riskmc.calibration.calibrate import count_posterior
from riskmc.calibration.fits import rate_interval
from riskmc.calibration.output import write_atomic
from riskmc.calibration.readers import plausible_window
from riskmc.cli import app

from .conftest import acled_row, gtd_row

runner = CliRunner()
TOMORROW = plausible_window()[1]
TOWNS = ("Quetta", "Mastung", "Nushki", "Chagai", "Kech", "Gwadar")


def _one_line(args: list[str]) -> str:
    """Run ``riskmc calibrate``; it must refuse with exit 2 and one line, no traceback."""
    result = runner.invoke(app, ["calibrate", *args])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def _town(name: str, **values: str) -> dict[str, str]:
    return acled_row(admin2=name, location=name, latitude="", longitude="", **values)


# ----------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("written", "rule"),
    [
        ("2999-01-01", f"date '2999-01-01' is after {TOMORROW} (tomorrow): "),
        ("16 May 2999", f"date '16 May 2999' is after {TOMORROW} (tomorrow): "),
        ("1900-05-01", "date '1900-05-01' is before 1970-01-01, the start of GTD "),
        ("0001-01-01", "date '0001-01-01' is before 1970-01-01, the start of GTD "),
    ],
)
def test_acled_dates_outside_the_window_are_refused(write_acled, written, rule):
    """Year 1 and 2999 used to overflow pandas' nanoseconds into a traceback."""
    path = write_acled([acled_row(), acled_row(), acled_row(event_date=written)])
    with pytest.raises(EventFileError) as info:
        read_acled(path)
    assert str(info.value).startswith(f"{path}: row 4, column event_date: {rule}")
    assert (info.value.row, info.value.column) == (4, "event_date")
    assert _one_line([str(path)]).startswith(f"error: {path}: row 4, column event_date: {rule}")


def test_acled_window_edges(write_acled):
    ok = write_acled([acled_row(event_date="1970-01-01"), acled_row(event_date=str(TOMORROW))])
    assert len(read_acled(ok).events) == 2
    late = write_acled([acled_row(event_date=str(TOMORROW + timedelta(days=1)))], name="b.csv")
    with pytest.raises(EventFileError, match=r"is after .* an event cannot be in the future$"):
        read_acled(late)
    early = write_acled([acled_row(event_date="1969-12-31")], name="c.csv")
    with pytest.raises(EventFileError) as info:
        read_acled(early)
    assert str(info.value) == (
        f"{early}: row 2, column event_date: date '1969-12-31' is before 1970-01-01, the start "
        "of GTD (ACLED starts in 1997)"
    )


@pytest.mark.parametrize(
    ("fields", "column", "rule"),
    [
        ({"iyear": "1900"}, "iyear", "date '1900-03-04' is before 1970-01-01"),
        # An unknown day does not set a year-1 row aside: it is refused.
        ({"iyear": "1", "imonth": "0", "iday": "0"}, "iyear", "date '1-00-00' is before"),
        ({"iyear": "2999"}, "iyear", f"date '2999-03-04' is after {TOMORROW} (tomorrow)"),
    ],
)
def test_gtd_dates_outside_the_window_are_refused(write_gtd, fields, column, rule):
    path = write_gtd([gtd_row(), gtd_row(**fields)])
    with pytest.raises(EventFileError) as info:
        read_gtd(path)
    assert str(info.value).startswith(f"{path}: row 3, column {column}: {rule}")
    line = _one_line([str(path), "--format", "gtd"])
    assert line.startswith(f"error: {path}: row 3, column {column}: {rule}")


def test_window_options_outside_the_window_are_refused(write_acled):
    path = write_acled([acled_row()])
    assert _one_line([str(path), "--start", "1900-01-01"]) == (
        "error: --start: 1900-01-01 is before 1970-01-01, the start of GTD"
    )
    assert _one_line([str(path), "--end", "2999-01-01"]) == (
        f"error: --end: 2999-01-01 is after {TOMORROW} (tomorrow): the window would count "
        "days not yet observed"
    )
    assert _one_line([str(path), "--start", "2024-05-01", "--end", "2024-01-01"]) == (
        "error: --start: 2024-05-01 is after --end 2024-01-01"
    )
    with pytest.raises(ValueError, match=r"^end: 2999-01-01 is after "):
        calibrate(path, end=date(2999, 1, 1))
    with pytest.raises(ValueError, match=r"^start: 2024-05-01 is after end 2024-01-01$"):
        calibrate(path, start=date(2024, 5, 1), end=date(2024, 1, 1))


# ----------------------------------------------------------------------------- trust

NO_RATE = (
    "the window is 1 day, shorter than 90 days: no rate can be estimated from it, so no "
    "parameter is written (give --start and --end if the source covered a longer period with "
    "no other event)"
)


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param([acled_row()], id="a single event"),
        pytest.param([_town(t) for t in TOWNS] * 2, id="every event on one day"),
    ],
)
def test_a_one_day_window_writes_no_parameter(write_acled, tmp_path, rows):
    """One campaign on one day used to be written as 548 campaigns a year."""
    path = write_acled(rows)
    cal = calibrate(path)
    assert cal.warnings == (NO_RATE,)
    assert cal.block("balochistan.yaml") == {}
    text = cal.to_yaml("balochistan.yaml")
    assert yaml.safe_load(text) is None  # not even extends: it cannot pass for a calibration
    assert f"# warning: {NO_RATE}\n" in text
    assert "NOT written" in cal.report()

    out = tmp_path / "out.yaml"
    result = runner.invoke(app, ["calibrate", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"warning: {NO_RATE}" in result.stdout.splitlines()
    assert f"wrote {out} (no parameters: see the warning)" in result.stdout
    assert out.read_text(encoding="utf-8") == text


def test_less_than_a_year_writes_poisson_rates_and_no_campaigns(write_acled):
    # Twelve events in Quetta over 166 days, and a campaign day (six districts).
    rows = [acled_row(event_date=f"2023-0{m}-{d:02d}") for m in range(1, 7) for d in (3, 17)]
    rows += [_town(t, event_date="2023-04-10") for t in TOWNS]
    path = write_acled(rows)
    cal = calibrate(path)
    assert cal.warnings == (
        "the window is 166 days, shorter than a year (365 days): Poisson rates are written, "
        "extrapolated to a year; no clustered model and no hazard.campaigns (the base "
        "scenario's stand)",
    )
    assert cal.campaigns.count == 1  # found, and reported, but not written
    block = cal.block()
    assert block["hazard"]["process"] == "poisson"
    assert "campaigns" not in block["hazard"]
    quetta = block["districts"][0]["attacks_per_year"]
    assert quetta == {"dist": "gamma", "shape": 12.5, "scale": pytest.approx(365.25 / 166)}
    assert "# hazard.campaigns is not written: the base scenario's campaigns stand." in (
        cal.to_yaml()
    )
    result = runner.invoke(app, ["calibrate", str(path), "--bare"])
    assert result.exit_code == 0, result.output
    assert f"warning: {cal.warnings[0]}" in result.stderr.splitlines()
    assert yaml.safe_load(result.stdout) == block


def test_events_of_one_day_in_a_given_window_are_fitted_as_poisson(write_acled):
    path = write_acled([acled_row()] * 5)  # five events in Quetta on 2023-02-16
    cal = calibrate(path, start=date(2020, 1, 1), end=date(2024, 12, 31))
    assert cal.warnings == (
        "the 5 background events are all on one day: no clustered model is written (a burst "
        "on one day cannot tell a cluster from a crowd)",
    )
    assert cal.process == "poisson"
    shape = cal.block()["districts"][0]["attacks_per_year"]["shape"]
    assert shape == 5.5
    result = runner.invoke(
        app, ["calibrate", str(path), "--bare", "--start", "2020-01-01", "--end", "2024-12-31"]
    )
    assert result.exit_code == 0, result.output
    assert f"warning: {cal.warnings[0]}" in result.stderr.splitlines()


def test_few_events_give_no_clustered_model(write_acled):
    rows = [acled_row(event_date=f"202{y}-0{m}-10") for y in (1, 2) for m in range(1, 8)]
    cal = calibrate(write_acled(rows), start=date(2021, 1, 1), end=date(2022, 12, 31))
    assert cal.warnings == ("14 background events, fewer than 20: no clustered model is written",)
    assert cal.process == "poisson"


def _bursts(write_acled, days: list[date]):
    path = write_acled([acled_row(event_date=d.isoformat()) for d in days])
    return path, calibrate(path, start=date(2021, 1, 1), end=date(2022, 12, 31))


def test_a_hawkes_fit_at_its_decay_bound_is_not_written(write_acled):
    # Eight events on each of four days: the triggering is faster than a day can show.
    days = [date(2021, 1, 5) + timedelta(days=200 * k) for k in range(4) for _ in range(8)]
    path, cal = _bursts(write_acled, days)
    assert cal.hawkes.decay_days == pytest.approx(0.25)
    assert cal.warnings == ("the hawkes fit is not written: decay at its bound 0.25 days",)
    assert cal.process == "negbin"  # the next by the choice rule
    assert "decay at its bound 0.25 days" in cal.report()
    result = runner.invoke(
        app, ["calibrate", str(path), "--bare", "--start", "2021-01-01", "--end", "2022-12-31"]
    )
    assert f"warning: {cal.warnings[0]}" in result.stderr.splitlines()
    assert yaml.safe_load(result.stdout)["hazard"]["process"] == "negbin"


def test_a_hawkes_fit_at_its_branching_bound_is_not_written(write_acled):
    # Sixty events ever closer together: a process that explodes, n pushed to 0.99.
    days = [date(2021, 1, 1) + timedelta(days=int(700 * (1 - 0.93**k))) for k in range(60)]
    _, cal = _bursts(write_acled, days)
    assert cal.hawkes.branching_ratio == pytest.approx(0.99)
    assert cal.warnings == ("the hawkes fit is not written: branching ratio at its bound 0.99",)
    assert cal.process == "negbin"


# ----------------------------------------------------------------------------- intervals


def test_a_district_without_events_has_an_interval_from_zero(write_acled):
    """Before: Gamma(1/2)'s central 90 % interval started above 0, the estimate."""
    rows = [acled_row(event_date=f"202{y}-{m:02d}-10") for y in (1, 2) for m in range(1, 13)]
    cal = calibrate(write_acled(rows), start=date(2021, 1, 1), end=date(2022, 12, 31))
    r = cal.rates
    assert (r["events"] == 0).sum() == 19
    assert (r.loc[r["events"] == 0, "low"] == 0.0).all()
    assert ((r["low"] <= r["rate"]) & (r["rate"] <= r["high"])).all()


@pytest.mark.parametrize("ratio", [1.0, 1.2, 4.0, 25.0, 400.0])
@pytest.mark.parametrize("years", [0.25, 1.0, 10.0])
def test_every_written_interval_holds_its_estimate(ratio, years):
    """N / T under Poisson (ratio 1); the written gamma's mean under a clustered model."""
    events = np.arange(0, 60)
    shape, scale = (
        np.array(x)
        for x in zip(*(count_posterior(int(n), ratio, years) for n in events), strict=True)
    )
    low, high = rate_interval(events, shape, scale)
    estimate = events / years if ratio == 1.0 else shape * scale
    assert np.all(low <= estimate)
    assert np.all(estimate <= high)


def test_a_one_event_district_under_hawkes_holds_its_estimate(write_acled):
    """Here N / T would fall below the interval: the clustered posterior lies above it."""
    days = [date(2021, 6, 1) + timedelta(days=k) for k in range(40)]
    rows = [acled_row(event_date=d.isoformat()) for d in days]
    rows.append(_town("Mastung", event_date="2022-03-01"))
    cal = calibrate(write_acled(rows), start=date(2021, 1, 1), end=date(2022, 12, 31))
    assert cal.process == "hawkes"
    r = cal.rates.set_index("district")
    assert r.loc["Mastung", "rate"] < r.loc["Mastung", "low"]  # N / T: not the estimate
    assert ((r["low"] <= r["estimate"]) & (r["estimate"] <= r["high"])).all()
    mastung = next(x for x in cal.report().splitlines() if x.strip().startswith("Mastung"))
    est, low, high = (r.loc["Mastung", k] for k in ("estimate", "low", "high"))
    assert f"{est:7.2f} [{low:6.2f}, {high:6.2f}]" in mastung


# ----------------------------------------------------------------------------- writing


@pytest.fixture
def two_years(write_acled) -> Path:
    rows = [acled_row(event_date=f"202{y}-{m:02d}-10") for y in (1, 2) for m in range(1, 13)]
    return write_acled(rows, name="events.csv")


def test_a_folder_as_out_is_refused(two_years, tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep", encoding="utf-8")
    line = _one_line([str(two_years), "--out", str(folder)])
    assert line == f"error: --out: {folder} is a folder; give the name of the file to write"
    assert [p.name for p in folder.iterdir()] == ["mine.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv", "results"]


def test_a_rename_onto_a_folder_leaves_nothing(tmp_path):
    """The API has no up-front check: the rename fails, and the temporary file goes."""
    folder = tmp_path / "out.yaml"
    folder.mkdir()
    with pytest.raises(IsADirectoryError):
        write_atomic(folder, "hazard: {}\n")
    assert [p.name for p in tmp_path.iterdir()] == ["out.yaml"]
    assert list(folder.iterdir()) == []


def _full_disk(monkeypatch):
    """Simulate a full disk: a real one cannot be made here.

    ``os.write`` on a file (not the terminal's descriptors 0-2) writes a few
    bytes, then fails with ENOSPC, as a disk that fills up mid-write does.
    """
    real = os.write

    def write(fd: int, data: bytes) -> int:
        if fd <= 2:
            return real(fd, data)
        real(fd, bytes(data[:10]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(output_module.os, "write", write)


def test_a_full_disk_leaves_the_old_file_and_no_temporary(two_years, tmp_path, monkeypatch):
    out = tmp_path / "calibrated.yaml"
    out.write_text("# Calibrated by `riskmc calibrate` earlier\n", encoding="utf-8")
    _full_disk(monkeypatch)
    line = _one_line([str(two_years), "--out", str(out)])
    assert line == f"error: {out}: cannot write: No space left on device"
    assert out.read_text(encoding="utf-8") == "# Calibrated by `riskmc calibrate` earlier\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calibrated.yaml", "events.csv"]

    cal = calibrate(two_years, start=date(2021, 1, 1), end=date(2022, 12, 31))
    with pytest.raises(OSError, match="No space left on device") as info:
        cal.write(tmp_path / "api.yaml")
    assert info.value.errno == errno.ENOSPC
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calibrated.yaml", "events.csv"]


def test_an_interrupted_write_leaves_no_temporary(tmp_path, monkeypatch):
    def interrupt(fd: int, data: bytes) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(output_module.os, "write", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "a.yaml", "x: 1\n")
    assert list(tmp_path.iterdir()) == []


def test_a_good_write_is_whole(two_years, tmp_path):
    out = tmp_path / "calibrated.yaml"
    result = runner.invoke(app, ["calibrate", str(two_years), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calibrated.yaml", "events.csv"]
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["extends"] == "balochistan.yaml"


def test_out_never_overwrites_a_file_calibrate_did_not_write(two_years, tmp_path):
    """Issue 24, nothing lost: a user's file in the way of --out is refused, byte for
    byte unchanged; an earlier calibration (its header) is replaced."""
    from typer.testing import CliRunner

    from riskmc.cli import app

    mine = tmp_path / "notes.yaml"
    mine.write_bytes(b"my own notes\n")
    result = CliRunner().invoke(app, ["calibrate", str(two_years), "--out", str(mine)])
    assert result.exit_code == 2
    assert "exists and riskmc calibrate did not write it" in result.stderr
    assert mine.read_bytes() == b"my own notes\n"
