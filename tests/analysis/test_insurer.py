"""The insurer's view (SPEC 4b): return-period losses by hand, a compound Poisson process."""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import poisson

import riskmc
from riskmc.analysis.insurer import (
    annual_losses,
    exceedance_curve,
    insurer_view,
    return_period_loss,
    technical_premium,
)
from riskmc.scenario import read_document, scenario_from_dict, shipped_scenarios

TEN_YEARS = [0.0, 3.0, 0.0, 0.0, 8.0, 0.0, 1.0, 0.0, 0.0, 5.0]


def test_the_1_in_10_loss_of_ten_years_is_the_largest() -> None:
    assert return_period_loss(TEN_YEARS, 10)[0] == 8.0
    assert return_period_loss(TEN_YEARS, 5)[0] == 5.0  # the second largest
    assert return_period_loss(TEN_YEARS, 10 / 3)[0] == 3.0  # the third
    assert return_period_loss(TEN_YEARS, 2.5)[0] == 1.0  # the fourth
    assert math.isnan(return_period_loss(TEN_YEARS, 25)[0])  # ten years cannot tell


def test_the_interval_of_a_return_period_loss_is_of_binomial_ranks() -> None:
    # 1,000 years, T = 10: the count above the true 10-year loss is Binomial(1000, 0.1),
    # whose 2.5 % and 97.5 % quantiles are 82 and 119: ranks 82 and 120 from the top
    x = np.arange(1000.0)  # the k-th largest is 1000 - k
    loss, low, high = return_period_loss(x, 10)
    assert loss == 900.0
    assert high == 1000.0 - 82
    assert low == 1000.0 - 120


def test_return_period_intervals_shrink_and_cover_as_years_grow() -> None:
    # exponential annual losses of mean 1: the T-year loss is ln T
    rng = np.random.default_rng(5)
    widths = []
    for n in (2_000, 20_000, 200_000):
        loss, low, high = return_period_loss(rng.exponential(size=n), 100)
        assert low <= math.log(100) <= high
        assert abs(loss - math.log(100)) < 4 * (high - low)
        widths.append(high - low)
    assert widths[0] > 2.5 * widths[1] > 2.5**2 * widths[2]


def test_technical_premium_is_the_mean_plus_a_loading_on_the_deviation() -> None:
    x = np.array(TEN_YEARS)
    assert technical_premium(x, 0.0) == pytest.approx(1.7)
    assert technical_premium(x, 0.5) == pytest.approx(1.7 + 0.5 * x.std(ddof=1))


def test_the_curve_puts_the_kth_largest_of_n_at_n_over_k_years() -> None:
    curve = exceedance_curve(TEN_YEARS)
    assert curve["return_period_years"].tolist() == [10.0, 5.0, 10 / 3, 2.5]
    assert curve["loss_usd"].tolist() == [8.0, 5.0, 3.0, 1.0]


@pytest.fixture(scope="module")
def poisson_run() -> riskmc.SimulationResult:
    """Site attacks at 0.5 a year, each 5e6 of damage, a damage cover with no deductible."""
    doc = copy.deepcopy(read_document(shipped_scenarios()["tiny.yaml"]))
    doc["districts"][0]["attacks_per_year"] = 5
    doc["districts"][0]["targets"] = {"road": 0.5, "rail": 0.0, "site": 0.1, "other": 0.4}
    doc["hazard"]["campaigns"]["rate_per_year"] = 0
    p = doc["projects"][0]
    p["costs"]["site_attack_damage_usd"] = 5e6
    p["cover"] = [{"name": "property", "peril": "damage", "limit_usd": 1e12, "premium_rate": 0}]
    return riskmc.simulate(scenario_from_dict(doc), 4000, seed=11, workers=1)


def test_compound_poisson_annual_losses_match_the_poisson_law(poisson_run) -> None:
    rate, x = 0.5, 5e6
    view = insurer_view(poisson_run.scenario, poisson_run.cover_years, poisson_run.n_replications)
    row = view.covers.iloc[0]
    n = row["years"]
    assert n == 4000 * 5
    assert row["aal_usd"] == pytest.approx(rate * x, abs=4 * x * math.sqrt(rate / n))
    # OEP: a year with any loss, 1 - exp(-r)
    p_any = 1 - math.exp(-rate)
    assert row["p_loss_year"] == pytest.approx(p_any, abs=4 * math.sqrt(p_any * (1 - p_any) / n))
    rp = view.return_periods.set_index(["curve", "return_period_years"])["loss_usd"]
    for t in (10, 25, 50, 100, 250):
        # the T-year aggregate loss: x times the count k with P(K >= k) >= 1/T > P(K >= k + 1)
        k = int(poisson.isf(1 / t, rate)) + 1
        while poisson.sf(k - 1, rate) < 1 / t:
            k -= 1
        assert rp[("AEP", t)] == k * x, t
        assert rp[("OEP", t)] == x  # one attack is one occurrence of x
    assert isinstance(view.curves, pd.DataFrame)
    assert not view.curves.empty


def test_annual_losses_fill_the_years_without_a_row_with_zeros() -> None:
    # 3 replications, years 2..3 counted; a payment in year 1 (before the run) is left out,
    # another project's and another cover's rows too
    t = pd.DataFrame(
        {
            "replication": [0, 1, 2, 2, 1],
            "project": ["p", "p", "p", "q", "p"],
            "cover": ["c", "c", "c", "c", "d"],
            "year": [1, 3, 2, 2, 2],
            "usd": [9.0, 5.0, 4.0, 8.0, 7.0],
            "max_usd": [9.0, 3.0, 4.0, 8.0, 7.0],
        }
    )
    agg, occ = annual_losses(t, 3, "p", "c", range(2, 4))
    assert agg.tolist() == [0.0, 0.0, 4.0, 0.0, 5.0, 0.0]  # year 2 of reps 0..2, then year 3
    assert occ.tolist() == [0.0, 0.0, 4.0, 0.0, 3.0, 0.0]
    assert annual_losses(t, 3, "p", "c", range(5, 5))[0].size == 0
