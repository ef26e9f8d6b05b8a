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
