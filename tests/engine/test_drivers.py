"""Driver attribution: what held each day of delay, by cause and by district."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import riskmc
from riskmc.engine import DRIVER_CAUSES, LOSS_CAUSES, district_column, loss_district_column
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
    # All of it attack closures, in Beta, nothing in Alpha; except that a stall
    # ended by a convoy nothing held, after a cargo lost to an attack on the
    # road and with no disruption just before, is "other", with no district
    # (docs/supply.md). Such stalls happen only where convoys were lost, and are
    # rare: 0.64 of about 4,000 days of delay here.
    other = o["delay_other_days"]
    np.testing.assert_allclose(o["delay_attack_closure_days"] + other, o["delay_days"], atol=1e-9)
    assert (o.loc[other > 0, "convoy_losses"] > 0).all()
    assert other.sum() < 0.01 * o["delay_days"].sum()
    np.testing.assert_allclose(
        o[district_column("Beta")], o["delay_attack_closure_days"], atol=1e-9
    )
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


LOSS_COLUMNS = [f"lost_{c}_t" for c in LOSS_CAUSES]


def test_lost_output_by_hand_goes_to_what_held_it():
    # tiny with no random hazard: three stress events
    doc = copy.deepcopy(read_document(shipped_scenarios()["tiny.yaml"]))
    doc["districts"][0]["attacks_per_year"] = 0
    h = doc["hazard"]
    h["closures"]["protests"]["rate_per_year"] = 0
    h["blackouts"]["province_wide"]["rate_per_year"] = 0
    doc["stress"] = [
        # construction: 70 days without the road delay first production by ~40.9 days
        {"kind": "closure", "segment": "R1", "start": "2026-06-01", "days": 70},
        # operations: 40 days without the road; the export trucks wait and storage
        # (20 days of the 650 t a day) fills, then the plant stops
        {"kind": "closure", "segment": "R1", "start": "2029-03-01", "days": 40},
        # a site attack: a 3-day stand-down
        {"kind": "attack", "district": "Alpha", "target": "site", "start": "2029-09-01"},
    ]
    o = riskmc.simulate(scenario_from_dict(doc), 1, seed=1, workers=1).outcomes.iloc[0]
    assert sum(o[c] for c in LOSS_COLUMNS) == pytest.approx(o["lost_output_t"], abs=1e-6)
    assert o["lost_site_attack_t"] == pytest.approx(3 * 650, abs=1e-6)
    # the stress closures: the late start (650 t a day for each day of delay), then 40 days
    # less the 20 days storage took to fill from its level when the road closed (at most
    # one 600 t load), give or take the day of consumables left when it reopened
    late = 650 * o["delay_days"]
    assert 40 * 650 - 20 * 650 - 650 <= o["lost_stress_closure_t"] - late <= 20 * 650 + 600 + 650
    # what the plan and the run hold in storage at the horizon differ by less than a load
    assert abs(o["lost_in_storage_t"]) < 600
    assert o["lost_other_t"] == pytest.approx(0.0, abs=1e-6)
    assert o[loss_district_column("Alpha")] == pytest.approx(
        o["lost_output_t"] - o["lost_in_storage_t"], abs=1e-6
    )


def test_output_lost_while_a_blackout_holds_the_convoys_goes_to_the_blackout():
    # tiny with no random hazard and 60 days of storage (the export never stops it): Alpha
    # blacked out 40 days, convoys wait for mobile data, the 21 days of consumables run out
    doc = copy.deepcopy(read_document(shipped_scenarios()["tiny.yaml"]))
    doc["districts"][0]["attacks_per_year"] = 0
    h = doc["hazard"]
    h["closures"]["protests"]["rate_per_year"] = 0
    h["blackouts"]["province_wide"]["rate_per_year"] = 0
    doc["projects"][0]["operations"]["storage_days"] = 60
    doc["stress"] = [{"kind": "blackout", "district": "Alpha", "start": "2029-03-01", "days": 40}]
    o = riskmc.simulate(scenario_from_dict(doc), 1, seed=1, workers=1).outcomes.iloc[0]
    # about 40 - 21 days of output, plus the trip of the first convoy after the blackout
    assert 18 * 650 < o["lost_output_t"] < 21 * 650
    assert o["lost_blackout_t"] == pytest.approx(
        o["lost_output_t"] - o["lost_in_storage_t"], abs=1e-6
    )
    assert o[loss_district_column("Alpha")] == pytest.approx(o["lost_blackout_t"], abs=1e-6)
    assert o["lost_other_t"] == pytest.approx(0.0, abs=1e-6)


def test_default_lost_output_attribution_adds_up():
    from riskmc.analysis.drivers import driver_shares

    o = riskmc.simulate(riskmc.default_scenario(), 40, seed=6, workers=1).outcomes
    np.testing.assert_allclose(o[LOSS_COLUMNS].sum(axis=1), o["lost_output_t"], atol=1e-6)
    # "other" is what nothing held: a sliver (rounding, a stock still rebuilding after a gap)
    assert o["lost_other_t"].abs().sum() < 0.01 * o["lost_output_t"].sum()
    # road exports (Saindak) lose cargo to attacks too, booked where the attack was
    saindak = o[o["project"] == "Saindak"]
    assert saindak["lost_cargo_attack_t"].sum() > 0
    reko = o[o["project"] == "Reko Diq"]
    # Reko Diq's concentrate goes by rail: closures of the railway hold most of what is lost,
    # and concentrate is destroyed on it
    assert reko["lost_attack_closure_t"].mean() > 0.3 * reko["lost_output_t"].mean()
    assert reko["lost_cargo_attack_t"].sum() > 0
    shares = driver_shares(o, "lost_output_t")
    assert set(shares["project"]) == {"Reko Diq", "Saindak"}
    for _, part in shares.groupby(["project", "kind"]):
        assert part["share"].sum() == pytest.approx(1.0, abs=1e-9)
    railway = shares[(shares["project"] == "Reko Diq") & (shares["name"] == "kachhi")]
    assert float(railway["share"].iloc[0]) > 0.05  # the Bolan pass line (ML-3) in Kachhi
