"""Suspensions (SPEC 3b) on the tiny project: known answers, merging, costs, a closed form."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

import riskmc
from riskmc.analysis.drivers import driver_shares
from riskmc.engine import LOSS_CAUSES, district_column
from riskmc.hazard.attack_severity import WATCHED_DTYPE
from riskmc.hazard.kernel import ATTACK_DTYPE, JOIN_DTYPE, SPAN_DTYPE
from riskmc.hazard.sample import ReplicationEvents
from riskmc.network import CorridorNetwork
from riskmc.scenario import read_document, scenario_from_dict, shipped_scenarios
from riskmc.scenario.schema import Suspension
from riskmc.supply import Hazard, SiteSchedule, simulate_project
from riskmc.supply.model import HELD_BY_BLACKOUT_WORK, HELD_BY_SUSPENSION, present_value
from riskmc.supply.project import (
    ProjectValues,
    construction_plan,
    operations_plan,
    remobilizations,
    suspensions,
)

S = 40.0  # days of a suspension
ATTACK_DAY = 243.0  # 2026-09-01, in construction (first production planned on day 730)
OUTPUT = 650.0  # t a day at full output
LOAD = 600.0  # t a road export convoy


def _doc() -> dict[str, Any]:
    """tiny.yaml as a mapping with no random hazard (no attacks, protests, orders)."""
    doc = copy.deepcopy(read_document(shipped_scenarios()["tiny.yaml"]))
    doc["districts"][0]["attacks_per_year"] = 0
    h = doc["hazard"]
    h["closures"]["protests"]["rate_per_year"] = 0
    h["blackouts"]["province_wide"]["rate_per_year"] = 0
    h["campaigns"]["rate_per_year"] = 0
    return doc


def _quiet(*attacks: tuple[str, int], **suspension: Any) -> riskmc.Scenario:
    """The quiet tiny scenario, stress site attacks ``(date, fatalities)`` and a suspension."""
    doc = _doc()
    doc["stress"] = [
        {"kind": "attack", "district": "Alpha", "target": "site", "start": d, "fatalities": f}
        for d, f in attacks
    ]
    block = {"site_attack": {"min_fatalities": 10, "probability": 1}, "days": S}
    doc["projects"][0]["suspension"] = block | suspension
    return scenario_from_dict(doc)


def _outcome(s: riskmc.Scenario) -> Any:
    return riskmc.simulate(s, 1, seed=1, workers=1).outcomes.iloc[0]


# --- the suspensions of one replication: a pure function of its events ---------------------

_SITE, _ROAD = 2, 0  # riskmc.hazard.inputs.TARGETS codes


def _events(attacks: list[tuple[Any, ...]], joins: list[tuple[Any, ...]] = ()) -> Any:
    """Events with attacks ``(day, district, target, fatalities, u_suspend, u_days)`` and
    campaign joins ``(day, district, u_suspend, u_days)``; -1: not drawn (an attack with
    uniforms is in ``watched``, as the hazard stage lists those of watched districts)."""
    att = np.array(
        [(0, day, d, t, -1, 0, 0.5, j) for j, (day, d, t, *_) in enumerate(attacks)],
        dtype=ATTACK_DTYPE,
    )
    # the attacks drawn for (watched): those with uniforms
    watched = np.array(
        [(0, j, f, u, v) for j, (*_, f, u, v) in enumerate(attacks) if u >= 0],
        dtype=WATCHED_DTYPE,
    )
    jn = np.array([(0, 0, d, day, u, v) for day, d, u, v in joins], dtype=JOIN_DTYPE)
    empty = np.zeros(0, dtype=SPAN_DTYPE)
    fields = dict.fromkeys(ReplicationEvents._fields, empty)
    given = {"replication": 0, "attacks": att, "joins": jn, "watched": watched}
    return ReplicationEvents(**(fields | given | {"theta": np.zeros(0)}))


def _values() -> ProjectValues:
    return ProjectValues(scenario_from_dict(_doc()).projects[0], None, None)


def _rules(**over: Any) -> Suspension:
    rules = {
        "site_attack": {"min_fatalities": 5, "probability": 0.3},
        "district_attack": {"min_fatalities": 10, "probability": 0.6},
        "campaign": {"probability": 0.2},
        "days": {"dist": "uniform", "low": 10, "high": 30},
    }
    return Suspension.model_validate(rules | over)


def test_which_events_suspend_and_for_how_long():
    ev = _events(
        [
            (10.0, 0, _SITE, 5, 0.29, 0.5),  # site attack, 5 deaths: p 0.3, suspends, 20 days
            (100.0, 0, _SITE, 5, 0.31, 0.5),  # above p: no
            (200.0, 0, _SITE, 4, 0.01, 0.5),  # too few deaths for either rule
            (300.0, 0, _ROAD, 10, 0.59, 0.0),  # a district attack: p 0.6, 10 days
            (400.0, 0, _SITE, 12, 0.55, 1.0),  # both rules: the larger p, 0.6; 30 days
            (500.0, 1, _SITE, 50, 0.01, 0.5),  # another district
            (600.0, 0, _ROAD, 50, -1.0, -1.0),  # no draw: never suspends
        ],
        joins=[(700.0, 0, 0.19, 0.25), (800.0, 0, 0.21, 0.5), (900.0, 1, 0.01, 0.5)],
    )
    got = suspensions(_values(), _rules(), 0, ev, 1826.0)
    assert got.spans == ((10.0, 30.0), (300.0, 310.0), (400.0, 430.0), (700.0, 715.0))
    assert got.triggers == 4
    assert suspensions(_values(), None, 0, ev, 1826.0).spans == ()
    assert suspensions(_values(), _rules(), None, ev, 1826.0).spans == ()


def test_a_suspension_starting_in_another_extends_it_and_the_horizon_ends_it():
    ev = _events(
        [
            (10.0, 0, _SITE, 9, 0.1, 0.5),  # 10 .. 30
            (25.0, 0, _SITE, 9, 0.1, 1.0),  # 25 .. 55: extends it
            (40.0, 0, _SITE, 9, 0.1, 0.0),  # 40 .. 50: inside
            (55.0, 0, _SITE, 9, 0.1, 0.0),  # starts as it ends: the same suspension
            (1820.0, 0, _SITE, 9, 0.1, 1.0),  # cut at the horizon
            (1830.0, 0, _SITE, 9, 0.1, 1.0),  # past it
        ]
    )
    got = suspensions(_values(), _rules(), 0, ev, 1826.0)
    assert got.spans == ((10.0, 65.0), (1820.0, 1826.0))
    assert got.triggers == 5
    assert got.within(20.0, 1823.0) == ((20.0, 65.0), (1820.0, 1823.0))
    # each remobilisation lasts the given days, or as long as its suspension if shorter
    assert remobilizations(got.spans, 7.0) == [(65.0, 72.0), (1826.0, 1832.0)]
    assert remobilizations(got.spans, 0.0) == []


# --- the closed site in the model: a schedule given by hand --------------------------------


def _model(schedule: SiteSchedule) -> tuple[Any, Any]:
    """Run and plan of the quiet tiny project under ``schedule``."""
    s = scenario_from_dict(_doc())
    p = s.projects[0]
    net = CorridorNetwork.from_scenario(s)
    build, ops = construction_plan(s, p, net), operations_plan(s, p, net)
    none = Hazard.none(net)
    run = simulate_project(Hazard(net, none.closures, none.attacks, schedule), build, ops)
    return run, simulate_project(none, build, ops)


def test_a_suspension_in_construction_delays_first_production_by_its_length():
    # a stand-down inside it adds nothing; shipments on the road arrive, none leaves
    r, plan = _model(
        SiteSchedule(standdowns=[(ATTACK_DAY, ATTACK_DAY + 3)], suspended=[(ATTACK_DAY, 283.0)])
    )
    assert plan.finish == pytest.approx(730.0, abs=1e-9)
    assert r.finish - plan.finish == pytest.approx(S, abs=1e-9)
    assert r.suspended_build_days == pytest.approx(S, abs=1e-9)
    assert r.standdown_days == 0
    assert r.material_stall_days == 0
    assert sum(d for h, _, d in r.delay_causes if h == HELD_BY_SUSPENSION) == pytest.approx(S)
    assert r.stockpiles["material"]["convoys"] == plan.stockpiles["material"]["convoys"]
    assert r.balance_t("material") == pytest.approx(0.0, abs=1e-6)


def test_remobilization_works_at_half_rate_and_keeps_the_blackout_share():
    # R days at half rate cost R / 2 days; in a blackout (productivity 0.7) of the same
    # days, 0.35 of the rate: 0.3 R to the blackout and 0.35 R to the remobilization
    end, remob = ATTACK_DAY + S, 20.0
    sched = SiteSchedule(suspended=[(ATTACK_DAY, end)], remobilizing=[(end, end + remob)])
    r, plan = _model(sched)
    assert r.finish - plan.finish == pytest.approx(S + remob / 2, abs=1e-9)
    sched = SiteSchedule(
        suspended=[(ATTACK_DAY, end)],
        remobilizing=[(end, end + remob)],
        site_blackouts=[(end, end + remob)],
    )
    r, plan = _model(sched)
    assert r.finish - plan.finish == pytest.approx(S + 0.65 * remob, abs=1e-9)
    by = {h: sum(d for k, _, d in r.delay_causes if k == h) for h, _, _ in r.delay_causes}
    assert by[HELD_BY_SUSPENSION] == pytest.approx(S + 0.35 * remob)
    assert by[HELD_BY_BLACKOUT_WORK] == pytest.approx(0.3 * remob)


def test_a_suspension_in_operations_loses_its_days_of_output():
    # day 1000: full output (no ramp-up); nothing is made or loaded for S days, and the
    # stocks the closed site did not draw are there when it reopens
    r, plan = _model(SiteSchedule(suspended=[(1000.0, 1000.0 + S)]))
    assert r.finish == plan.finish
    assert plan.produced_t - r.produced_t == pytest.approx(OUTPUT * S, abs=1e-6)
    assert abs(plan.exported_t - r.exported_t - OUTPUT * S) < LOAD
    lost = sum(t for h, _, t, _ in r.lost_causes if h == HELD_BY_SUSPENSION)
    assert lost == pytest.approx(OUTPUT * S, abs=1e-6)
    assert r.balance_t("consumables") == pytest.approx(0.0, abs=1e-6)


def test_a_suspended_rail_export_stops_loading():
    doc = _doc()
    doc["network"]["places"].append({"name": "Yard", "district": "Alpha", "kind": "junction"})
    doc["network"]["segments"].append(
        {"name": "L1", "mode": "rail", "from": "Port", "to": "Mine", "km": 300, "kmh": 30,
         "districts": ["Alpha"]}
    )  # fmt: skip
    o = doc["projects"][0]["operations"]
    o.update({"export_mode": "rail", "trains_per_day": 1, "train_t": 2000})
    s = scenario_from_dict(doc)
    p = s.projects[0]
    net = CorridorNetwork.from_scenario(s)
    build, ops = construction_plan(s, p, net), operations_plan(s, p, net)
    none = Hazard.none(net)
    sched = SiteSchedule(suspended=[(1000.0, 1000.0 + S)])
    r = simulate_project(Hazard(net, none.closures, none.attacks, sched), build, ops)
    plan = simulate_project(none, build, ops)
    assert plan.produced_t - r.produced_t == pytest.approx(OUTPUT * S, abs=1e-6)
    # the trains take the backlog afterwards: all of it leaves within the horizon
    assert plan.exported_t - r.exported_t == pytest.approx(OUTPUT * S, abs=1e-6)


# --- end to end: stress attacks with their deaths ------------------------------------------


def test_a_deadly_site_attack_in_construction_delays_by_the_suspension():
    o = _outcome(_quiet(("2026-09-01", 12)))
    assert o["delay_days"] == pytest.approx(S, abs=1e-9)  # the 3-day stand-down inside
    assert o["suspensions"] == 1
    assert o["suspended_days"] == pytest.approx(S)
    assert not o["force_majeure"]
    assert o["delay_suspension_days"] == pytest.approx(S)
    assert o[district_column("Alpha")] == pytest.approx(S)
    # below the threshold only the stand-down counts
    frame = riskmc.simulate(_quiet(("2026-09-01", 9)), 1, seed=1, workers=1).outcomes
    o = frame.iloc[0]
    assert o["delay_days"] == pytest.approx(3.0, abs=1e-9)
    assert frame.dtypes[["suspensions", "suspended_days", "force_majeure"]].tolist() == [
        np.int64,
        np.float64,
        np.bool_,
    ]
    assert o["suspensions"] == 0
    assert o["suspended_days"] == 0


def test_the_plan_has_no_suspension_and_a_project_without_the_block_none():
    doc = _doc()
    doc["stress"] = [
        {"kind": "attack", "district": "Alpha", "target": "site", "start": "2026-09-01",
         "fatalities": 50}
    ]  # fmt: skip
    o = _outcome(scenario_from_dict(doc))
    assert o["delay_days"] == pytest.approx(3.0, abs=1e-9)
    assert o["suspensions"] == 0
    assert not o["force_majeure"]
    assert o["suspension_standby_usd"] == 0
    assert o["remobilization_usd"] == 0


def test_overlapping_suspensions_merge():
    o = _outcome(_quiet(("2026-09-01", 12), ("2026-09-21", 12)))
    assert o["suspensions"] == 1
    assert o["suspended_days"] == pytest.approx(20.0 + S)
    assert o["delay_days"] == pytest.approx(20.0 + S, abs=1e-9)


def test_remobilization_costs_half_its_days():
    o = _outcome(_quiet(("2026-09-01", 12), remobilization_days=10))
    assert o["delay_days"] == pytest.approx(S + 5.0, abs=1e-9)
    assert o["delay_suspension_days"] == pytest.approx(S + 5.0)


@pytest.mark.parametrize(("days", "force_majeure"), [(89.0, False), (90.0, True)])
def test_force_majeure_and_costs(days, force_majeure):
    o = _outcome(_quiet(("2026-09-01", 12), days=days, remobilization_usd=1.0e7))
    assert bool(o["force_majeure"]) is force_majeure
    assert o["delay_days"] == pytest.approx(days, abs=1e-9)
    # 400,000 a day of standby, 700,000 a day of overhead, the remobilization once
    assert o["suspension_standby_usd"] == pytest.approx(400_000 * days, abs=0.005)
    assert o["remobilization_usd"] == 1.0e7
    assert o["delay_carry_usd"] == pytest.approx(700_000 * days, abs=0.005)
    items = [
        "standby_usd",
        "delay_carry_usd",
        "detour_transport_usd",
        "damage_usd",
        "cargo_damage_usd",
        "suspension_standby_usd",
        "remobilization_usd",
    ]
    assert sum(o[c] for c in items) == pytest.approx(o["capex_overrun_usd"], abs=0.005)
    assert o["standby_usd"] == 0  # the stand-down lies inside the suspension


@pytest.mark.parametrize("cap", [10.0, 25.0, 100.0])
def test_standby_is_paid_for_the_first_standby_days_of_each_suspension(cap):
    # two suspensions of 40 days, 100 days apart: each pays min(cap, 40) days of standby
    o = _outcome(_quiet(("2026-09-01", 12), ("2026-12-10", 12), standby_days=cap))
    assert o["suspensions"] == 2
    assert o["delay_days"] == pytest.approx(2 * S, abs=1e-9)  # the delay does not change
    assert o["suspension_standby_usd"] == pytest.approx(400_000 * 2 * min(cap, S), abs=0.005)
    items = ["standby_usd", "delay_carry_usd", "suspension_standby_usd", "remobilization_usd"]
    items += ["detour_transport_usd", "damage_usd", "cargo_damage_usd"]
    assert sum(o[c] for c in items) == pytest.approx(o["capex_overrun_usd"], abs=0.005)


def test_a_deadly_site_attack_in_operations_loses_its_days_of_output():
    o = _outcome(_quiet(("2029-03-01", 12), remobilization_usd=1.0e7))
    assert o["delay_days"] == 0
    assert o["suspensions"] == 1
    assert o["suspended_days"] == pytest.approx(S)
    assert abs(o["lost_output_t"] - OUTPUT * S) < LOAD
    assert o["lost_suspension_t"] == pytest.approx(OUTPUT * S, abs=1e-6)
    lost = sum(o[f"lost_{c}_t"] for c in LOSS_CAUSES)
    assert lost == pytest.approx(o["lost_output_t"], abs=1e-6)
    assert o["remobilization_usd"] == 0  # after first production: an operating cost
    free = _outcome(_quiet(("2029-03-01", 12)))  # the same, free to remobilize
    assert o["opex_extra_usd"] - free["opex_extra_usd"] == pytest.approx(1.0e7, abs=1e-6)
    day = (np.datetime64("2029-03-01") - np.datetime64("2026-01-01")).astype(float)
    pv = 1.0e7 * present_value(0.08, day)
    assert o["npv_loss_usd"] - free["npv_loss_usd"] == pytest.approx(pv, rel=1e-12)


# --- a closed form: Poisson site attacks -------------------------------------------------


def _poisson(rate: float, p: float, d: float, horizon_years: float = 5) -> riskmc.Scenario:
    """Site attacks only, each with 5 deaths, at ``rate`` a year; no stand-down."""
    doc = _doc()
    doc["horizon_years"] = horizon_years
    doc["districts"][0].update(
        attacks_per_year=rate, targets={"road": 0.0, "rail": 0.0, "site": 1.0, "other": 0.0}
    )
    doc["hazard"]["fatalities"] = 5
    doc["hazard"]["blackouts"]["attack_probability"] = 0
    doc["projects"][0]["construction"]["site_attack_standdown_days"] = 0
    doc["projects"][0]["suspension"] = {
        "site_attack": {"min_fatalities": 1, "probability": p},
        "days": d,
    }
    return scenario_from_dict(doc)


def test_suspensions_in_construction_are_poisson_in_working_time():
    """Suspensions starting during construction: Poisson with mean r p L.

    Site attacks arrive at rate r (a Poisson process); each suspends with
    probability p on its own uniform, so suspending triggers are a Poisson
    process of rate lambda = r p. A trigger while the site is suspended only
    extends that suspension (merge); a new suspension starts only at a
    trigger in working time. With no other disruption (stand-down 0, no
    closures or blackouts) construction ends when L = planned_days days of
    working time have passed. Whether the site works at t depends on the
    triggers before t only, so the triggers that fall in working time, on the
    working-time clock, are again a Poisson process of rate lambda (the
    process restricted to a predictable set): the count N of suspensions
    started during construction is Poisson(lambda L), mean and variance
    lambda L, whatever the fixed length D. And first production is late by
    exactly the time suspended before it.
    """
    r, p, d, n = 12.0, 0.5, 20.0, 4000
    s = _poisson(r, p, d)
    res = riskmc.simulate(s, n, seed=7)
    o = res.outcomes
    hazard = riskmc.sample_hazard(s, n, seed=7)
    proj = s.projects[0]
    counts, late = np.zeros(n), np.zeros(n)
    finish = (o["first_production"] - pd.Timestamp(s.start_date)).dt.days.to_numpy(dtype=float)
    for k in range(n):
        ev = hazard.replication(k)
        got = suspensions(
            ProjectValues(proj, hazard, ev.theta), proj.suspension, 0, ev, s.horizon_days
        )
        first = 730.0 + o["delay_days"].iloc[k]
        counts[k] = sum(1 for a, _ in got.spans if a < first)
        late[k] = sum(min(b, first) - a for a, b in got.spans if a < first)
        assert o["suspensions"].iloc[k] == len(got.spans)
        assert abs(finish[k] - first) < 1.0  # the date is the day
    assert o["delay_days"].to_numpy() == pytest.approx(late, abs=1e-6)
    mean = r / 365.25 * p * 730.0
    se = math.sqrt(mean / n)
    assert abs(counts.mean() - mean) < 4 * se, (counts.mean(), mean, se)
    # the sample variance of a Poisson(12) count over 4000 has a standard error of about
    # sqrt(mean (1 + 2 mean) / n) = 0.27: 10 % is about 4 of them
    assert counts.var(ddof=1) == pytest.approx(mean, rel=0.1)


def test_suspensions_over_the_run_match_their_exposure():
    """Over the whole run (day 0 to the horizon H): two exact means.

    N(t) - lambda x (working time up to t) is a martingale (the compensator of
    the triggers that fall in working time, as above), so the mean of
    N - lambda (H - suspended_days) is 0. And since the merged suspensions
    are the union of the spans [s, s + D) of the triggers s, the site works
    at t if and only if no trigger fell in (t - D, t]: with probability
    exp(-lambda min(t, D)). Integrated over [0, H):
    E[H - suspended_days] = (1 - exp(-lambda D)) / lambda + (H - D) exp(-lambda D),
    and E[suspensions] is lambda times that.
    """
    r, p, d, n = 12.0, 0.5, 20.0, 4000
    s = _poisson(r, p, d)
    o = riskmc.simulate(s, n, seed=11).outcomes
    lam, h = r * p / 365.25, s.horizon_days
    count = o["suspensions"].to_numpy(dtype=float)
    working = h - o["suspended_days"].to_numpy()
    x = count - lam * working
    assert abs(x.mean()) < 4 * x.std(ddof=1) / math.sqrt(n)
    w = (1 - math.exp(-lam * d)) / lam + (h - d) * math.exp(-lam * d)
    assert abs(working.mean() - w) < 4 * working.std(ddof=1) / math.sqrt(n)
    assert abs(count.mean() - lam * w) < 4 * count.std(ddof=1) / math.sqrt(n)


def test_a_campaign_that_the_district_joins_suspends_from_its_start():
    doc = _doc()
    c = doc["hazard"]["campaigns"]
    c.update(rate_per_year=2.0, join_probability={"default": 1.0}, blackout_probability=0.0)
    doc["projects"][0]["suspension"] = {"campaign": {"probability": 1}, "days": S}
    s = scenario_from_dict(doc)
    o = riskmc.simulate(s, 20, seed=5, workers=1).outcomes
    hazard = riskmc.sample_hazard(s, 20, seed=5)
    assert o["suspensions"].sum() > 0
    for k in range(20):
        spans: list[list[float]] = []
        for day in sorted(hazard.replication(k).joins["day"].tolist()):
            end = min(day + S, s.horizon_days)
            if spans and day <= spans[-1][1]:
                spans[-1][1] = end
            else:
                spans.append([day, end])
        assert o["suspensions"].iloc[k] == len(spans)
        assert o["suspended_days"].iloc[k] == pytest.approx(sum(b - a for a, b in spans))


def test_drivers_name_the_suspension_and_the_site_district():
    out = riskmc.simulate(_quiet(("2026-09-01", 12)), 2, seed=1, workers=1).outcomes
    shares = driver_shares(out).set_index(["kind", "name"])["share"]
    assert shares[("cause", "suspension")] == pytest.approx(1.0)
    assert shares[("district", "alpha")] == pytest.approx(1.0)


def test_tail_blocks_that_never_act_change_no_outcome():
    """Common random numbers: fatalities drawn but no threshold reached, a campaign
    probability of 0 and no regimes give the outcomes of the scenario without the blocks."""
    doc = copy.deepcopy(read_document(shipped_scenarios()["tiny.yaml"]))
    doc["hazard"]["campaigns"]["rate_per_year"] = 1.0  # campaigns join Alpha: their draws too
    base = scenario_from_dict(doc)
    doc["hazard"]["fatalities"] = {"dist": "lognormal", "median": 2.0, "sigma": 1.0}
    doc["projects"][0]["suspension"] = {
        "site_attack": {"min_fatalities": 100_000, "probability": 1},
        "district_attack": {"min_fatalities": 100_000, "probability": 1},
        "campaign": {"probability": 0},
        "days": {"dist": "lognormal", "median": 30, "sigma": 1.6},
        "remobilization_days": 30,
        "remobilization_usd": 1.0e7,
    }
    tail = scenario_from_dict(doc)
    a = riskmc.simulate(base, 300, seed=4, workers=1).outcomes
    b = riskmc.simulate(tail, 300, seed=4, workers=1).outcomes
    assert a.columns.equals(b.columns)
    import pandas as pd

    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert (b["suspensions"] == 0).all()
    h = riskmc.sample_hazard(tail, 300, seed=4)
    assert h.attacks["fatalities"].max() > 0  # the law was drawn
    assert len(h.joins) > 0


def test_a_suspension_over_before_construction_starts_changes_nothing():
    """One that ended before the run neither slows it (remobilisation) nor counts;
    one that reaches into it counts whole, remobilisation and force majeure included."""
    doc = _doc()
    doc["projects"][0]["construction"]["start"] = "2026-07-01"  # day 181
    doc["stress"] = [
        {"kind": "attack", "district": "Alpha", "target": "site", "start": "2026-02-20",
         "fatalities": 12},
    ]  # fmt: skip
    block = {"site_attack": {"min_fatalities": 10, "probability": 1}, "remobilization_days": 60}
    doc["projects"][0]["suspension"] = block | {"days": 100.0, "remobilization_usd": 1.0e7}
    over = _outcome(scenario_from_dict(doc))  # days 50-150, before day 181
    assert over["delay_days"] == 0
    assert over["suspensions"] == 0
    assert over["remobilization_usd"] == 0
    doc["projects"][0]["suspension"] = block | {"days": 150.0, "remobilization_usd": 1.0e7,
                                                "force_majeure_days": 120}  # fmt: skip
    into = _outcome(scenario_from_dict(doc))  # days 50-200: 19 days into the run
    assert into["suspensions"] == 1
    assert into["suspended_days"] == pytest.approx(19.0)
    assert into["delay_days"] == pytest.approx(19.0 + 60 / 2)
    assert into["remobilization_usd"] == 1.0e7
    assert bool(into["force_majeure"])  # 150 days long, though 19 of them in the run
