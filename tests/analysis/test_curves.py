"""Curves and probabilities against answers worked out by hand on small tables."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from riskmc.analysis import (
    binomial_interval,
    contingency,
    exceedance,
    joint_confidence,
    quantile_interval,
    s_curve,
    shortfall_probability,
    slip_probability,
)


def _table() -> pd.DataFrame:
    """Two construction projects and an operating mine, five replications each."""
    return pd.DataFrame(
        {
            "replication": [0, 1, 2, 3, 4] * 3,
            "project": ["A"] * 5 + ["B"] * 5 + ["Op"] * 5,
            "first_production": [
                *[date(2029, 1, 1), date(2029, 1, 1), date(2029, 2, 1), date(2029, 3, 1), None],
                *[date(2028, 6, day) for day in range(1, 6)],
                *[None] * 5,
            ],
            "delay_days": [0.0, 0, 31, 59, 400, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0],
            "capex_overrun_usd": [0.0, 5e6, 1e6, 9e6, 9e7, 1e6, 2e6, 3e6, 4e6, 5e6, *[0.0] * 5],
        }
    )


# -- binomial intervals ----------------------------------------------------------------------


def test_wilson_3_of_10_matches_the_closed_form():
    z = stats.norm.ppf(0.975)
    centre = (3 + z * z / 2) / (10 + z * z)
    half = z / (10 + z * z) * np.sqrt(3 * 7 / 10 + z * z / 4)
    low, high = binomial_interval(3, 10)
    assert (float(low), float(high)) == pytest.approx((centre - half, centre + half), abs=1e-12)
    # The published table value (e.g. Newcombe 1998, table I): 0.1078 to 0.6032.
    assert (float(low), float(high)) == pytest.approx((0.1078, 0.6032), abs=5e-5)


def test_clopper_pearson_ends_at_0_and_n_are_closed_forms():
    # P(X = 0) = (1 - p)^10 = 0.025 at the upper end; p^10 = 0.025 at the lower end for k = n.
    lo0, hi0 = binomial_interval(0, 10, method="clopper-pearson")
    lo10, hi10 = binomial_interval(10, 10, method="clopper-pearson")
    assert (float(lo0), float(hi0)) == pytest.approx((0.0, 1 - 0.025**0.1), abs=1e-12)
    assert (float(lo10), float(hi10)) == pytest.approx((0.025**0.1, 1.0), abs=1e-12)
    lo, hi = binomial_interval(3, 10, method="clopper-pearson")
    assert (float(lo), float(hi)) == pytest.approx((0.0667, 0.6525), abs=5e-5)


def test_wilson_upper_end_at_zero_events_is_z2_over_n_plus_z2():
    z2 = stats.norm.ppf(0.975) ** 2
    low, high = binomial_interval([0, 0], [10, 1000])
    assert low.tolist() == [0.0, 0.0]
    assert high == pytest.approx([z2 / (10 + z2), z2 / (1000 + z2)], abs=1e-12)


@pytest.mark.parametrize("p", [0.02, 0.1, 0.3, 0.5, 0.8, 0.97])
def test_clopper_pearson_never_under_covers_and_wilson_is_near_nominal(p):
    # Exact coverage: the binomial probability of the k whose interval holds p.
    n = 40
    k = np.arange(n + 1)
    pmf = stats.binom.pmf(k, n, p)
    lo, hi = binomial_interval(k, n, method="clopper-pearson")
    assert pmf[(lo <= p) & (p <= hi)].sum() >= 0.95
    lo, hi = binomial_interval(k, n)
    assert pmf[(lo <= p) & (p <= hi)].sum() > 0.90


def test_bad_interval_settings_are_refused():
    with pytest.raises(ValueError, match="confidence"):
        binomial_interval(1, 2, confidence=1.0)
    with pytest.raises(ValueError, match="method"):
        binomial_interval(1, 2, method="agresti")  # type: ignore[arg-type]
    low, high = binomial_interval(0, 0)
    assert np.isnan(low)
    assert np.isnan(high)


# -- exceedance ------------------------------------------------------------------------------


def test_exceedance_steps_at_each_distinct_value():
    curve = exceedance(_table(), "delay_days")
    a = curve[curve["project"] == "A"]
    # Delays 0, 0, 31, 59, 400: above 0 are three of five, above 31 two, ...
    assert a["threshold"].tolist() == [0, 31, 59, 400]
    assert a["k"].tolist() == [3, 2, 1, 0]
    assert a["probability"].tolist() == [0.6, 0.4, 0.2, 0.0]
    low, high = binomial_interval([3, 2, 1, 0], 5)
    assert a["low"].tolist() == low.tolist()
    assert a["high"].tolist() == high.tolist()
    op = curve[curve["project"] == "Op"]
    assert op["threshold"].tolist() == [0]
    assert op["probability"].tolist() == [0.0]


def test_exceedance_at_given_thresholds_and_with_many_values():
    curve = exceedance(_table(), "delay_days", [60, -1, 30], by="project")
    b = curve[curve["project"] == "B"]
    assert b["threshold"].tolist() == [-1, 30, 60]
    assert b["probability"].tolist() == [1.0, 0.0, 0.0]
    many = pd.DataFrame({"project": "A", "x": np.arange(1000.0)})
    curve = exceedance(many, "x", points=101)
    assert len(curve) == 101
    # Thresholds at the quantiles 0, 0.01, ..., 1: 999 x 0.37 = 369.63 has 630 values above it.
    row = curve.iloc[37]
    assert row["threshold"] == pytest.approx(369.63)
    assert row["k"] == 630


# -- S-curve and slip probability ------------------------------------------------------------


def test_s_curve_is_the_empirical_cdf_and_leaves_operating_mines_out():
    curve = s_curve(_table())
    assert set(curve["project"]) == {"A", "B"}
    a = curve[curve["project"] == "A"]
    assert [str(d.date()) for d in a["date"]] == ["2029-01-01", "2029-02-01", "2029-03-01"]
    # The fifth replication never finished: the curve stops at 4 of 5.
    assert a["probability"].tolist() == [0.4, 0.6, 0.8]
    assert a["n"].tolist() == [5, 5, 5]
    b = curve[curve["project"] == "B"]
    assert b["probability"].tolist() == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    assert b["high"].iloc[-1] == 1.0


def test_s_curve_reads_timestamps_and_text():
    frame = pd.DataFrame(
        {"project": "A", "first_production": pd.to_datetime(["2029-01-02", "2029-01-01", None])}
    )
    assert s_curve(frame)["probability"].tolist() == pytest.approx([1 / 3, 2 / 3])
    text = frame.assign(first_production=["2029-01-02", "2029-01-01", None])
    assert s_curve(text)["k"].tolist() == [1, 2]


def test_slip_probability_counts_later_and_unfinished():
    slip = slip_probability(_table(), date(2029, 1, 31))
    assert slip["project"].tolist() == ["A", "B"]
    # A: 2029-02-01, 2029-03-01 and the unfinished one are later than 31 Jan 2029.
    assert slip["k"].tolist() == [3, 0]
    assert slip["probability"].tolist() == [0.6, 0.0]
    on_the_day = slip_probability(_table(), "2029-02-01")
    assert on_the_day["k"].tolist() == [2, 0]  # strictly later
    low, high = binomial_interval(3, 5, method="clopper-pearson")
    cp = slip_probability(_table(), "2029-01-31", method="clopper-pearson").iloc[0]
    assert (cp["low"], cp["high"]) == (float(low), float(high))


# -- joint confidence ------------------------------------------------------------------------


def test_joint_confidence_counts_replications_within_both_limits():
    joint = joint_confidence(_table(), {"delay_days": 60, "capex_overrun_usd": 4e6})
    a, b, op = (joint[joint["project"] == p].iloc[0] for p in ("A", "B", "Op"))
    # A: delays within 60 in replications 0-3, overruns within 4e6 in 0 and 2: both in 0 and 2.
    assert (a["k"], a["n"], a["probability"]) == (2, 5, 0.4)
    assert a["P(delay_days <= 60)"] == 0.8
    assert a["P(capex_overrun_usd <= 4e+06)"] == 0.4
    # B: the limits are both met up to replication 3 (4e6 is within).
    assert (b["k"], b["probability"]) == (4, 0.8)
    assert op["probability"] == 1.0
    low, high = binomial_interval(2, 5)
    assert (a["low"], a["high"]) == (float(low), float(high))


def test_joint_confidence_sees_dependence():
    # Perfectly dependent: P(both) = min of the marginals, not their product.
    x = np.arange(100.0)
    frame = pd.DataFrame({"project": "A", "delay_days": x, "capex_overrun_usd": 1e6 * x})
    row = joint_confidence(frame, {"delay_days": 49, "capex_overrun_usd": 79e6}).iloc[0]
    assert row["probability"] == 0.5
    with pytest.raises(ValueError, match="limits"):
        joint_confidence(frame, {})


# -- contingency -----------------------------------------------------------------------------


def test_contingency_is_p80_minus_plan_with_the_order_statistic_interval():
    frame = pd.DataFrame({"project": "A", "delay_days": np.arange(11.0), "x": np.arange(11.0)})
    table = contingency(frame, ["delay_days", "x"], plan={"x": 2.0})
    d, x = table.iloc[0], table.iloc[1]
    # P80 of 0..10 is 8; ranks 11 x 0.8 -/+ 1.96 sqrt(11 x 0.8 x 0.2) = 8.8 -/+ 2.60: 6 and
    # 12, past the sample's last (index 10): eleven replications do not bound P80 above
    assert (d["quantile"], d["contingency"], d["low"], d["high"]) == (8.0, 8.0, 6.0, np.inf)
    assert (x["plan"], x["contingency"], x["low"], x["high"]) == (2.0, 6.0, 4.0, np.inf)
    assert contingency(frame, ["x"], level=0.5).iloc[0]["quantile"] == 5.0
    with pytest.raises(ValueError, match="level"):
        contingency(frame, level=80)


def test_contingency_defaults_to_the_columns_measured_against_the_plan():
    table = contingency(_table())
    assert table["metric"].unique().tolist() == ["delay_days", "capex_overrun_usd"]
    a = table[(table["project"] == "A") & (table["metric"] == "delay_days")].iloc[0]
    assert a["quantile"] == pytest.approx(np.quantile([0, 0, 31, 59, 400], 0.8))
    assert (a["low"], a["high"]) == quantile_interval([0, 0, 31, 59, 400], 0.8)[1:]


# -- on a simulated result -------------------------------------------------------------------


def test_curves_agree_with_the_summary_of_a_simulated_result(tiny_result):
    outcomes = tiny_result.outcomes
    summary = tiny_result.summary()
    p80 = summary[(summary["metric"] == "delay_days") & (summary["statistic"] == "P80")]
    cont = contingency(outcomes, ["delay_days"])
    assert cont["quantile"].tolist() == p80["value"].tolist()
    assert cont["low"].tolist() == p80["low"].tolist()
    curve = exceedance(outcomes, "delay_days", [0.0])
    assert curve["probability"].tolist() == [float((outcomes["delay_days"] > 0).mean())]
    dates = pd.to_datetime(outcomes["first_production"])
    last = s_curve(outcomes).iloc[-1]
    assert last["date"] == dates.max()
    assert last["probability"] == 1.0
    slip = slip_probability(outcomes, dates.median().date()).iloc[0]
    assert slip["k"] == int((dates > dates.median().normalize()).sum())


def test_shortfall_probability_reads_the_mask_year_by_year():
    frame = pd.DataFrame(
        {"project": ["A"] * 4 + ["B"] * 2, "debt_shortfall_mask": [0b101, 0b001, 0, 0b100, 1, 1]}
    )
    table = shortfall_probability(frame, {"A": 2030, "B": 2031}, {"A": [2030, 2032], "B": [2031]})
    assert table[["project", "year", "k", "n"]].values.tolist() == [
        ["A", 2030, 2, 4],
        ["A", 2032, 2, 4],
        ["B", 2031, 2, 2],
    ]
    low, high = binomial_interval(2, 4)
    assert (table.iloc[0]["low"], table.iloc[0]["high"]) == (float(low), float(high))
    with pytest.raises(ValueError, match="within 63 years"):
        shortfall_probability(frame, {"A": 1950}, {"A": [2030]})
