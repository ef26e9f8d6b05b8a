"""Known answers: counts, clustering, closure shares, campaigns, stress events.

Tolerances are Z standard errors of the Monte Carlo estimate (conftest.Z).
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

import riskmc
from riskmc.hazard.processes import hawkes_count_variance, negbin_count_variance

from .conftest import Z, build, counts_per_replication, variance_se

YEAR = 365.25


def _counts(doc, reps, seed=1):
    s = build(doc)
    h = riskmc.sample_hazard(s, reps, seed=seed)
    return counts_per_replication(h.attacks, reps), s


def test_poisson_counts_mean_and_variance(quiet):
    quiet["districts"][0]["attacks_per_year"] = 24
    reps = 4000
    n, s = _counts(quiet, reps)
    m = 24 * s.horizon_years
    assert abs(n.mean() - m) < Z * math.sqrt(m / reps)
    # Var of the sample variance of a Poisson count: (m + 2 m^2) / reps.
    assert abs(n.var(ddof=1) - m) < Z * math.sqrt((m + 2 * m * m) / reps)


@pytest.mark.parametrize("k", [0.8, 3.0])
def test_negbin_variance(quiet, k):
    quiet["districts"][0]["attacks_per_year"] = 24
    quiet["hazard"].update(process="negbin", dispersion=k)
    reps = 4000
    n, s = _counts(quiet, reps)
    m = 24 * s.horizon_years
    assert abs(n.mean() - m) < Z * n.std() / math.sqrt(reps)
    assert abs(n.var(ddof=1) - negbin_count_variance(m, k)) < Z * variance_se(n.astype(float))


@pytest.mark.parametrize("n_br", [0.0, 0.3, 0.7])
def test_hawkes_long_run_rate_is_attacks_per_year(quiet, n_br):
    quiet["districts"][0]["attacks_per_year"] = 24
    quiet["hazard"].update(process="hawkes", branching_ratio=n_br, decay_days=10)
    reps = 2000
    n, s = _counts(quiet, reps)
    m = 24 * s.horizon_years
    assert abs(n.mean() - m) < Z * n.std() / math.sqrt(reps)


def test_hawkes_variance_to_mean_ratio(quiet):
    n_br, tau, rate = 0.5, 5.0, 36.0
    quiet["districts"][0]["attacks_per_year"] = rate
    quiet["hazard"].update(process="hawkes", branching_ratio=n_br, decay_days=tau)
    quiet["horizon_years"] = 20  # window / decay = 1461
    reps = 3000
    n, s = _counts(quiet, reps)
    lam = rate / YEAR
    expected = hawkes_count_variance(lam, s.horizon_days, n_br, tau)
    assert abs(n.var(ddof=1) - expected) < Z * variance_se(n.astype(float))
    # For a window much longer than the decay, the ratio approaches 1 / (1 - n)^2.
    ratio = expected / (lam * s.horizon_days)
    assert ratio == pytest.approx(1 / (1 - n_br) ** 2, rel=0.01)
    assert abs(n.var(ddof=1) / n.mean() - 4.0) < 0.15 * 4.0


def test_hawkes_variance_in_a_window_shorter_than_the_clusters(quiet):
    # T / tau = 6: the variance is well below its long-window limit, by an
    # amount set by the delays' law and by which parent each child has, so
    # this checks the time structure of the clusters, not only their sizes.
    # (About 90 parents a generation here, one chunk; the ratio test above
    # has about 370, more than one.)
    n_br, tau, rate = 0.7, 60.0, 40.0
    quiet["districts"][0]["attacks_per_year"] = rate
    quiet["hazard"].update(process="hawkes", branching_ratio=n_br, decay_days=tau)
    quiet["horizon_years"] = 1
    reps = 4000
    n, s = _counts(quiet, reps)
    lam = rate / YEAR
    expected = hawkes_count_variance(lam, s.horizon_days, n_br, tau)
    assert expected / (lam * s.horizon_days) == pytest.approx(6.47, abs=0.01)
    assert abs(n.mean() - lam * s.horizon_days) < Z * n.std() / math.sqrt(reps)
    assert abs(n.var(ddof=1) - expected) < Z * variance_se(n.astype(float))


def test_hawkes_spillover_keeps_the_province_mean(quiet):
    quiet["districts"][0]["attacks_per_year"] = 30
    quiet["districts"].append(
        {"name": "Beta", "attacks_per_year": 0, "targets": {"other": 1.0}, "neighbours": ["Alpha"]}
    )
    quiet["hazard"].update(process="hawkes", branching_ratio=0.6, decay_days=7, spillover=0.5)
    reps = 1500
    s = build(quiet)
    h = riskmc.sample_hazard(s, reps, seed=3)
    total = counts_per_replication(h.attacks, reps)
    m = 30 * s.horizon_years
    assert abs(total.mean() - m) < Z * total.std() / math.sqrt(reps)
    beta = (h.attacks["district"] == "Beta").groupby(h.attacks["replication"]).sum()
    # Beta has no background: every attack there is a spilled-over child.
    assert beta.mean() > 0
    assert set(h.attacks.loc[h.attacks["district"] == "Beta", "kind"]) == {"triggered"}


def test_hawkes_without_spillover_keeps_each_district_mean(quiet):
    quiet["districts"][0]["attacks_per_year"] = 30
    quiet["districts"].append(
        {"name": "Beta", "attacks_per_year": 6, "targets": {"other": 1.0}, "neighbours": ["Alpha"]}
    )
    quiet["hazard"].update(process="hawkes", branching_ratio=0.6, decay_days=7, spillover=0.0)
    reps = 1500
    s = build(quiet)
    h = riskmc.sample_hazard(s, reps, seed=6)
    for name, rate in (("Alpha", 30), ("Beta", 6)):
        n = counts_per_replication(h.attacks[h.attacks["district"] == name], reps)
        m = rate * s.horizon_years
        assert abs(n.mean() - m) < Z * n.std() / math.sqrt(reps)


def test_share_of_time_closed_is_one_minus_exp(quiet):
    rate, p, d = 50.0, 0.8, 3.0
    quiet["districts"][0].update(attacks_per_year=rate, targets={"road": 1.0})
    quiet["hazard"]["closures"]["road"] = {"probability": p, "days": d}
    reps = 1500
    s = build(quiet)
    h = riskmc.sample_hazard(s, reps, seed=5)
    c = h.closures
    # Closed time within [d, T] of each replication (no closure can begin before 0).
    lo, hi = d, s.horizon_days
    closed = (np.minimum(c["end"], hi) - np.maximum(c["start"], lo)).clip(lower=0)
    share = closed.groupby(c["replication"]).sum().reindex(range(reps), fill_value=0) / (hi - lo)
    r = rate * p / YEAR
    expected = 1 - math.exp(-r * d)
    assert abs(share.mean() - expected) < Z * share.std() / math.sqrt(reps)


def test_road_attacks_close_road_segments_only(quiet):
    quiet["districts"][0].update(attacks_per_year=100, targets={"rail": 0.5, "other": 0.5})
    quiet["hazard"]["closures"]["rail"] = {"probability": 1.0, "days": 2}
    h = riskmc.sample_hazard(build(quiet), 50, seed=1)
    assert len(h.closures) == 0  # the tiny network has no rail segment


def test_campaigns(quiet):
    quiet["districts"].append({"name": "Beta", "attacks_per_year": 0, "targets": {"other": 1.0}})
    quiet["hazard"]["campaigns"].update(
        rate_per_year=2,
        duration_days=4,
        join_probability={"default": 1.0, "Beta": 0.0},
        attacks_per_district=3,
        blackout_probability=1.0,
        blackout_days=6,
        seizures=[{"place": "Port", "probability": 1.0, "days": 5}],
    )
    reps = 2000
    s = build(quiet)
    h = riskmc.sample_hazard(s, reps, seed=2)
    n_camp = counts_per_replication(h.campaigns, reps)
    m = 2 * s.horizon_years
    assert abs(n_camp.mean() - m) < Z * math.sqrt(m / reps)
    a = h.attacks
    assert set(a["kind"]) == {"campaign"}
    assert set(a["district"]) == {"Alpha"}
    per = counts_per_replication(a, reps)
    # Bursts are Poisson(3) per joining district per campaign: compound Poisson mean.
    assert abs(per.mean() - 3 * m) < Z * per.std() / math.sqrt(reps)
    camps = h.campaigns.set_index(["replication", "campaign"])
    within = a.join(camps, on=["replication", "campaign"])
    assert ((within["day"] >= within["start"]) & (within["day"] < within["end"] + 1e-9)).all()
    # Every campaign blacks out Alpha from its start and closes R1 (touching Port).
    assert set(h.blackouts["cause"]) <= {"campaign"}
    assert set(h.closures["cause"]) == {"seizure"}
    assert set(h.closures["segment"]) == {"R1"}


def test_province_wide_orders_black_out_every_district(quiet):
    quiet["districts"].append({"name": "Beta", "attacks_per_year": 0, "targets": {"other": 1.0}})
    quiet["hazard"]["blackouts"]["province_wide"] = {"rate_per_year": 3, "days": 0.5}
    reps = 1000
    s = build(quiet)
    h = riskmc.sample_hazard(s, reps, seed=4)
    b = h.blackouts
    per = b.groupby(["replication", "district"], observed=True).size().unstack(fill_value=0)
    assert (per["Alpha"] == per["Beta"]).all()
    m = 3 * s.horizon_years
    n = counts_per_replication(b[b["district"] == "Alpha"], reps)
    # Orders closer than 0.5 days merge, so the count is a little below Poisson's.
    assert abs(n.mean() - m) < Z * math.sqrt(m / reps) + m * (1 - math.exp(-3 * 0.5 / YEAR))


def test_stress_events_are_in_every_replication(quiet):
    quiet["stress"] = [
        {"kind": "closure", "segment": "R1", "start": "2026-03-01", "days": 10},
        {"kind": "blackout", "district": "all", "start": "2026-02-01", "days": 6},
        {"kind": "attack", "district": "Alpha", "target": "site", "start": "2026-05-01"},
        {"kind": "seizure", "place": "Mine", "start": "2027-01-01", "days": 4},
    ]
    reps = 20
    s = build(quiet)
    h = riskmc.sample_hazard(s, reps, seed=9)
    c = h.closures
    assert len(c) == 2 * reps
    first = c[c["start"] == s.day_of(date(2026, 3, 1))]
    assert len(first) == reps
    assert (first["end"] - first["start"] == 10).all()
    assert (c["cause"] == "stress").all()
    assert len(h.blackouts) == reps
    a = h.attacks
    assert len(a) == reps
    assert (a["target"] == "site").all()
    assert (a["kind"] == "stress").all()


def test_parameter_uncertainty_is_drawn_once_per_replication(quiet):
    quiet["districts"][0]["attacks_per_year"] = 30
    quiet["hazard"]["rate_multiplier"] = {"dist": "uniform", "low": 0.5, "high": 1.5}
    reps = 3000
    s = build(quiet)
    h = riskmc.sample_hazard(s, reps, seed=8)
    draws = h.parameter_draws
    assert list(draws.columns[:2]) == ["replication", "hazard.rate_multiplier"]
    mult = draws["hazard.rate_multiplier"].to_numpy()
    assert mult.min() >= 0.5
    assert mult.max() <= 1.5
    n = counts_per_replication(h.attacks, reps)
    # Two-level Monte Carlo: Var N = E[m] + Var(m), with m = 30 T x multiplier.
    m = 30 * s.horizon_years
    expected_var = m + m * m / 12
    assert abs(n.var(ddof=1) - expected_var) < Z * variance_se(n.astype(float))
    # and the count follows the drawn multiplier
    assert np.corrcoef(mult, n)[0, 1] > 0.9


def test_zero_hazard_has_no_events(quiet):
    h = riskmc.sample_hazard(build(quiet), 100, seed=1)
    assert h.n_events == 0
    assert len(h.attacks) == len(h.closures) == len(h.blackouts) == len(h.campaigns) == 0
