"""Money by hand on the tiny project: cost items add up, NPV of a pure delay, debt service."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import riskmc
from riskmc.scenario import ScenarioError, read_document, scenario_from_dict, shipped_scenarios
from riskmc.supply.model import present_value


def _quiet(**changes):
    """tiny.yaml with no random hazard, plus ``stress`` and cost changes."""
    doc = copy.deepcopy(read_document(shipped_scenarios()["tiny.yaml"]))
    doc["districts"][0]["attacks_per_year"] = 0
    h = doc["hazard"]
    h["closures"]["protests"]["rate_per_year"] = 0
    h["blackouts"]["province_wide"]["rate_per_year"] = 0
    doc["stress"] = changes.pop("stress", [])
    doc["projects"][0]["costs"].update(changes.pop("costs", {}))
    doc["projects"][0].update(changes)
    return scenario_from_dict(doc)


def test_cost_items_add_up_to_the_cent():
    s = _quiet(
        stress=[
            {"kind": "closure", "segment": "R1", "start": "2026-04-10", "days": 70},
            {"kind": "attack", "district": "Alpha", "target": "site", "start": "2026-09-01"},
        ]
    )
    o = riskmc.simulate(s, 2, seed=4).outcomes.iloc[0]
    items = ["standby_usd", "delay_carry_usd", "detour_transport_usd", "damage_usd"]
    assert sum(o[c] for c in items) == pytest.approx(o["capex_overrun_usd"], abs=0.005)
    # by hand: standby 400,000 a stalled day, overhead 700,000 a day of delay, one road
    assert o["standby_usd"] == pytest.approx(400_000 * o["stall_days"], abs=0.005)
    assert o["delay_carry_usd"] == pytest.approx(700_000 * o["delay_days"], abs=0.005)
    assert o["detour_transport_usd"] == 0
    # the closure costs 70 - 30 days, give or take the stock it met (within one convoy,
    # 600 t / 685 t a day) and the trip once the road reopens (7.5 h from 06:00);
    # the stand-down 3 more
    convoy_days = 600 / (500_000 / 730)
    assert 43.0 - convoy_days <= o["delay_days"] <= 43.0 + 13.5 / 24 + convoy_days
    # damage: the lognormal (median 2e6, sigma 1) at the attack's uniform mark
    hazard = riskmc.sample_hazard(s, 1, seed=4)
    mark = float(hazard.attacks["mark"].iloc[0])
    from scipy.special import ndtri

    assert o["damage_usd"] == pytest.approx(2e6 * math.exp(float(ndtri(mark))), rel=1e-12)
    assert o["mitigation_cost_usd"] == 0


def test_npv_of_a_pure_delay_is_the_discounted_revenue_shift():
    # a site attack in construction stands the work down 3 days: first production 3 days
    # late, nothing else changes; with standby, overhead and damage at 0, the NPV loss is
    # the shift of the export revenue, computed here convoy by convoy
    s = _quiet(
        stress=[{"kind": "attack", "district": "Alpha", "target": "site", "start": "2026-09-01"}],
        costs={"standby_usd_per_day": 0, "overhead_usd_per_day": 0, "site_attack_damage_usd": 0},
    )
    o = riskmc.simulate(s, 1, seed=1).outcomes.iloc[0]
    assert o["delay_days"] == pytest.approx(3.0)
    fp, horizon, d = 730.0, s.horizon_days, 3.0
    load, rate, price = 600.0, 650.0, 9500.0
    k = np.arange(1, 10_000)
    t = fp + k * load / rate  # a road convoy leaves each time storage holds a load
    plan = sum(present_value(0.08, x) for x in t[t < horizon])
    late = sum(present_value(0.08, x + d) for x in t[t + d < horizon])
    assert o["npv_loss_usd"] == pytest.approx(price * load * (plan - late), rel=1e-9)
    # undiscounted: the loads that no longer leave within the horizon
    lost_loads = int((t < horizon).sum() - (t + d < horizon).sum())
    assert o["lost_output_t"] == pytest.approx(lost_loads * load)
    assert o["lost_revenue_usd"] == pytest.approx(price * lost_loads * load)


def test_escorts_cost_per_convoy():
    s = _quiet(
        logistics={"convoy_t": 600, "dispatch_needs_comms": True, "escorted": True},
        costs={"mitigation_usd": 1_000_000},
    )
    r = riskmc.simulate(s, 1, seed=1)
    o = r.outcomes.iloc[0]
    base = riskmc.simulate(_quiet(), 1, seed=1).outcomes.iloc[0]
    assert base["mitigation_cost_usd"] == 0
    # undiscounted: 5,000 a convoy (construction material, consumables, road exports)
    flat = _quiet(
        logistics={"convoy_t": 600, "dispatch_needs_comms": True, "escorted": True},
        costs={"mitigation_usd": 1_000_000, "discount_rate": 0.0},
    )
    nominal = riskmc.simulate(flat, 1, seed=1).outcomes.iloc[0]["mitigation_cost_usd"]
    convoys = (nominal - 1_000_000) / 5_000
    assert convoys > 100
    assert convoys == pytest.approx(round(convoys), abs=1e-6)
    # discounted convoy by convoy from its departure, inside the horizon: between the
    # nominal cost and every convoy discounted from the horizon's end
    rate = s.projects[0].costs.discount_rate
    horizon = s.horizon_years * 365.25
    escorts = o["mitigation_cost_usd"] - 1_000_000
    assert 5_000 * convoys * present_value(rate, horizon) < escorts < 5_000 * convoys


def test_debt_shortfall_years_by_hand():
    # 650 t a day at 9,500 USD: about 2.26 bn USD a year of exports once operating (2028-)
    s = _quiet(debt={"service_usd_per_year": 1.0e9, "first_year": 2027, "cash_margin": 0.5})
    o = riskmc.simulate(s, 1, seed=1).outcomes.iloc[0]
    # 2027: no production yet (short); 2028, 2029, 2030: 0.5 x 2.26 bn > 1 bn (fine);
    # 2031 is the horizon's last, partial year (not counted)
    assert o["debt_shortfall_years"] == 1
    assert o["debt_shortfall_mask"] == 0b1
    s = _quiet(debt={"service_usd_per_year": 1.2e9, "first_year": 2028, "cash_margin": 0.5})
    o = riskmc.simulate(s, 1, seed=1).outcomes.iloc[0]
    assert o["debt_shortfall_years"] == 3  # 2028, 2029, 2030: 1.13 bn < 1.2 bn
    assert o["debt_shortfall_mask"] == 0b111


def test_debt_years_count_a_last_year_that_ends_with_the_horizon():
    # Found by review: a horizon ending on 1 January dropped its last whole year. tiny starts
    # on 2026-01-01; 4 years of 365.25 days end on 2030-01-01, so 2026-2029 are all whole.
    # A service no year can meet (1e12 USD) falls short in each of them.
    s = _quiet(debt={"service_usd_per_year": 1.0e12, "first_year": 2026})
    four = scenario_from_dict({**s.model_dump(mode="json"), "horizon_years": 4})
    o = riskmc.simulate(four, 1, seed=1).outcomes.iloc[0]
    assert o["debt_shortfall_years"] == 4
    assert o["debt_shortfall_mask"] == 0b1111


def test_a_debt_too_old_for_the_mask_is_refused_in_one_line():
    doc = copy.deepcopy(read_document(shipped_scenarios()["tiny.yaml"]))
    doc["projects"][0]["debt"] = {"service_usd_per_year": 1.0e9, "first_year": 1950}
    with pytest.raises(ScenarioError, match=r"projects\[0\]\.debt\.first_year: must be at least"):
        scenario_from_dict(doc)


def test_convoy_wait_days_by_hand():
    # No random hazard; R1 closed 20 days during construction (the 30-day stockpile covers
    # it). The base-stock convoys keep leaving every 600 t / 684.9 t a day = 0.876 day while
    # the stock position falls, and each waits at the port until the road reopens.
    c = 20.0
    s = _quiet(stress=[{"kind": "closure", "segment": "R1", "start": "2026-04-10", "days": c}])
    o = riskmc.simulate(s, 1, seed=1).outcomes.iloc[0]
    assert o["delay_days"] == 0
    step = 600 / (500_000 / 730)

    def waits(phase: float) -> float:  # first departure ``phase`` days into the closure
        return float(sum(c - t for t in np.arange(phase, c, step)))

    phases = np.linspace(0.0, step, 2001)[:-1]
    low, high = min(map(waits, phases)), max(map(waits, phases))
    assert low <= o["convoy_wait_days"] <= high + 1e-9
    # ceil((c - phase) / step) convoys wait: 22 or 23
    assert math.ceil(c / step) - 1 <= o["convoys_delayed"] <= math.ceil(c / step)
    assert riskmc.simulate(_quiet(), 1, seed=1).outcomes.iloc[0]["convoy_wait_days"] == 0


def test_cargo_destroyed_in_convoy_attacks_is_valued_by_the_tonne():
    # Road attacks on R1 (no site attacks), every one closing the road for a fixed 0.2 day,
    # and a hit destroys a convoy's whole load (convoy_loss_share 1): each convoy hit loses
    # exactly 600 t once. Valuing the cargo changes no tonne and no day, only money.
    def scenario(material: float, consumables: float) -> riskmc.Scenario:
        doc = copy.deepcopy(read_document(shipped_scenarios()["tiny.yaml"]))
        doc["districts"][0]["attacks_per_year"] = 60
        doc["districts"][0]["targets"] = {"road": 1.0, "rail": 0.0, "site": 0.0, "other": 0.0}
        h = doc["hazard"]
        h["closures"]["road"] = {"probability": 1.0, "days": 0.2}
        h["closures"]["protests"]["rate_per_year"] = 0
        h["blackouts"]["attack_probability"] = 0
        h["blackouts"]["province_wide"]["rate_per_year"] = 0
        costs = doc["projects"][0]["costs"]
        costs.update(convoy_loss_share=1.0, site_attack_damage_usd=0)
        costs.update(material_usd_per_t=material, consumables_usd_per_t=consumables)
        return scenario_from_dict(doc)

    free = riskmc.simulate(scenario(0, 0), 20, seed=3, workers=1).outcomes
    o = riskmc.simulate(scenario(2_000, 500), 20, seed=3, workers=1).outcomes
    assert (free["cargo_damage_usd"] == 0).all()
    for col in ("delay_days", "lost_output_t", "convoy_losses", "stall_days"):
        assert np.array_equal(o[col], free[col]), col
    # construction cargo: 600 t x 2,000 USD per convoy hit, in the capex overrun to the cent
    hit_material = o["cargo_damage_usd"] / (2_000 * 600)
    assert np.allclose(hit_material, hit_material.round(), atol=1e-9)
    assert hit_material.sum() > 10  # attacks do hit construction convoys
    items = ["standby_usd", "delay_carry_usd", "detour_transport_usd", "damage_usd"]
    items.append("cargo_damage_usd")
    assert np.allclose(o[items].sum(axis=1), o["capex_overrun_usd"], rtol=0, atol=0.005)
    assert np.allclose(o["capex_overrun_usd"] - free["capex_overrun_usd"], o["cargo_damage_usd"])
    # consumables: 600 t x 500 USD per convoy hit, in the operations' extra costs
    extra = o["opex_extra_usd"] - free["opex_extra_usd"]
    hit_consumables = extra / (500 * 600)
    assert np.allclose(hit_consumables, hit_consumables.round(), atol=1e-9)
    assert hit_consumables.sum() > 10
    # convoy_losses also counts road exports hit
    assert (hit_material + hit_consumables <= o["convoy_losses"] + 1e-9).all()
    # each loss is discounted from the day its convoy arrives, within the horizon
    money = o["cargo_damage_usd"] + extra
    npv = o["npv_loss_usd"] - free["npv_loss_usd"]
    rate, horizon = 0.08, 5 * 365.25  # tiny.yaml's discount rate and horizon
    assert (npv <= money + 1e-6).all()
    assert (npv >= money * present_value(rate, horizon) - 1e-6).all()
    assert (npv < money).any()
