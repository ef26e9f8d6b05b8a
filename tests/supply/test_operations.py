"""Operations: hand-checked production losses, export losses, and tonne balances."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest

import riskmc
from riskmc.network import CorridorNetwork
from riskmc.network.compiled import SegmentTimes
from riskmc.scenario import read_document, scenario_from_dict, shipped_scenarios
from riskmc.supply.model import Hazard, SiteSchedule, present_value, simulate_project
from riskmc.supply.project import operations_plan


@pytest.fixture(scope="module")
def tiny():
    s = riskmc.load_scenario(shipped_scenarios()["tiny.yaml"])
    net = CorridorNetwork.from_scenario(s)
    return net, operations_plan(s, s.projects[0], net)


@pytest.fixture(scope="module")
def default():
    s = riskmc.default_scenario()
    net = CorridorNetwork.from_scenario(s)
    return net, operations_plan(s, s.projects[0], net)  # Reko Diq, rail export


def _hazard(net, closed=(), attacked=(), schedule=None):
    n = len(net.segments)
    seg = {name: i for i, name in enumerate(net.segments)}
    keys = np.array([seg[k] for k, _, _ in closed], dtype=np.int64)
    closures = SegmentTimes.of(
        n, keys, np.array([s for _, s, _ in closed]), np.array([e for _, _, e in closed])
    )
    akeys = np.array([seg[k] for k, _ in attacked], dtype=np.int64)
    attacks = SegmentTimes.of(n, akeys, np.array([t for _, t in attacked], dtype=np.float64))
    return Hazard(net, closures, attacks, schedule or SiteSchedule())


def _balanced(r, plan):
    produced = r.exported_t + r.export_lost_t + r.storage_t
    assert produced == pytest.approx(r.produced_t, abs=1e-3)
    for pile in r.stockpiles:
        assert r.balance_t(pile) == pytest.approx(0.0, abs=1e-3)


def test_no_hazard_produces_at_nameplate(tiny):
    net, plan = tiny
    r = simulate_project(Hazard.none(net), None, plan)
    assert r.produced_t == pytest.approx(plan.output_t_per_day * plan.end)
    assert r.idle_days == 0
    assert r.storage_t < plan.convoy_t  # a convoy leaves whenever a load is ready
    _balanced(r, plan)


@pytest.mark.parametrize("closed_days", [15, 40, 70])
def test_consumables_closure_costs_output_beyond_the_buffer(tiny, closed_days):
    # storage made large, so only consumables bind: lost ~ (C - 21 days) x 650 t
    net, plan = tiny
    plan = dataclasses.replace(plan, storage_days=200.0)
    base = simulate_project(Hazard.none(net), None, plan)
    r = simulate_project(_hazard(net, [("R1", 300.0, 300.0 + closed_days)]), None, plan)
    lost = base.produced_t - r.produced_t
    expect = max(0.0, closed_days - plan.consumables_buffer_days) * plan.output_t_per_day
    # within a day of output: the first convoy after the road reopens takes 7.5 h by day
    assert expect <= lost + 1e-6 <= expect + plan.output_t_per_day
    _balanced(r, plan)


@pytest.mark.parametrize("closed_days", [10, 35, 60])
def test_export_closure_costs_output_beyond_storage(tiny, closed_days):
    # consumables made plentiful, so only storage binds: lost ~ (C - 20 days) x 650 t
    net, plan = tiny
    plan = dataclasses.replace(plan, consumables_buffer_days=200.0)
    base = simulate_project(Hazard.none(net), None, plan)
    r = simulate_project(_hazard(net, [("R1", 300.0, 300.0 + closed_days)]), None, plan)
    lost = base.produced_t - r.produced_t
    expect = max(0.0, closed_days - plan.storage_days) * plan.output_t_per_day
    # storage held up to one convoy load (600 t) when the road closed
    assert expect - 1e-6 <= lost <= expect + plan.convoy_t + 1e-6
    _balanced(r, plan)


@pytest.fixture(scope="module")
def tiny_detour():
    """tiny with a second, longer road from the port to the mine (R2a + R2b, 400 km)."""
    doc = copy.deepcopy(read_document(shipped_scenarios()["tiny.yaml"]))
    net = doc["network"]
    net["places"].append({"name": "Mid", "district": "Alpha", "kind": "town"})
    for name, a, b in (("R2a", "Port", "Mid"), ("R2b", "Mid", "Mine")):
        seg = {"name": name, "mode": "road", "from": a, "to": b, "km": 200, "kmh": 40}
        net["segments"].append({**seg, "districts": ["Alpha"]})
    s = scenario_from_dict(doc)
    net = CorridorNetwork.from_scenario(s)
    return net, operations_plan(s, s.projects[0], net)


def test_road_exports_take_an_open_detour_instead_of_waiting(tiny_detour):
    # Found by review: export convoys waited at the site while R1 was closed, though the
    # 400 km road by Mid was open; they now reroute, as inbound convoys do, so a 60-day
    # closure costs no output, only 100 km more per convoy on the detour.
    net, plan = tiny_detour
    plan = dataclasses.replace(plan, consumables_buffer_days=200.0)
    base = simulate_project(Hazard.none(net), None, plan)
    r = simulate_project(_hazard(net, [("R1", 300.0, 360.0)]), None, plan)
    assert r.produced_t == pytest.approx(base.produced_t)
    assert r.exported_t == pytest.approx(base.exported_t, abs=plan.convoy_t)
    # every convoy leaving during the closure detours: exports (650 t a day in 600 t loads)
    # and consumables coming in (400 t a day)
    detoured = r.detour_tkm / (plan.convoy_t * 100.0)
    assert detoured == pytest.approx(round(detoured), abs=1e-9)
    assert 60 * (650 + 400) / 600 - 2 <= detoured <= 60 * (650 + 400) / 600 + 2
    # with the detour closed too, they wait at the site and storage fills: output is lost
    r = simulate_project(_hazard(net, [("R1", 300.0, 360.0), ("R2a", 300.0, 360.0)]), None, plan)
    lost = base.produced_t - r.produced_t
    expect = (60 - plan.storage_days) * plan.output_t_per_day
    assert expect - 1e-6 <= lost <= expect + plan.convoy_t + 1e-6
    _balanced(r, plan)


def test_standdown_and_blackout_rules(tiny):
    net, plan = tiny
    base = simulate_project(Hazard.none(net), None, plan)
    sched = SiteSchedule(ops_standdowns=[(100.0, 103.0)])
    r = simulate_project(_hazard(net, schedule=sched), None, plan)
    assert base.produced_t - r.produced_t == pytest.approx(3 * plan.output_t_per_day)
    # a 5-day blackout blocks dispatch (comms policy) but costs no output: buffers hold
    sched = SiteSchedule(dispatch_blocked=[(200.0, 205.0)])
    r = simulate_project(_hazard(net, schedule=sched), None, plan)
    assert r.produced_t == pytest.approx(base.produced_t)
    _balanced(r, plan)


def test_rail_export_closure_and_attack_by_hand(default):
    net, plan = default
    base = simulate_project(Hazard.none(net), None, plan)
    assert base.produced_t == pytest.approx(plan.output_t_per_day * plan.end)
    # 30 days of ML3 closed: 20 days of storage, then production stops for 10 days;
    # trains carry 2 x 1,100 = 2,200 t a day, so output (2,190) is never short afterwards
    r = simulate_project(_hazard(net, [("ML3", 500.0, 530.0)]), None, plan)
    assert base.produced_t - r.produced_t == pytest.approx(10 * plan.output_t_per_day, rel=1e-9)
    _balanced(r, plan)
    # an attack on RK1 while concentrate flows: 30 % of what is on the segment is lost
    seg = net.segments.index("RK1")
    on_segment = plan.output_t_per_day * float(net.km[seg] / net.kmh[seg]) / 24
    r = simulate_project(_hazard(net, [("RK1", 800.0, 801.0)], [("RK1", 800.0)]), None, plan)
    assert r.export_lost_t == pytest.approx(plan.convoy_loss_share * on_segment, rel=1e-9)
    assert r.convoy_losses == 1
    _balanced(r, plan)


def test_rail_surge_clears_the_backlog_by_hand(default):
    net, plan = default
    base = simulate_project(Hazard.none(net), None, plan)
    # ML3 closed 15 days, open 30, closed 15 again. Storage holds 20 x 2,190 = 43,800 t.
    closed = [("ML3", 500.0, 515.0), ("ML3", 545.0, 560.0)]
    # The usual 2 x 1,100 t a day clears the backlog at 10 t a day: 32,850 t after the
    # first closure, 32,550 t when the second starts, which fills the last 11,250 t and
    # then stops production: 32,550 + 15 x 2,190 - 43,800 = 21,600 t lost.
    r = simulate_project(_hazard(net, closed), None, plan)
    assert base.produced_t - r.produced_t == pytest.approx(21_600.0, rel=1e-9)
    _balanced(r, plan)
    # Three trains a day while the backlog lasts clear it at 1,110 t a day: empty after
    # 32,850 / 1,110 = 29.6 days, before the second closure, which then costs nothing.
    surge = dataclasses.replace(plan, surge_trains_per_day=3.0)
    assert surge.surge_t_per_day == 3_300.0
    r = simulate_project(_hazard(net, closed), None, surge)
    assert r.produced_t == pytest.approx(base.produced_t, rel=1e-12)
    _balanced(r, surge)
    # with no closure the surge changes nothing: storage never holds a backlog
    r = simulate_project(Hazard.none(net), None, surge)
    assert r.exported_t == base.exported_t
    assert r.export_pv_usd == base.export_pv_usd


def test_road_export_cargo_lost_to_an_attack_is_booked_to_it(tiny):
    net, plan = tiny
    plan = dataclasses.replace(plan, convoy_loss_share=0.3)
    # the first export load (600 t at 650 t a day) is ready at 22:09 on day 0 and leaves
    # at 06:00 on day 1, when the road opens: it is on R1 until 13:30
    r = simulate_project(_hazard(net, attacked=[("R1", 1.4)]), None, plan)
    assert r.export_hits == [(1.4, net.segments.index("R1"), pytest.approx(0.3 * 600))]
    assert r.export_lost_t == pytest.approx(0.3 * 600)
    _balanced(r, plan)


def test_export_revenue_present_value(tiny):
    # tiny exports by road: its revenue is the convoys' loads, each discounted on its day
    net, plan = tiny
    r = simulate_project(Hazard.none(net), None, plan)
    loads = r.exported_t / plan.convoy_t
    assert loads == pytest.approx(round(loads))
    # every load leaves when storage holds 600 t: day 600/650 k for k = 1, 2, ...
    days = np.arange(1, round(loads) + 1) * plan.convoy_t / plan.output_t_per_day
    pv = (
        plan.price_usd_per_t
        * plan.convoy_t
        * sum(present_value(plan.discount_rate, t) for t in days)
    )
    assert r.export_pv_usd == pytest.approx(pv, rel=1e-9)
