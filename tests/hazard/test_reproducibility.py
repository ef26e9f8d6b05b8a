"""Same seed, same events: whatever the threads, the blocks, or the replications beside."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import riskmc
from riskmc.scenario import shipped_scenarios

from .conftest import Z, build


@pytest.fixture(scope="module")
def default():
    return riskmc.default_scenario()


@pytest.fixture(scope="module")
def tiny():
    return riskmc.load_scenario(shipped_scenarios()["tiny.yaml"])


TABLES = ("attacks", "closures", "blackouts", "campaigns", "closure_pieces", "blackout_pieces")


def _assert_same(a, b, reps=None):
    for name in TABLES:
        x, y = getattr(a, name), getattr(b, name)
        if reps is not None:
            x = x[x["replication"].isin(reps)].reset_index(drop=True)
            y = y[y["replication"].isin(reps)].reset_index(drop=True)
        pd.testing.assert_frame_equal(x, y, check_exact=True)


def test_same_seed_is_bit_identical(default):
    a = riskmc.sample_hazard(default, 40, seed=11, pieces=True)
    b = riskmc.sample_hazard(default, 40, seed=11, pieces=True)
    _assert_same(a, b)
    np.testing.assert_array_equal(a.theta, b.theta)
    assert len(a.attacks) > 1000


def test_another_seed_differs(default):
    a = riskmc.sample_hazard(default, 5, seed=11)
    b = riskmc.sample_hazard(default, 5, seed=12)
    assert not a.attacks["day"].equals(b.attacks["day"])


def test_a_replication_does_not_depend_on_its_neighbours(tiny):
    full = riskmc.sample_hazard(tiny, 1000, seed=3, pieces=True)
    half = riskmc.sample_hazard(tiny, range(500, 1000), seed=3, pieces=True)
    _assert_same(full, half, reps=range(500, 1000))
    odd = riskmc.sample_hazard(tiny, [1, 7, 500, 999], seed=3, pieces=True)
    _assert_same(full, odd, reps=[1, 7, 500, 999])


def test_default_replications_are_independent_of_the_range(default):
    full = riskmc.sample_hazard(default, 100, seed=5)
    tail = riskmc.sample_hazard(default, range(50, 100), seed=5)
    _assert_same(full, tail, reps=range(50, 100))


def test_threads_change_nothing(default):
    one = riskmc.sample_hazard(default, 100, seed=9, threads=1, pieces=True)
    two = riskmc.sample_hazard(default, 100, seed=9, threads=2, pieces=True)
    _assert_same(one, two)


def test_replication_view_matches_the_tables(default):
    h = riskmc.sample_hazard(default, 70, seed=2)
    ev = h.replication(37)
    a = h.attacks[h.attacks["replication"] == 37]
    np.testing.assert_array_equal(ev.attacks["day"], a["day"].to_numpy())
    c = h.closures[h.closures["replication"] == 37]
    np.testing.assert_array_equal(ev.closures["start"], c["start"].to_numpy())
    assert ev.theta.shape == (len(h.parameters.paths),)
    with pytest.raises(KeyError):
        h.replication(70)


def test_common_random_numbers_across_districts(quiet):
    quiet["districts"][0]["attacks_per_year"] = 20
    quiet["districts"].append({"name": "Beta", "attacks_per_year": 5, "targets": {"other": 1.0}})
    a = riskmc.sample_hazard(build(quiet), 50, seed=4)
    quiet["districts"][1]["attacks_per_year"] = 40
    b = riskmc.sample_hazard(build(quiet), 50, seed=4)
    alpha_a = a.attacks[a.attacks["district"] == "Alpha"].reset_index(drop=True)
    alpha_b = b.attacks[b.attacks["district"] == "Alpha"].reset_index(drop=True)
    for frame in (alpha_a, alpha_b):
        frame["district"] = frame["district"].astype(str)
    pd.testing.assert_frame_equal(alpha_a, alpha_b, check_exact=True)


def test_bad_arguments(tiny):
    with pytest.raises(ValueError, match="seed"):
        riskmc.sample_hazard(tiny, 10, seed=-1)
    with pytest.raises(ValueError, match="ascending"):
        riskmc.sample_hazard(tiny, [3, 2], seed=1)


def test_common_random_numbers_under_hawkes_without_spillover(quiet):
    quiet["districts"][0]["attacks_per_year"] = 20
    quiet["hazard"].update(process="hawkes", branching_ratio=0.5, decay_days=10, spillover=0.0)
    a = riskmc.sample_hazard(build(quiet), 50, seed=4)
    quiet["districts"].append({"name": "Beta", "attacks_per_year": 9, "targets": {"other": 1.0}})
    b = riskmc.sample_hazard(build(quiet), 50, seed=4)
    alpha_a = a.attacks[a.attacks["district"] == "Alpha"].reset_index(drop=True)
    alpha_b = b.attacks[b.attacks["district"] == "Alpha"].reset_index(drop=True)
    assert (alpha_a["kind"] == "triggered").any()
    for frame in (alpha_a, alpha_b):
        frame["district"] = frame["district"].astype(str)
    pd.testing.assert_frame_equal(alpha_a, alpha_b, check_exact=True)


def test_a_lower_closure_probability_keeps_the_remaining_closures_where_they_were(quiet):
    # Found by review: the segment an attack closes was drawn from the same uniform as whether
    # it closes, rescaled by the probability, so a variant with fewer closures (escorts: 0.6
    # -> 0.4) moved a third of the remaining ones to other segments and broke common random
    # numbers. One district, three road segments through it, fixed 2-day closures.
    doc = quiet
    doc["districts"][0]["attacks_per_year"] = 200
    doc["districts"][0]["targets"] = {"road": 1.0, "rail": 0.0, "site": 0.0, "other": 0.0}
    net = doc["network"]
    net["places"].append({"name": "Mid", "district": "Alpha", "kind": "town"})
    for name, a, b in (("R2", "Port", "Mid"), ("R3", "Mid", "Mine")):
        seg = {"name": name, "mode": "road", "from": a, "to": b, "km": 100, "kmh": 40}
        net["segments"].append({**seg, "districts": ["Alpha"]})

    def pieces(p):
        doc["hazard"]["closures"]["road"] = {"probability": p, "days": 2.0}
        h = riskmc.sample_hazard(build(doc), 30, seed=4, pieces=True)
        c = h.closure_pieces
        return set(zip(c["replication"], c["start"], c["segment"].astype(str), strict=True))

    high, low = pieces(0.6), pieces(0.4)
    assert len(low) > 1000
    assert len(low) < len(high)
    # every closure of the variant is one of the base's: same attack, same segment
    assert low <= high
    # and the segments are still shared out evenly
    counts = pd.Series([seg for _, _, seg in low]).value_counts()
    assert len(counts) == 3
    assert counts.min() > len(low) / 3 - Z * np.sqrt(len(low) * 2 / 9)


def test_sample_hazard_takes_a_path_and_refuses_other_types(tiny):
    # Found by review: a path raised AttributeError deep inside, and replications="12"
    # silently sampled replications 1 and 2 (the characters of the string).
    path = shipped_scenarios()["tiny.yaml"]
    _assert_same(riskmc.sample_hazard(path, 5, seed=1), riskmc.sample_hazard(tiny, 5, seed=1))
    _assert_same(riskmc.sample_hazard(str(path), 5, seed=1), riskmc.sample_hazard(tiny, 5, seed=1))
    for bad in ("12", 2.0, True):
        with pytest.raises(TypeError, match="replications must be an int"):
            riskmc.sample_hazard(tiny, bad, seed=1)
    with pytest.raises(TypeError, match="scenario: must be a Scenario or the path of"):
        riskmc.sample_hazard({"name": "tiny"}, 5, seed=1)


def test_first_buffers_are_capped_and_grow(quiet):
    # A legal but extreme scenario (10,000 attacks a year for 200 years) no longer sizes its
    # first buffers by its expectation (2 million events a replication); they grow instead.
    from riskmc.hazard.sample import HINT_CAP, _hints

    quiet["districts"][0]["attacks_per_year"] = 10_000
    quiet["horizon_years"] = 200
    assert max(_hints(build(quiet))) <= HINT_CAP + 8
    quiet["horizon_years"] = 8  # 80,000 attacks a replication: past the first buffer
    h = riskmc.sample_hazard(build(quiet), 2, seed=1)
    assert len(h.attacks) > 2 * 8 * 10_000 * 0.9


def _table_hash(array, columns):
    import hashlib

    m = hashlib.sha256()
    for c in columns:
        m.update(np.ascontiguousarray(array[c]).tobytes())
    return m.hexdigest()[:16]


@pytest.mark.parametrize("name", ["tiny.yaml", "balochistan.yaml"])
def test_scenarios_without_the_tail_keep_every_event_of_release_1(name):
    """Common random numbers across versions: new draws (fatalities, regimes, suspensions)
    have streams of their own, so a scenario without them keeps the events of before.

    The hashes were taken with release 1's kernel (before fatalities, regimes and
    suspensions existed); the default scenario is taken without its tail blocks.
    """
    import copy
    import json
    from pathlib import Path

    from riskmc.scenario import resolve_document, scenario_from_dict

    stored = json.loads((Path(__file__).parents[1] / "data" / "events_release1.json").read_text())
    old = {
        "attacks": ["replication", "day", "district", "target", "campaign", "kind", "mark"],
        "closures": None,
        "blackouts": None,
        "campaigns": None,
        "closure_pieces": None,
        "blackout_pieces": None,
    }
    doc = copy.deepcopy(resolve_document(shipped_scenarios()[name]))
    doc["hazard"].pop("fatalities", None)
    doc["hazard"].pop("regimes", None)
    for p in doc["projects"]:
        p.pop("suspension", None)
    s = scenario_from_dict(doc)
    for seed in (5, 11):
        h = riskmc.sample_hazard(s, replications=40, seed=seed, pieces=True, threads=1)
        for table, columns in old.items():
            a = h.arrays[table]
            got = _table_hash(a, columns or list(a.dtype.names))
            assert got == stored[f"{name}:{seed}:{table}"], (seed, table)


@pytest.mark.parametrize("threads", [0, -1, 1.5, "2", True])
def test_threads_is_checked_like_the_other_arguments(threads):
    with pytest.raises(ValueError, match=r"^threads: must be an integer >= 1, got "):
        riskmc.sample_hazard(shipped_scenarios()["tiny.yaml"], 3, seed=1, threads=threads)
