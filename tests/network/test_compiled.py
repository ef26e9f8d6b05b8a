"""The compiled shipment follows CorridorNetwork.trip exactly."""

from __future__ import annotations

import numpy as np
import pytest

import riskmc
from riskmc.network import Closures, CorridorNetwork
from riskmc.network.compiled import NetArrays, SegmentTimes, isolated_days, ship, ship_many


@pytest.fixture(scope="module")
def default():
    return CorridorNetwork.from_scenario(riskmc.default_scenario())


@pytest.mark.parametrize(
    ("src", "dst", "modes"),
    [
        ("Port Qasim", "Reko Diq", ("road",)),
        ("Saindak", "Port Qasim", ("road",)),
        ("Reko Diq", "Port Qasim", ("rail",)),
    ],
)
def test_ship_equals_trip_under_random_closures_and_attacks(default, src, dst, modes):
    rng = np.random.default_rng(5)
    arrays = NetArrays.of(default)
    n = len(default.segments)
    a, b = default.index(src), default.index(dst)
    plan = np.array(default.fastest_path(a, b, modes).segments, dtype=np.int64)
    allow = np.array([("road" if r else "rail") in modes for r in default.road])
    waits = detours = hits = 0
    for _ in range(400):
        k = int(rng.integers(0, 25))
        keys = rng.integers(0, n, k)
        starts = rng.uniform(0, 30, k)
        ends = starts + rng.exponential(2.0, k)
        closures = Closures.from_arrays(n, keys, starts, ends)
        c = closures  # merged spans, as a hazard sample gives them
        mk, ms, me = [], [], []
        for j in range(n):
            for s, e in zip(c._starts[j], c._ends[j], strict=True):
                if me and mk[-1] == j and s <= me[-1]:
                    me[-1] = max(me[-1], e)
                else:
                    mk.append(j), ms.append(s), me.append(e)
        closures = Closures.from_arrays(n, mk, ms, me)
        hit = rng.random(len(mk)) < 0.5
        attacks = {}
        for j, s in zip(np.array(mk)[hit], np.array(ms)[hit], strict=True):
            attacks.setdefault(int(j), []).append(float(s))
        depart = float(rng.uniform(0, 30))
        trip = default.trip(a, b, depart, closures, modes=modes, attacks=attacks)
        got = ship(
            arrays,
            SegmentTimes.of(n, np.array(mk, dtype=np.int64), np.array(ms), np.array(me)),
            SegmentTimes.of(n, np.array(mk, dtype=np.int64)[hit], np.array(ms)[hit]),
            allow,
            plan,
            a,
            b,
            depart,
        )
        assert got == (trip.arrive, trip.waited_days, trip.km, trip.hits)
        waits += trip.waited_days > 0
        detours += trip.detour_km != 0
        hits += trip.hits > 0
    assert waits > 20
    assert hits > 5
    if modes == ("road",):
        assert detours > 5


def test_ship_many_is_ship_for_each_departure(default):
    arrays = NetArrays.of(default)
    n = len(default.segments)
    a, b = default.index("Port Qasim"), default.index("Reko Diq")
    plan = np.array(default.fastest_path(a, b).segments, dtype=np.int64)
    closures = SegmentTimes.of(n, np.array([plan[3]]), np.array([2.0]), np.array([9.0]))
    none = SegmentTimes.of(n, np.zeros(0, dtype=np.int64), np.zeros(0))
    departs = np.linspace(0, 12, 25)
    arrive, waited, km, hits = ship_many(
        arrays, closures, none, ~np.zeros(n, bool) & default.road, plan, a, b, departs
    )
    for k, d in enumerate(departs):
        assert (arrive[k], waited[k], km[k], hits[k]) == ship(
            arrays, closures, none, default.road.copy(), plan, a, b, d
        )


def test_isolated_days_by_hand(default):
    arrays = NetArrays.of(default)
    n = len(default.segments)
    a, b = default.index("Port Qasim"), default.index("Reko Diq")
    plan = np.array(default.fastest_path(a, b).segments, dtype=np.int64)
    seg = {name: i for i, name in enumerate(default.segments)}
    road = default.road.copy()

    def iso(closed):
        keys = np.array([seg[k] for k, _, _ in closed], dtype=np.int64)
        c = SegmentTimes.of(
            n, keys, np.array([s for _, s, _ in closed]), np.array([e for _, _, e in closed])
        )
        return isolated_days(arrays, c, road, plan, a, b, 0.0, 100.0)

    # the site access road has no alternative: its closure isolates the site
    assert iso([("N40b", 10.0, 15.5)]) == pytest.approx(5.5)
    # a closure of the N-40 near Nushki has detours (Kharan desert roads): no isolation
    assert iso([("N40n", 10.0, 20.0)]) == 0.0
    # clipped to the window, overlaps counted once
    assert iso([("N40b", 95.0, 130.0), ("N40b", -5.0, 1.0)]) == pytest.approx(6.0)
    # brute force on random closures: check connectivity at many instants
    rng = np.random.default_rng(3)
    for _ in range(20):
        k = 12
        keys = rng.integers(0, n, k)
        starts = rng.uniform(0, 90, k)
        ends = starts + rng.exponential(8.0, k)
        c = SegmentTimes.of(n, keys, starts, ends)
        got = isolated_days(arrays, c, road, plan, a, b, 0.0, 100.0)
        grid = np.arange(0.0, 100.0, 0.01) + 0.005
        cut = 0
        for t in grid:
            avoid = {int(j) for j, s, e in zip(keys, starts, ends, strict=True) if s <= t < e}
            cut += default.fastest_path(a, b, avoid=avoid) is None
        assert got == pytest.approx(cut * 0.01, abs=0.02 * (1 + 2 * k))
