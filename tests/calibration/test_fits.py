"""The likelihoods against direct formulas, tie breaking, campaigns, model choice."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
from scipy import stats

from riskmc.calibration import (
    EventSample,
    ModelFit,
    choose_model,
    detect_campaigns,
    fit_hawkes,
    fit_negbin,
    fit_poisson,
)
from riskmc.calibration.calibrate import count_posterior
from riskmc.calibration.hawkes import hawkes_loglik

START = date(2020, 1, 1)


def _direct_loglik(times_by_district, horizon, mu, n, tau):
    """The Hawkes log-likelihood summed pair by pair, no recursion."""
    ll = 0.0
    for d, t in enumerate(times_by_district):
        for i, ti in enumerate(t):
            lam = mu[d] + sum(n / tau * math.exp(-(ti - tj) / tau) for tj in t[:i])
            ll += math.log(lam)
        ll -= mu[d] * horizon
        ll -= sum(n * (1 - math.exp(-(horizon - ti) / tau)) for ti in t)
    return ll


@pytest.fixture
def small_sample():
    rng = np.random.default_rng(11)
    times = [np.sort(rng.uniform(0, 200, size=k)) for k in (12, 0, 30)]
    flat = np.concatenate(times)
    offsets = np.r_[0, np.cumsum([len(t) for t in times])].astype(np.int64)
    return times, flat, offsets


@pytest.mark.parametrize("compiled", [True, False])
def test_hawkes_loglik_equals_the_direct_sum(small_sample, compiled):
    times, flat, offsets = small_sample
    fn = hawkes_loglik if compiled else hawkes_loglik.py_func
    mu = np.array([0.03, 0.01, 0.08])
    g_mu, g = np.zeros(3), np.zeros(2)
    ll = fn(flat, offsets, 200.0, mu, 0.4, 6.0, g_mu, g)
    assert ll == pytest.approx(_direct_loglik(times, 200.0, mu, 0.4, 6.0), rel=1e-12)


def test_hawkes_gradient_matches_differences(small_sample):
    _, flat, offsets = small_sample
    mu = np.array([0.03, 0.01, 0.08])
    g_mu, g = np.zeros(3), np.zeros(2)
    hawkes_loglik(flat, offsets, 200.0, mu, 0.4, 6.0, g_mu, g)
    scratch = (np.zeros(3), np.zeros(2))

    def ll(mu_, n_, tau_):
        return hawkes_loglik(flat, offsets, 200.0, mu_, n_, tau_, *scratch)

    h = 1e-6
    for d in range(3):
        e = np.zeros(3)
        e[d] = h
        assert g_mu[d] == pytest.approx(
            (ll(mu + e, 0.4, 6.0) - ll(mu - e, 0.4, 6.0)) / 2 / h, rel=1e-6
        )
    assert g[0] == pytest.approx((ll(mu, 0.4 + h, 6.0) - ll(mu, 0.4 - h, 6.0)) / 2 / h, rel=1e-6)
    assert g[1] == pytest.approx((ll(mu, 0.4, 6.0 + h) - ll(mu, 0.4, 6.0 - h)) / 2 / h, rel=1e-6)


def test_ties_are_spread_evenly_inside_their_day():
    s = EventSample.from_days(
        ["A", "B"], np.array([1, 0, 0, 0, 1]), np.array([4, 2, 2, 2, 4]), START, 10
    )
    assert s.district_times(0).tolist() == pytest.approx([2 + 1 / 6, 2.5, 2 + 5 / 6])
    assert s.district_times(1).tolist() == [4.25, 4.75]
    with pytest.raises(ValueError, match=r"\[0, horizon_days\)"):
        EventSample.from_days(["A"], np.array([0]), np.array([10]), START, 10)


def test_monthly_counts_cover_the_window_exactly():
    # 2020-01-15 .. 2020-03-10: Jan 17 days, Feb 29 (leap year), Mar 10.
    s = EventSample.from_days(
        ["A"], np.zeros(3, dtype=np.int64), np.array([0, 17, 46]), date(2020, 1, 15), 56
    )
    counts, exposure = s.monthly_counts()
    assert exposure.tolist() == [17, 29, 10]
    assert counts.tolist() == [[1, 1, 1]]


def test_poisson_loglik_closed_form():
    s = EventSample.from_days(["A", "B"], np.array([0, 0, 0, 1]), np.array([1, 5, 9, 3]), START, 20)
    fit = fit_poisson(s)
    assert fit.loglik == pytest.approx(3 * math.log(3 / 20) - 3 + math.log(1 / 20) - 1)
    assert fit.n_params == 2


def test_negbin_tends_to_poisson_on_even_counts():
    # Exactly one event a month in each district: no overdispersion at all.
    start = date(2019, 1, 1)
    days = [(date(2019 + m // 12, m % 12 + 1, 10) - start).days for m in range(36)]
    d = np.repeat([0, 1], 36)
    s = EventSample.from_days(["A", "B"], d, np.array(days * 2), start, 1095)
    nb, po = fit_negbin(s), fit_poisson(s)
    assert nb.dispersion > 1e3
    assert nb.model.loglik == pytest.approx(po.loglik, abs=0.05)
    assert nb.model.loglik >= po.loglik - 1e-3  # k is capped at 1e6: a gap of order N / k


def test_negbin_recovers_a_known_dispersion():
    # Monthly counts drawn as negative binomial with k = 2: the fitted k's
    # interval (2 standard errors of log k) must hold it.
    rng = np.random.default_rng(3)
    start = date(2000, 1, 1)
    k, months, rate = 2.0, 240, 3.0
    d_list, day_list = [], []
    horizon = (date(2020, 1, 1) - start).days
    for dist in range(5):
        for m in range(months):
            first = (date(2000 + m // 12, m % 12 + 1, 1) - start).days
            nxt = (date(2000 + (m + 1) // 12, (m + 1) % 12 + 1, 1) - start).days
            y = rng.poisson(rate * rng.gamma(k, 1 / k))
            day_list += list(rng.integers(first, nxt, size=y))
            d_list += [dist] * y
    s = EventSample.from_days(list("ABCDE"), np.array(d_list), np.array(day_list), start, horizon)
    nb = fit_negbin(s)
    assert abs(math.log(nb.dispersion / k)) < 2.6 * nb.se_log_dispersion
    assert nb.se_log_dispersion < 0.2


def test_hawkes_on_poisson_data_finds_little_excitation():
    rng = np.random.default_rng(5)
    n_ev = rng.poisson(20 * 3650 / 365.25, size=10)
    d = np.repeat(np.arange(10), n_ev)
    day = rng.integers(0, 3650, size=n_ev.sum())
    s = EventSample.from_days([str(i) for i in range(10)], d, day, START, 3650)
    fit = fit_hawkes(s)
    # n = 0 lies on the boundary; the estimate must be within 3 standard
    # errors of it (and the background near the observed mean).
    assert fit.branching_ratio < 3 * max(fit.se_branching_ratio, 0.01)
    assert fit.long_run_per_year() == pytest.approx(n_ev / 10.0, rel=0.05)


def test_campaign_days_found_and_chance_days_not():
    rng = np.random.default_rng(9)
    n_d, horizon = 20, 3650
    d = rng.integers(0, n_d, size=2000)
    day = rng.integers(0, horizon, size=2000)
    # Two campaigns: 12 districts on day 1000, 9 on days 2000-2001.
    d = np.r_[d, np.arange(12), np.arange(9), np.arange(9)]
    day = np.r_[day, [1000] * 12, [2000] * 9, [2001] * 9]
    fit = detect_campaigns(d, day, [f"D{i}" for i in range(n_d)], START, horizon)
    assert fit.expected_by_chance < 0.05
    assert fit.count == 2
    assert fit.campaigns["start"].tolist() == [date(2022, 9, 27), date(2025, 6, 23)]
    assert fit.campaigns["days"].tolist() == [1, 2]
    assert fit.campaigns["districts"].tolist()[0] >= 12
    assert fit.campaign_event.sum() == ((day == 1000) | (day == 2000) | (day == 2001)).sum()


def test_model_choice_needs_a_significant_gain_then_the_lowest_aic():
    po = ModelFit("poisson", -1000.0, 20)
    # +1.5 in logL: AIC would prefer negbin (one parameter for 1.5), but the
    # test at 1 % does not reject Poisson (LR 3, p = 0.042).
    choice = choose_model({"poisson": po, "negbin": ModelFit("negbin", -998.5, 21)})
    assert choice.chosen == "poisson"
    p = choice.lr_tests["p_value"].iloc[0]
    assert p == pytest.approx(0.5 * stats.chi2.sf(3.0, 1))
    both = {
        "poisson": po,
        "negbin": ModelFit("negbin", -980.0, 21),
        "hawkes": ModelFit("hawkes", -975.0, 22),
    }
    assert choose_model(both).chosen == "hawkes"
    assert choose_model(both).table()["delta_aic"].min() == 0.0


def test_count_posterior_poisson_is_the_jeffreys_gamma():
    assert count_posterior(9, 1.0, 2.0) == (9.5, 0.5)


def test_count_posterior_clustered_is_wider_with_the_same_centre():
    shape1, scale1 = count_posterior(100, 1.0, 10.0)
    shape4, scale4 = count_posterior(100, 4.0, 10.0)
    assert shape4 * scale4 == pytest.approx(shape1 * scale1, rel=0.02)
    # Variance about 4 times as large.
    assert shape4 * scale4**2 == pytest.approx(4 * shape1 * scale1**2, rel=0.1)
