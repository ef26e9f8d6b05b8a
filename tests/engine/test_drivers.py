"""Driver attribution: what held each day of delay, by cause and by district."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import riskmc
from riskmc.engine import DRIVER_CAUSES, district_column
from riskmc.scenario import read_document, scenario_from_dict, shipped_scenarios

CAUSE_COLUMNS = [f"delay_{c}_days" for c in DRIVER_CAUSES]


def test_only_the_attacked_district_carries_the_delay():
    # tiny with a second district, Beta, on the road: only Beta has attacks
    doc = copy.deepcopy(read_document(shipped_scenarios()["tiny.yaml"]))
    alpha = doc["districts"][0]
    alpha["attacks_per_year"] = 0
    beta = copy.deepcopy(alpha) | {"name": "Beta", "attacks_per_year": 24}
    beta["targets"] = {"road": 0.8, "rail": 0.0, "site": 0.0, "other": 0.2}
    doc["districts"].append(beta)
    doc["network"]["segments"][0]["districts"] = ["Alpha", "Beta"]
    h = doc["hazard"]
    h["closures"]["protests"]["rate_per_year"] = 0
    h["blackouts"]["province_wide"]["rate_per_year"] = 0
    h["closures"]["road"]["days"] = {"dist": "lognormal", "median": 6.0, "sigma": 0.8}
    doc["projects"][0]["construction"]["site_buffer_days"] = 5
    o = riskmc.simulate(scenario_from_dict(doc), 40, seed=2, workers=1).outcomes
    assert o["delay_days"].sum() > 10  # the closures do delay the work
    np.testing.assert_allclose(o[CAUSE_COLUMNS].sum(axis=1), o["delay_days"], atol=1e-9)
    # all of it: attack closures, in Beta; nothing in Alpha
    np.testing.assert_allclose(o["delay_attack_closure_days"], o["delay_days"], atol=1e-9)
    np.testing.assert_allclose(o[district_column("Beta")], o["delay_days"], atol=1e-9)
    assert (o[district_column("Alpha")] == 0).all()


def test_default_scenario_attribution_adds_up():
    o = riskmc.simulate(riskmc.default_scenario(), 40, seed=6, workers=1).outcomes
    reko = o[o["project"] == "Reko Diq"]
    assert reko["delay_days"].mean() > 1
    # every day of delay has exactly one cause
    np.testing.assert_allclose(reko[CAUSE_COLUMNS].sum(axis=1), reko["delay_days"], atol=1e-9)
    # and one district, unless nothing held it ("other")
    districts = [c for c in o.columns if c.startswith("delay_at_")]
    np.testing.assert_allclose(
        reko[districts].sum(axis=1), reko["delay_days"] - reko["delay_other_days"], atol=1e-9
    )
    # the site's district (Chagai) carries the stand-downs and the site blackouts
    chagai = reko[district_column("Chagai")]
    assert (chagai >= reko["delay_site_attack_days"] + reko["delay_blackout_days"] - 1e-9).all()
    assert reko["delay_site_attack_days"].sum() > 0


@pytest.mark.parametrize("column", CAUSE_COLUMNS)
def test_operating_mines_have_no_delay_to_attribute(column):
    o = riskmc.simulate(riskmc.default_scenario(), 3, seed=1, workers=1).outcomes
    assert (o.loc[o["project"] == "Saindak", column] == 0).all()


def test_driver_shares_add_up_to_one_in_the_default_scenario():
    from riskmc.analysis.drivers import driver_shares

    o = riskmc.simulate(riskmc.default_scenario(), 40, seed=6, workers=1).outcomes
    shares = driver_shares(o)
    assert set(shares["project"]) == {"Reko Diq"}  # Saindak has no construction delay
    for _, part in shares.groupby("kind"):
        assert part["share"].sum() == pytest.approx(1.0, abs=1e-12)
    chagai = shares[(shares["kind"] == "district") & (shares["name"] == "chagai")]
    assert float(chagai["share"].iloc[0]) > 0.5  # the site's district carries most of it
    assert (shares["low"] <= shares["share"]).all()
    assert (shares["share"] <= shares["high"]).all()
