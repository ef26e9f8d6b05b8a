"""Invariants on random scenarios (Hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskmc

from .conftest import build, quiet_doc

duration = st.one_of(
    st.floats(0.01, 30),
    st.builds(
        lambda m, s: {"dist": "lognormal", "median": m, "sigma": s},
        st.floats(0.05, 10),
        st.floats(0, 1.5),
    ),
    st.builds(
        lambda k, th: {"dist": "gamma", "shape": k, "scale": th},
        st.floats(0.2, 5),
        st.floats(0.1, 5),
    ),
)
prob = st.floats(0, 1)


@st.composite
def scenarios(draw):
    doc = quiet_doc()
    doc["horizon_years"] = draw(st.floats(0.05, 3))
    road = draw(st.floats(0, 1))
    doc["districts"][0].update(
        attacks_per_year=draw(st.floats(0, 300)),
        targets={"road": road, "site": 0.0, "rail": 0.0, "other": 1 - road},
    )
    doc["network"]["segments"].append(
        {
            "name": "T1",
            "mode": "rail",
            "from": "Port",
            "to": "Mine",
            "km": 400,
            "kmh": 30,
            "districts": ["Alpha"],
        }
    )
    h = doc["hazard"]
    process = draw(st.sampled_from(["poisson", "negbin", "hawkes"]))
    h["process"] = process
    if process == "negbin":
        h["dispersion"] = draw(st.floats(0.2, 20))
    if process == "hawkes":
        h["branching_ratio"] = draw(st.floats(0, 0.9))
        h["decay_days"] = draw(st.floats(0.5, 60))
    h["closures"]["road"] = {"probability": draw(prob), "days": draw(duration)}
    h["closures"]["rail"] = {"probability": draw(prob), "days": draw(duration)}
    h["closures"]["protests"] = {"rate_per_year": draw(st.floats(0, 30)), "days": draw(duration)}
    h["blackouts"]["attack_probability"] = draw(prob)
    h["blackouts"]["days"] = draw(duration)
    h["blackouts"]["province_wide"] = {
        "rate_per_year": draw(st.floats(0, 10)),
        "days": draw(duration),
    }
    h["campaigns"].update(
        rate_per_year=draw(st.floats(0, 5)),
        duration_days=draw(duration),
        seizures=[{"place": "Mine", "probability": draw(prob), "days": draw(duration)}],
    )
    return build(doc)


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(scenarios(), st.integers(0, 2**40))
def test_no_event_outside_the_horizon(scenario, seed):
    h = riskmc.sample_hazard(scenario, 8, seed=seed)
    horizon = scenario.horizon_days
    a = h.attacks
    assert ((a["day"] >= 0) & (a["day"] < horizon)).all()
    assert ((a["mark"] > 0) & (a["mark"] < 1)).all()
    for spans in (h.closures, h.blackouts):
        assert (spans["start"] >= 0).all()
        assert (spans["start"] < spans["end"]).all()
        assert (spans["end"] <= horizon).all()


@SETTINGS
@given(scenarios(), st.integers(0, 2**40))
def test_merged_closures_never_overlap(scenario, seed):
    h = riskmc.sample_hazard(scenario, 8, seed=seed, pieces=True)
    for spans, pieces, key in (
        (h.closures, h.closure_pieces, "segment"),
        (h.blackouts, h.blackout_pieces, "district"),
    ):
        for _, g in spans.groupby(["replication", key], observed=True):
            start, end = g["start"].to_numpy(), g["end"].to_numpy()
            assert np.all(start[1:] > end[:-1])
        # merging keeps exactly the time the pieces cover
        for (rep, k), g in pieces.groupby(["replication", key], observed=True):
            merged = spans[(spans["replication"] == rep) & (spans[key] == k)]
            assert merged["end"].sub(merged["start"]).sum() == pytest.approx(
                _union_length(g["start"].to_numpy(), g["end"].to_numpy()), abs=1e-9
            )


def _union_length(start, end):
    total, cur_s, cur_e = 0.0, None, None
    for s, e in sorted(zip(start, end, strict=True)):
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    return total + (cur_e - cur_s if cur_e is not None else 0.0)


@SETTINGS
@given(st.floats(0.05, 5), st.sampled_from(["poisson", "negbin", "hawkes"]), st.integers(0, 2**40))
def test_zero_rates_and_no_stress_give_no_events(years, process, seed):
    doc = quiet_doc()
    doc["horizon_years"] = years
    doc["hazard"].update(process=process, dispersion=1.0, branching_ratio=0.5, decay_days=5)
    h = riskmc.sample_hazard(build(doc), 5, seed=seed)
    assert h.n_events == 0


def _merge_reference(pieces: np.ndarray) -> list[tuple]:
    """Merge of one replication's pieces by a plain stable sort, as the spec states it."""
    order = sorted(range(len(pieces)), key=lambda i: (pieces["key"][i], pieces["start"][i]))
    out: list[list] = []
    for i in order:
        p = pieces[i]
        if out and out[-1][0] == p["key"] and p["start"] <= out[-1][2]:
            out[-1][2] = max(out[-1][2], p["end"])
        else:
            out.append([p["key"], p["start"], p["end"], p["cause"]])
    return [tuple(x) for x in out]


@SETTINGS
@given(scenarios(), st.integers(0, 2**40))
def test_spans_ordered_and_merged_as_a_plain_sort_would(scenario, seed):
    h = riskmc.sample_hazard(scenario, 6, seed=seed, pieces=True)
    for rep in range(6):
        ev = h.replication(rep)
        for pieces, merged in (
            (ev.closure_pieces, ev.closures),
            (ev.blackout_pieces, ev.blackouts),
        ):
            keys = list(zip(pieces["key"], pieces["start"], strict=True))
            assert keys == sorted(keys)
            got = [tuple(x) for x in merged[["key", "start", "end", "cause"]].tolist()]
            assert got == _merge_reference(pieces)
