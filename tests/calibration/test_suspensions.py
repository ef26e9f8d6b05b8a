"""Censored lognormal fit of suspension durations: known answers on simulated data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import riskmc
from riskmc.calibration import SuspensionFit, fit_reference_suspensions, fit_suspension_days

TRUE_MEDIAN = 30.0  # days
TRUE_SIGMA = 1.2


def _simulate(seed: int, n: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Lognormal durations, right-censored by independent lognormal follow-up times."""
    rng = np.random.default_rng(seed)
    durations = rng.lognormal(math.log(TRUE_MEDIAN), TRUE_SIGMA, size=n)
    follow_up = rng.lognormal(math.log(60.0), 1.0, size=n)
    censored = follow_up < durations
    return np.minimum(durations, follow_up), censored


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_recovers_median_and_sigma_under_random_censoring(seed):
    observed, censored = _simulate(seed)
    assert 0.15 < censored.mean() < 0.5  # the censoring matters
    fit = fit_suspension_days(observed, censored)
    assert fit.n == 2000
    assert fit.n_censored == int(censored.sum())
    assert abs(math.log(fit.median) - math.log(TRUE_MEDIAN)) < 4 * fit.se_log_median
    assert abs(math.log(fit.sigma) - math.log(TRUE_SIGMA)) < 4 * fit.se_log_sigma
    assert fit.median_ci[0] < fit.median < fit.median_ci[1]
    assert fit.sigma_ci[0] < fit.sigma < fit.sigma_ci[1]
    # n = 2000 pins the median within a few percent.
    assert 0.02 < fit.se_log_median < 0.06


def test_ignoring_censoring_would_miss_the_truth():
    # Sanity check of the simulation: treating bounds as exact biases the median down.
    observed, censored = _simulate(4)
    naive = fit_suspension_days(observed, np.zeros_like(censored))
    fit = fit_suspension_days(observed, censored)
    assert naive.median < TRUE_MEDIAN * math.exp(-4 * naive.se_log_median)
    assert abs(math.log(fit.median / TRUE_MEDIAN)) < 4 * fit.se_log_median


def test_without_censoring_equals_the_closed_form():
    rng = np.random.default_rng(11)
    t = rng.lognormal(2.0, 0.7, size=300)
    y = np.log(t)
    fit = fit_suspension_days(t, np.zeros(t.size, dtype=bool))
    assert fit.mu == pytest.approx(y.mean(), abs=1e-6)
    assert fit.sigma == pytest.approx(y.std(ddof=0), abs=1e-6)
    expected_ll = float(np.sum(stats.norm.logpdf(y, y.mean(), y.std()) - y))
    assert fit.log_likelihood == pytest.approx(expected_ll, abs=1e-6)
    # Observed information of the normal: se(mu) = sigma/sqrt(n), se(log sigma) = 1/sqrt(2n).
    assert fit.se_log_median == pytest.approx(y.std() / math.sqrt(t.size), rel=1e-4)
    assert fit.se_log_sigma == pytest.approx(1 / math.sqrt(2 * t.size), rel=1e-4)
    assert fit.n_censored == 0


def test_censored_rows_pull_the_median_up_versus_dropping_them():
    observed, censored = _simulate(5, n=400)
    with_bounds = fit_suspension_days(observed, censored)
    dropped = fit_suspension_days(observed[~censored], censored[~censored])
    assert with_bounds.median > dropped.median * 1.2
    assert with_bounds.n_censored > 0
    assert dropped.n_censored == 0


def test_a_long_censored_bound_raises_the_median_of_a_small_sample():
    exact = [4.0, 5.0, 17.0, 46.0, 103.0]
    base = fit_suspension_days(exact, [False] * 5)
    more = fit_suspension_days([*exact, 1500.0], [False] * 5 + [True])
    assert more.median > base.median
    assert more.n == 6


@pytest.mark.parametrize(
    ("durations", "censored", "match"),
    [
        ([5.0, -1.0, 10.0], [False, False, False], "> 0"),
        ([5.0, 0.0, 10.0], [False, False, False], "> 0"),
        ([5.0, float("nan"), 10.0], [False, False, False], "> 0"),
        ([5.0, 7.0, 10.0], [False, False], "length"),
        ([5.0, 7.0, 10.0], [False, True, True], "at least 2 uncensored"),
        ([5.0, 7.0], [True, True], "at least 2 uncensored"),
        ([6.0, 6.0, 9.0], [False, False, True], "all equal"),
        ([5.0, 7.0, 10.0], [0, 2, 1], "booleans"),
    ],
)
def test_bad_input_raises_one_line_value_error(durations, censored, match):
    with pytest.raises(ValueError, match=match) as info:
        fit_suspension_days(durations, censored)
    assert "\n" not in str(info.value)


def test_fit_is_frozen():
    fit = fit_suspension_days([3.0, 9.0, 27.0], [False, False, False])
    assert isinstance(fit, SuspensionFit)
    with pytest.raises(AttributeError):
        fit.median = 1.0  # type: ignore[misc]


def test_reference_table_fit_is_plausible():
    fit = fit_reference_suspensions()
    assert fit.n >= 20
    assert fit.n_censored >= 1
    # Suspensions in the table last from days to years: median between a day and a year.
    assert 1.0 < fit.median < 365.0
    assert fit.median_ci[0] < fit.median < fit.median_ci[1]
    pakistan = fit_reference_suspensions(["Pakistan"])
    assert pakistan.n >= 8
    assert pakistan.n < fit.n
    # The numbers the default scenario and docs/tail.md quote: a change to the table must
    # be carried to them (balochistan.yaml's suspension days, the docs' figures).
    assert (fit.n, fit.n_censored) == (23, 5)
    assert fit.median == pytest.approx(42.2, abs=0.05)
    assert fit.sigma == pytest.approx(2.12, abs=0.005)
    assert pakistan.median == pytest.approx(13.8, abs=0.05)
    assert pakistan.sigma == pytest.approx(1.26, abs=0.005)
    default = riskmc.default_scenario().projects[0].suspension
    assert default is not None
    assert (default.days.median, default.days.sigma) == (42, 2.1)
