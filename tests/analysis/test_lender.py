"""The lender's view (SPEC 4b): reserve and default by hand, a year of lost exports."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import riskmc
from riskmc.analysis.lender import first_defaults, lender_view
from riskmc.scenario import read_document, scenario_from_dict, shipped_scenarios

S = 1.0e9  # debt service a year [USD]


def test_a_reserve_pays_the_gaps_until_it_is_empty() -> None:
    # service 1 a year, 6 months of reserve (0.5)
    first, drawn = first_defaults([[0.8, 1.1, 0.6, 0.9]], [1, 1, 1, 1], 6)
    assert first.tolist() == [3]  # 0.2 drawn, 0.1 back, 0.4 drawn (empty), then 0.1 short
    assert drawn[0].tolist() == pytest.approx([0.2, 0.0, 0.4, 0.0])
    # no reserve: the first year below 1 defaults; a year with no service due is skipped
    first, _ = first_defaults([[1.5, np.nan, 0.99], [2.0, np.nan, 1.0]], [1, 0, 1], 0)
    assert first.tolist() == [2, -1]
    # a schedule: the reserve is a share of the first year's service, refilled to the year's
    # (4 at first: 2 drawn, none back, 4 spare refill it to 2 only, 2 drawn, then 1 short)
    first, drawn = first_defaults([[0.5, 1.0, 3.0, 0.0, 0.5]], [4, 4, 2, 2, 2], 12)
    assert first.tolist() == [4]
    assert drawn[0].tolist() == pytest.approx([2.0, 0.0, 0.0, 2.0, 0.0])


def _year_lost(**debt: Any) -> riskmc.Scenario:
    """The quiet tiny mine, operating from the start, its only road closed from 2026-12-01
    to 2028-01-05: nothing is exported in 2027."""
    doc = copy.deepcopy(read_document(shipped_scenarios()["tiny.yaml"]))
    doc["districts"][0]["attacks_per_year"] = 0
    h = doc["hazard"]
    h["closures"]["protests"]["rate_per_year"] = 0
    h["blackouts"]["province_wide"]["rate_per_year"] = 0
    h["campaigns"]["rate_per_year"] = 0
    doc["stress"] = [{"kind": "closure", "segment": "R1", "start": "2026-12-01", "days": 400}]
    p = doc["projects"][0]
    p["construction"] = None
    p["debt"] = {"service_usd_per_year": S, "first_year": 2026} | debt
    return scenario_from_dict(doc)


@pytest.mark.parametrize("engine", ["simpy", "compiled"])
def test_a_year_of_lost_exports_empties_the_reserve_or_defaults(engine: str) -> None:
    for months, default in ((12, False), (6, True)):
        s = _year_lost(reserve_months=months)
        result = riskmc.simulate(s, 2, seed=1, workers=1, engine=engine)
        o = result.outcomes
        assert (o["dscr_2027"] == 0).all()
        assert (o["dscr_2026"] > 1.2).all()
        assert (o["dscr_2028"] > 1.2).all()
        # 2026: 11 months of 650 t a day at 9,500 USD a t, the last convoy short of a day
        assert float(o["dscr_2026"].iloc[0]) == pytest.approx(650 * 9500 * 334 / S, rel=0.01)
        years = lender_view(s, o).years.set_index("year")
        assert years.loc[2027, "p_below_1"] == 1.0
        assert years.loc[2026, "p_below_1"] == 0.0
        assert years.loc[2027, "p_below_lockup"] == 1.0
        assert years.loc[2026, "p_default"] == 0.0
        assert years.loc[2027, "p_default"] == (1.0 if default else 0.0)
        assert years.loc[2030, "p_default"] == (1.0 if default else 0.0)
        assert years.loc[2027, "reserve_drawn_usd"] == (0.0 if default else pytest.approx(S))
        assert (o["debt_shortfall_years"] == 1).all()


def test_a_schedule_sets_each_years_service() -> None:
    s = _year_lost(service_usd_per_year=None, schedule_usd=[2e9, 1e9, 1e9])
    o = riskmc.simulate(s, 1, seed=1, workers=1).outcomes
    level = riskmc.simulate(_year_lost(), 1, seed=1, workers=1).outcomes
    assert float(o["dscr_2026"].iloc[0]) == pytest.approx(float(level["dscr_2026"].iloc[0]) / 2)
    assert float(o["dscr_2028"].iloc[0]) == pytest.approx(float(level["dscr_2028"].iloc[0]))
    assert np.isnan(o["dscr_2029"]).all()  # the schedule has ended: no service due
    years = lender_view(s, o).years.set_index("year")
    assert years.loc[2026, "service_usd"] == 2e9
    assert years.loc[2029, "service_usd"] == 0.0
    assert years.loc[2029, "p_below_1"] == 0.0


def test_first_production_after_the_grace_date() -> None:
    doc = copy.deepcopy(read_document(shipped_scenarios()["tiny.yaml"]))
    doc["districts"][0]["attacks_per_year"] = 0
    doc["hazard"]["closures"]["protests"]["rate_per_year"] = 0
    doc["hazard"]["blackouts"]["province_wide"]["rate_per_year"] = 0
    for grace, late in (("2027-12-31", 1.0), (None, 0.0), ("2028-06-30", 0.0)):
        doc["projects"][0]["debt"] = {
            "service_usd_per_year": S,
            "first_year": 2028,
            "grace_date": grace,
        }
        s = scenario_from_dict(doc)
        o = riskmc.simulate(s, 2, seed=1, workers=1).outcomes
        assert (o["first_production"] == np.datetime64("2028-01-01")).all()  # the plan's
        assert lender_view(s, o).grace["p_late"].tolist() == [late], grace
