"""Construction on the tiny scenario, hand-checkable: plan, closures, blackouts, conservation."""

from __future__ import annotations

import pytest

import riskmc
from riskmc.network import Closures, CorridorNetwork
from riskmc.scenario import shipped_scenarios
from riskmc.supply import ConstructionPlan, SiteSchedule, simulate_construction


@pytest.fixture(scope="module")
def tiny():
    return riskmc.load_scenario(shipped_scenarios()["tiny.yaml"])


@pytest.fixture(scope="module")
def net(tiny):
    return CorridorNetwork.from_scenario(tiny)


def _plan(tiny, net, **over):
    c = tiny.projects[0].construction
    values = {
        "start": 0.0,
        "planned_days": c.planned_days,
        "material_t": c.material_t,
        "site_buffer_days": c.site_buffer_days,
        "blackout_productivity": c.blackout_productivity,
        "convoy_t": tiny.projects[0].logistics.convoy_t,
        "convoy_loss_share": 0.3,
        "dispatch_needs_comms": True,
        "port": net.index("Port"),
        "site": net.index("Mine"),
    }
    values.update(over)
    return ConstructionPlan(**values)


def _closed(net, start, days):
    return Closures.from_arrays(len(net.segments), [0], [start], [start + days])


def _balanced(r):
    assert r.balance_t() == pytest.approx(0.0, abs=1e-6)


def test_no_hazard_is_exactly_the_plan(tiny, net):
    r = simulate_construction(_plan(tiny, net), net, Closures.none(1))
    assert r.finish == pytest.approx(730.0, abs=1e-9)
    assert r.material_stall_days == 0
    assert r.convoys_delayed == 0
    assert r.consumed_t == pytest.approx(500_000)
    _balanced(r)


def test_closure_shorter_than_the_buffer_costs_nothing(tiny, net):
    # 30 days of buffer, travel about a third of a day: a 25-day closure is absorbed.
    r = simulate_construction(_plan(tiny, net), net, _closed(net, 100.0, 25.0))
    assert r.finish == pytest.approx(730.0, abs=1e-6)
    assert r.material_stall_days == 0
    assert r.convoys_delayed > 0
    _balanced(r)


@pytest.mark.parametrize("extra", [10.0, 40.0])
def test_closure_beyond_the_buffer_costs_about_the_excess(tiny, net, extra):
    buffer = 30.0
    r = simulate_construction(_plan(tiny, net), net, _closed(net, 100.0, buffer + extra))
    travel = 1.0  # the trip plus waiting for the roads to open: under a day
    assert r.finish - 730.0 == pytest.approx(extra, abs=travel)
    assert r.material_stall_days == pytest.approx(r.finish - 730.0, abs=1e-6)
    _balanced(r)


def test_blackout_without_comms_rule_and_full_productivity_costs_nothing(tiny, net):
    sched = SiteSchedule(site_blackouts=[(50.0, 80.0)], dispatch_blocked=[(50.0, 80.0)])
    plan = _plan(tiny, net, dispatch_needs_comms=False, blackout_productivity=1.0)
    r = simulate_construction(plan, net, Closures.none(1), sched)
    assert r.finish == pytest.approx(730.0, abs=1e-9)


def test_blackout_productivity_slows_the_work(tiny, net):
    sched = SiteSchedule(site_blackouts=[(50.0, 70.0)])
    plan = _plan(tiny, net, dispatch_needs_comms=False, blackout_productivity=0.7)
    r = simulate_construction(plan, net, Closures.none(1), sched)
    assert r.finish == pytest.approx(730.0 + 20 * 0.3, abs=1e-6)


def test_standdown_stops_the_work(tiny, net):
    sched = SiteSchedule(standdowns=[(200.0, 203.0)])
    r = simulate_construction(_plan(tiny, net), net, Closures.none(1), sched)
    assert r.finish == pytest.approx(733.0, abs=1e-6)
    assert r.standdown_days == pytest.approx(3.0)
    _balanced(r)


def test_attack_on_a_convoy_loses_cargo_and_tonnes_balance(tiny, net):
    plan = _plan(tiny, net)
    base = simulate_construction(plan, net, Closures.none(1))
    assert base.convoys > 100
    # attacks every 10 days on R1 during daytime, when a convoy may be on it
    days = [d + 0.3 for d in range(5, 700, 10)]
    closed = Closures.from_arrays(1, [0] * len(days), days, [d + 0.5 for d in days])
    r = simulate_construction(plan, net, closed, attack_segments=[0] * len(days), attack_days=days)
    assert r.convoy_losses > 0
    assert r.lost_t > 0
    _balanced(r)


def test_work_resumes_with_the_first_delivery_after_a_long_dispatch_block(tiny, net):
    # Dispatch blocked 40 days (a blackout, convoys need comms): the 30-day stock runs
    # out, and the work waits for the first convoy sent when the block ends (a 7.5-hour
    # drive in the open hours). Found as a 383-day stall in the default scenario, where
    # the stalled work slept until the next blackout instead of the next delivery.
    sched = SiteSchedule(dispatch_blocked=[(100.0, 140.0)])
    r = simulate_construction(_plan(tiny, net), net, Closures.none(1), sched)
    delay = r.finish - 730.0
    assert 10.0 - 1.0 <= delay <= 10.0 + 1.0
    assert r.material_stall_days == pytest.approx(delay, abs=1e-6)
    _balanced(r)
