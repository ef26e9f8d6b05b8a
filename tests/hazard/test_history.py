"""History: observed events before the start keep triggering attacks (SPEC 1b).

Known answers, for Hawkes with branching ratio n and exponential kernel of
mean tau (beta = 1 / tau), over the horizon [0, T]:

- N events at t0 = -D: their children after day 0 arrive at rate
  g(t) = N n beta exp(-beta (D + t)); every attack after day 0 triggers with
  phi(u) = n beta exp(-beta u). The expected rate of their descendants
  solves lambda = g + phi * lambda; by Laplace transforms
  Lambda(s) = G(s) / (1 - Phi(s)) = N n beta exp(-beta D) / (s + (1 - n) beta),
  so lambda(t) = N n beta exp(-beta D) exp(-(1 - n) beta t) and the expected
  count in [0, T] is

      N n exp(-D / tau) (1 - exp(-(1 - n) T / tau)) / (1 - n),

  which tends to the issue's N n exp(-D / tau) / (1 - n) as T grows.
- The background (rate b = attacks_per_year x (1 - n)) from day 0 with no
  simulated past (the history replaces it): an event at s has
  1 + n (1 - exp(-(1 - n) beta (T - s))) / (1 - n) members in [s, T] on
  average (the line above with N = 1, D = 0), so the count in [0, T] is

      b T / (1 - n) - b n tau (1 - exp(-(1 - n) T / tau)) / (1 - n)^2.
"""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import date, timedelta

import numpy as np
import pytest

import riskmc
from riskmc.calibration import EventFileError, read_history, resolve_history, write_synthetic_acled
from riskmc.hazard.history import HistoryEvents

from .conftest import Z, build, counts_per_replication

N_BR, TAU = 0.5, 7.0


def _hawkes(doc, rate=0.0, horizon_years=0.5, spillover=0.0):
    doc["districts"][0]["attacks_per_year"] = rate
    doc["horizon_years"] = horizon_years
    h = doc["hazard"]
    h["process"] = "hawkes"
    h["branching_ratio"] = N_BR
    h["decay_days"] = TAU
    h["spillover"] = spillover
    return build(doc)


def _at(n: int, t0: float, district: int = 0, window: float = -400.0) -> HistoryEvents:
    return HistoryEvents(np.full(n, t0), np.full(n, district, dtype=np.int64), window)


def history_mean(n_events: int, lag: float, horizon: float) -> float:
    """Expected descendants in [0, horizon] of n_events events at -lag (module docstring)."""
    return (
        n_events
        * N_BR
        * math.exp(-lag / TAU)
        * (1 - math.exp(-(1 - N_BR) * horizon / TAU))
        / (1 - N_BR)
    )


def cold_background_mean(per_year: float, horizon: float) -> float:
    """Expected attacks in [0, horizon] of the background and its offspring from day 0."""
    b = per_year / 365.25 * (1 - N_BR)
    decay = 1 - math.exp(-(1 - N_BR) * horizon / TAU)
    return b * horizon / (1 - N_BR) - b * N_BR * TAU * decay / (1 - N_BR) ** 2


def _check_mean(counts: np.ndarray, expected: float) -> None:
    se = counts.std(ddof=1) / math.sqrt(len(counts))
    assert abs(counts.mean() - expected) < Z * se, (counts.mean(), expected, se)


@pytest.mark.parametrize("lag", [0.0, 7.0, 20.0])
def test_history_offspring_mean_is_the_closed_form(quiet, lag):
    sc = _hawkes(quiet)
    reps = 4000
    h = riskmc.sample_hazard(sc, reps, seed=5, threads=1, history=_at(50, -lag))
    counts = counts_per_replication(h.attacks, reps)
    _check_mean(counts, history_mean(50, lag, sc.horizon_days))
    assert (h.attacks["day"] >= 0).all()
    assert set(h.attacks["kind"].astype(str)) <= {"triggered"}


def test_history_replaces_the_simulated_past(quiet):
    sc = _hawkes(quiet, rate=40.0, horizon_years=0.25)
    reps = 4000
    hist = _at(30, -3.0)
    with_h = riskmc.sample_hazard(sc, reps, seed=8, threads=1, history=hist)
    counts = counts_per_replication(with_h.attacks, reps)
    expected = cold_background_mean(40.0, sc.horizon_days) + history_mean(30, 3.0, sc.horizon_days)
    _check_mean(counts, expected)
    # Without history the past is simulated: the stationary mean, 40 a year.
    plain = riskmc.sample_hazard(sc, reps, seed=8, threads=1)
    _check_mean(counts_per_replication(plain.attacks, reps), 40.0 * sc.horizon_days / 365.25)


def test_poisson_ignores_history(quiet):
    quiet["districts"][0]["attacks_per_year"] = 24
    sc = build(quiet)
    a = riskmc.sample_hazard(sc, 30, seed=1, threads=1)
    b = riskmc.sample_hazard(sc, 30, seed=1, threads=1, history=_at(50, -1.0))
    assert a.attacks.equals(b.attacks)


