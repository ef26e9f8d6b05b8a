"""Hawkes with spillover to adjacent districts: likelihood by brute force, recovery.

The likelihood (:func:`riskmc.calibration.hawkes.spillover_loglik`) is checked
against a pair-by-pair sum written from its definition (the day rule
included) and its gradient against differences; the fit recovers n and the
spillover share from riskmc's own hazard written as ACLED and calibrated.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from riskmc.calibration.hawkes import hawkes_loglik, spillover_loglik
from riskmc.calibration.sample import EventSample

from .test_recovery import _calibrated, _scenario

NEIGHBOURS = [[1], [0, 2], [1], []]
T = 60.0


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(0)
    d = rng.integers(0, 4, 150)
    day = rng.integers(0, int(T), 150)
    sample = EventSample.from_days(["A", "B", "C", "D"], d, day, date(2020, 1, 1), int(T))
    district = np.repeat(np.arange(4), sample.counts)
    order = np.argsort(sample.times, kind="stable")
    ptr = np.r_[0, np.cumsum([len(x) for x in NEIGHBOURS])].astype(np.int64)
    idx = np.array([e for x in NEIGHBOURS for e in x], dtype=np.int64)
    return sample, sample.times[order], district[order], ptr, idx


def brute(times, district, mu, n, s, tau):
    """The log-likelihood pair by pair (module docstring of the fit: the day rule)."""
    c = tau - tau * tau * (1 - math.exp(-1 / tau))
    total = -T * mu.sum()
    for i in range(len(times)):
        e, lam = district[i], mu[district[i]]
        for j in range(len(times)):
            dj = district[j]
            deg = len(NEIGHBOURS[dj])
            own = 1 - s if deg else 1.0
            w = own if dj == e else (s / deg if e in NEIGHBOURS[dj] else 0.0)
            same_day = math.floor(times[j]) == math.floor(times[i])
            if w and dj != e and same_day:
                lam += n / tau * w * c
            elif w and times[j] < times[i] and (dj == e or not same_day):
                lam += n / tau * w * math.exp(-(times[i] - times[j]) / tau)
        total += math.log(lam) - n * (1 - math.exp(-(T - times[i]) / tau))
    return total


def test_likelihood_and_gradient_by_brute_force(small):
    _, times, district, ptr, idx = small
    mu, n, s, tau = np.array([0.1, 0.2, 0.15, 0.05]), 0.4, 0.3, 5.0
    gm, g = np.zeros(4), np.zeros(3)
    ll = spillover_loglik(times, district, ptr, idx, T, mu, n, s, tau, gm, g)
    assert ll == pytest.approx(brute(times, district, mu, n, s, tau), rel=1e-12)
    eps = 1e-6
    for k, (dn, ds, dtau) in enumerate([(eps, 0, 0), (0, eps, 0), (0, 0, eps)]):
        up = brute(times, district, mu, n + dn, s + ds, tau + dtau)
        down = brute(times, district, mu, n - dn, s - ds, tau - dtau)
        assert g[k] == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-6)
    e1 = np.array([0, eps, 0, 0])
    diff = brute(times, district, mu + e1, n, s, tau) - brute(times, district, mu - e1, n, s, tau)
    assert gm[1] == pytest.approx(diff / (2 * eps), rel=1e-5)


def test_without_spillover_it_is_the_plain_likelihood(small):
    sample, times, district, ptr, idx = small
    mu = np.array([0.1, 0.2, 0.15, 0.05])
    a = spillover_loglik(times, district, ptr, idx, T, mu, 0.4, 0.0, 5.0, np.zeros(4), np.zeros(3))
    b = hawkes_loglik(sample.times, sample.offsets, T, mu, 0.4, 5.0, np.zeros(4), np.zeros(2))
    assert a == pytest.approx(b, rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_calibrate_recovers_branching_and_spillover(tmp_path, seed):
    # Twice the default rates, n = 0.5, a one-week decay, spillover 0.3: the fit without
    # spillover gave n about 0.35 (issue 21), the offspring in neighbours passing for
    # background.
    scenario = _scenario("hawkes", 2.0, branching_ratio=0.5, decay_days=7.0, spillover=0.3)
    cal = _calibrated(tmp_path, scenario, seed=seed)
    assert cal.spillover is not None
    assert cal.spillover.chosen
    fit = cal.hawkes
    assert fit.branching_ratio == pytest.approx(0.5, rel=0.15)
    assert fit.spillover == pytest.approx(0.3, rel=0.15)
    assert abs(fit.spillover - 0.3) < 4 * fit.se_spillover
    block = cal.block()
    s = block["hazard"]["spillover"]
    assert s["dist"] == "beta"
    assert s["a"] / (s["a"] + s["b"]) == pytest.approx(fit.spillover, rel=1e-4)
    assert "spillover to adjacent districts" in cal.report()


def test_no_spillover_is_not_written_for_data_without_it(tmp_path):
    scenario = _scenario("hawkes", 2.0, branching_ratio=0.5, decay_days=7.0, spillover=0.0)
    cal = _calibrated(tmp_path, scenario, seed=3)
    assert cal.spillover is not None
    assert not cal.spillover.chosen  # a 1 % test: this seed is not among its false alarms
    assert cal.block()["hazard"]["spillover"] == 0.0
    assert cal.hawkes.branching_ratio == pytest.approx(0.5, rel=0.15)
