"""Routing: hand-computed travel times, fastest paths, waiting and detours."""

from __future__ import annotations

import pytest

import riskmc
from riskmc.network import Closures, CorridorNetwork
from riskmc.scenario import shipped_scenarios


@pytest.fixture(scope="module")
def tiny():
    return CorridorNetwork.from_scenario(riskmc.load_scenario(shipped_scenarios()["tiny.yaml"]))


@pytest.fixture(scope="module")
def default():
    return CorridorNetwork.from_scenario(riskmc.default_scenario())


def test_night_ban_travel_by_hand(tiny):
    # R1: 300 km at 40 km/h = 7.5 h of driving; roads open 06:00-18:00.
    assert tiny.road_hours_per_day == 12
    assert tiny.traverse(0, 0.25) == pytest.approx(0.25 + 7.5 / 24)  # 06:00 -> 13:30
    # leave 17:00: 1 h today, 6.5 h tomorrow from 06:00 -> 12:30 next day
    assert tiny.traverse(0, 17 / 24) == pytest.approx(1 + (6 + 6.5) / 24)
    # leave at 03:00: wait for 06:00
    assert tiny.traverse(0, 2 + 3 / 24) == pytest.approx(2 + (6 + 7.5) / 24)


def test_without_night_ban_roads_run_round_the_clock():
    s = riskmc.load_scenario(shipped_scenarios()["tiny.yaml"])
    net = CorridorNetwork.from_scenario(s, {"hazard.closures.road_hours_per_day": 24.0})
    assert net.traverse(0, 0.9) == pytest.approx(0.9 + 7.5 / 24)


def test_default_road_route_runs_through_nushki_and_quetta(default):
    path = default.fastest_path(default.index("Port Qasim"), default.index("Reko Diq"))
    names = [default.segments[s] for s in path.segments]
    assert names == ["N25a", "N25s", "N25c", "N40q", "N40n", "N40d", "N40y", "N40b"]
    assert path.km == pytest.approx(370 + 81 + 235 + 128 + 187 + 68 + 127 + 70)


def test_default_rail_route_is_the_published_export_route(default):
    path = default.fastest_path(
        default.index("Reko Diq"), default.index("Port Qasim"), modes=("rail",)
    )
    names = [default.segments[s] for s in path.segments]
    assert names == ["RK1", "ML4c", "ML4b", "ML4a", "ML3a", "ML3", "ML1"]


def test_no_path(tiny):
    assert tiny.fastest_path(0, 1, modes=("rail",)) is None
    with pytest.raises(ValueError, match="no rail path"):
        tiny.trip(0, 1, 0.0, Closures.none(1), modes=("rail",))


def test_trip_without_closures_is_the_plan(default):
    src, dst = default.index("Port Qasim"), default.index("Reko Diq")
    trip = default.trip(src, dst, 0.25, Closures.none(len(default.segments)))
    assert trip.waited_days == 0
    assert trip.detour_km == 0
    plan = default.fastest_path(src, dst)
    assert trip.segments == plan.segments


def test_waits_where_no_detour_exists(tiny):
    # R1 closed from day 0.1 to day 3.0: a shipment leaving at 06:00 day 0 waits until day 3.
    closures = Closures.from_arrays(1, [0], [0.1], [3.0])
    trip = tiny.trip(0, 1, 0.25, closures)
    assert trip.waited_days == pytest.approx(2.75)
    assert trip.entered == (3.0,)
    assert trip.arrive == pytest.approx(
        3 + (6 + 7.5) / 24
    )  # arrives at midnight, roads open at 06:00
    assert trip.detour_km == 0


def test_reroutes_where_a_detour_is_faster(default):
    src, dst = default.index("Port Qasim"), default.index("Reko Diq")
    n40q = default.segments.index("N40q")
    closures = Closures.from_arrays(len(default.segments), [n40q], [0.0], [30.0])
    trip = default.trip(src, dst, 0.25, closures)
    assert trip.waited_days == 0
    assert n40q not in trip.segments
    assert trip.detour_km != 0
    names = [default.segments[s] for s in trip.segments]
    assert "X1" in names or "X3" in names  # a desert alternative


def test_short_closure_is_waited_out_rather_than_detoured(default):
    src, dst = default.index("Port Qasim"), default.index("Reko Diq")
    n25a = default.segments.index("N25a")
    closures = Closures.from_arrays(len(default.segments), [n25a], [0.0], [0.3])
    trip = default.trip(src, dst, 0.26, closures)
    assert trip.waited_days == pytest.approx(0.04)
    assert trip.detour_km == 0


def test_closures_lookup():
    c = Closures.from_arrays(2, [1, 0, 1], [5.0, 1.0, 0.0], [6.0, 2.0, 1.0])
    assert c.reopens(0, 1.5) == 2.0
    assert c.reopens(0, 2.0) == 2.0
    assert c.reopens(1, 0.5) == 1.0
    assert c.reopens(1, 3.0) == 3.0
    assert c.closed_at(5.5) == {1}


@pytest.mark.parametrize("name", ["N25a", "N25s", "N25c", "N40q", "N40n", "N40d", "N40y", "N40b"])
def test_reroutes_exactly_where_an_alternative_exists(default, name):
    """A long closure of each segment of the Reko Diq road route, in turn."""
    src, dst = default.index("Port Qasim"), default.index("Reko Diq")
    seg = default.segments.index(name)
    closures = Closures.from_arrays(len(default.segments), [seg], [0.0], [60.0])
    trip = default.trip(src, dst, 0.25, closures)
    alternative = default.fastest_path(src, dst, avoid={seg})
    if alternative is None:
        assert trip.waited_days > 50
        assert trip.detour_km == 0
        assert seg in trip.segments
    else:
        assert trip.waited_days == 0
        assert seg not in trip.segments
        assert trip.km == pytest.approx(alternative.km)


def test_the_site_access_road_has_no_alternative(default):
    seg = default.segments.index("N40b")
    assert (
        default.fastest_path(default.index("Port Qasim"), default.index("Reko Diq"), avoid={seg})
        is None
    )


def test_an_attack_on_the_segment_holds_the_convoy(tiny):
    # leave at 06:00; attacked 2 h into the 7.5 h drive; the road reopens at day 2, 00:00
    hit = 0.25 + 2 / 24
    closures = Closures.from_arrays(1, [0], [hit], [2.0])
    trip = tiny.trip(0, 1, 0.25, closures, attacks={0: [hit]})
    assert trip.hits == 1
    assert trip.waited_days == pytest.approx(2.0 - hit)
    assert trip.arrive == pytest.approx(2 + (6 + 5.5) / 24, abs=1e-6)  # 5.5 h left, from 06:00
    # a closure that is not an attack does not stop a convoy already on the segment
    plain = tiny.trip(0, 1, 0.25, closures)
    assert plain.hits == 0
    assert plain.arrive == pytest.approx(0.25 + 7.5 / 24)


def test_closed_form_traverse_matches_hour_by_hour_driving(tiny):
    # Drive in 1-minute steps through the open hours and compare with the closed form.
    minutes_needed = round(7.5 * 60)
    for depart in (0.0, 0.25, 0.3, 17 / 24, 0.75, 3.99):
        t, driven = round(depart * 1440), 0
        while driven < minutes_needed:
            if 360 <= t % 1440 < 1080:  # 06:00-18:00
                driven += 1
            t += 1
        assert tiny.traverse(0, depart) == pytest.approx(t / 1440, abs=1.5 / 1440)