def test_spillover_sends_history_children_to_neighbours(quiet):
    second = dict(quiet["districts"][0], name="Beta", neighbours=["Alpha"])
    quiet["districts"].append(second)
    sc = _hawkes(quiet, spillover=1.0)
    h = riskmc.sample_hazard(sc, 500, seed=3, threads=1, history=_at(20, -1.0))
    first_gen = h.attacks.sort_values("day").groupby("replication").head(1)
    # With spillover 1 every child of an Alpha event lands in Beta, and theirs back in Alpha.
    assert (first_gen["district"].astype(str) == "Beta").all()


def test_same_seed_same_history_is_bit_identical(quiet):
    sc = _hawkes(quiet, rate=24.0)
    a = riskmc.sample_hazard(sc, 50, seed=4, history=_at(10, -2.0))
    b = riskmc.sample_hazard(sc, 50, seed=4, threads=1, history=_at(10, -2.0))
    assert a.attacks.equals(b.attacks)


# ----------------------------------------------------------------------------- files


def _write_history(quiet, path, start: date) -> riskmc.Scenario:
    """An ACLED export of one year of tiny's Hawkes attacks ending the day before ``start``."""
    doc = dict(quiet)
    doc["start_date"] = (start - timedelta(days=366)).isoformat()
    past = _hawkes(doc, rate=24.0, horizon_years=1.0)
    write_synthetic_acled(past, path, seed=1)
    return past


def test_history_file_in_scenario_and_on_the_command_line(quiet, tmp_path):
    start = date(2026, 1, 1)
    _write_history(quiet, tmp_path / "events.csv", start)
    quiet["start_date"] = start.isoformat()
    sc = _hawkes(quiet, rate=24.0)
    hist = read_history(tmp_path / "events.csv", "acled", sc)
    assert len(hist) > 10
    assert (hist.day < 0).all()
    assert hist.window_start <= hist.day.min()
    # The scenario key, relative to the scenario file's folder.
    quiet["hazard"]["history"] = {"events": "events.csv", "format": "acled"}
    import yaml

    (tmp_path / "s.yaml").write_text(yaml.safe_dump(quiet))
    loaded = riskmc.load_scenario(tmp_path / "s.yaml")
    with pytest.raises(ValueError, match="is not read yet"):
        riskmc.sample_hazard(loaded, 2, seed=2, threads=1)
    resolved = resolve_history(loaded)  # what riskmc run and riskmc.simulate do
    assert len(resolved.hazard.history.days) == len(hist)
    assert resolved.fingerprint() != loaded.fingerprint()
    a = riskmc.sample_hazard(resolved, 20, seed=2, threads=1)
    b = riskmc.sample_hazard(sc, 20, seed=2, threads=1, history=hist)
    assert a.attacks.equals(b.attacks)
    c = riskmc.sample_hazard(sc, 20, seed=2, threads=1)
    assert not a.attacks.equals(c.attacks)
    # riskmc.simulate reads the file itself (the workers get the events in the scenario)
    result = riskmc.simulate(loaded, 10, seed=2, workers=1)
    assert result.scenario.hazard.history.days == resolved.hazard.history.days


def test_history_file_errors(quiet, tmp_path):
    start = date(2026, 1, 1)
    _write_history(quiet, tmp_path / "events.csv", start)
    quiet["start_date"] = (start - timedelta(days=30)).isoformat()
    sc = _hawkes(quiet, rate=24.0)
    with pytest.raises(EventFileError, match=r"row \d+, column event_date: date .* is not before"):
        read_history(tmp_path / "events.csv", "acled", sc)
    quiet["start_date"] = start.isoformat()
    quiet["districts"][0]["name"] = "Elsewhere"
    quiet["network"]["places"] = [dict(p, district="Elsewhere") for p in quiet["network"]["places"]]
    quiet["network"]["segments"][0]["districts"] = ["Elsewhere"]
    other = _hawkes(quiet, rate=24.0)
    with pytest.raises(EventFileError, match="maps no event to a district"):
        read_history(tmp_path / "events.csv", "acled", other)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(EventFileError, match=r"empty\.csv"):
        read_history(tmp_path / "empty.csv", "acled", other)


CLI = [sys.executable, "-c", "from riskmc.cli import main; main()", "run", "-n", "4"]


def test_cli_history_errors_are_one_line(tmp_path):
    bad = str(tmp_path / "bad.csv")
    (tmp_path / "bad.csv").write_text("not,an,export\n1,2,3\n")
    run = [*CLI, "--history", bad, "--format", "acled", "--out", str(tmp_path / "run")]
    out = subprocess.run(run, capture_output=True, text=True, check=False)
    assert out.returncode == 2, out.stderr
    lines = [x for x in out.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, out.stderr
    assert "bad.csv" in lines[0]
    out = subprocess.run([*CLI, "--history", bad, "--format", "xml"], capture_output=True,
                         text=True, check=False)  # fmt: skip
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0, out.stderr
    assert "format" in out.stderr
