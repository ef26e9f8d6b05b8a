"""Construction invariants on random closures (Hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import riskmc
from riskmc.network import Closures, CorridorNetwork
from riskmc.scenario import shipped_scenarios
from riskmc.supply import ConstructionPlan, simulate_construction

TINY = riskmc.load_scenario(shipped_scenarios()["tiny.yaml"])
NET = CorridorNetwork.from_scenario(TINY)
PLAN = ConstructionPlan(
    start=0.0,
    planned_days=200.0,
    material_t=100_000.0,
    site_buffer_days=10.0,
    blackout_productivity=0.7,
    convoy_t=600.0,
    convoy_loss_share=0.3,
    dispatch_needs_comms=True,
    port=0,
    site=1,
)
spans = st.lists(st.tuples(st.floats(0, 250), st.floats(0.05, 30)), max_size=6)


def _closures(items):
    if not items:
        return Closures.none(1)
    # merge overlaps, as the hazard stage does
    merged: list[list[float]] = []
    for start, days in sorted(items):
        end = start + days
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return Closures.from_arrays(
        1, [0] * len(merged), [m[0] for m in merged], [m[1] for m in merged]
    )


@settings(max_examples=40, deadline=None)
@given(spans, spans)
def test_delay_never_negative_and_more_closures_never_help(a, b):
    plan_finish = PLAN.start + PLAN.planned_days
    r_a = simulate_construction(PLAN, NET, _closures(a))
    r_ab = simulate_construction(PLAN, NET, _closures(a + b))
    assert r_a.finish >= plan_finish - 1e-9
    assert r_ab.finish >= r_a.finish - 1e-9
    for r in (r_a, r_ab):
        assert r.material_stall_days >= 0
        assert r.balance_t() == pytest.approx(0.0, abs=1e-6)


@settings(max_examples=6, deadline=None)
@given(st.floats(1.5, 4.0), st.integers(0, 2**31 - 1))
def test_raising_the_attack_rate_never_lowers_expected_delay(factor, seed):
    """SPEC, reliability: with common random numbers, a higher attack rate never lowers the
    expected delay. Checked on the paired means, with 3 standard errors of Monte Carlo room."""
    import copy

    import numpy as np

    from riskmc.scenario import read_document, scenario_from_dict

    doc = copy.deepcopy(read_document(shipped_scenarios()["tiny.yaml"]))
    low = riskmc.simulate(scenario_from_dict(doc), 60, seed=seed, workers=1).outcomes
    doc["districts"][0]["attacks_per_year"] *= factor
    high = riskmc.simulate(scenario_from_dict(doc), 60, seed=seed, workers=1).outcomes
    d = high["delay_days"].to_numpy() - low["delay_days"].to_numpy()
    se = d.std(ddof=1) / np.sqrt(len(d))
    assert d.mean() >= -3 * se
