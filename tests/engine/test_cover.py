"""Cover terms (SPEC 4b) on the quiet tiny project: known answers in both engines."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from riskmc.engine import ChunkModel
from riskmc.engine.cover import extra_schema
from riskmc.scenario import ScenarioError, read_document, scenario_from_dict, shipped_scenarios
from riskmc.scenario.schema import Scenario

ENGINES = ("simpy", "compiled")
DAMAGE = 5.0e6  # USD per site attack, fixed
YEAR = 365.25


def _doc(attacks: list[tuple[str, int]], days: float = 120.0) -> dict[str, Any]:
    """tiny.yaml with no random hazard, stress site attacks ``(date, deaths)`` and a
    suspension of ``days`` after each attack on the site with 10 or more deaths."""
    doc = copy.deepcopy(read_document(shipped_scenarios()["tiny.yaml"]))
    doc["districts"][0]["attacks_per_year"] = 0
    h = doc["hazard"]
    h["closures"]["protests"]["rate_per_year"] = 0
    h["blackouts"]["province_wide"]["rate_per_year"] = 0
    h["campaigns"]["rate_per_year"] = 0
    doc["stress"] = [
        {"kind": "attack", "district": "Alpha", "target": "site", "start": d, "fatalities": f}
        for d, f in attacks
    ]
    p = doc["projects"][0]
    p["suspension"] = {"site_attack": {"min_fatalities": 10, "probability": 1}, "days": days}
    p["costs"]["site_attack_damage_usd"] = DAMAGE
    return doc


def _with_cover(doc: dict[str, Any], *covers: dict[str, Any]) -> Scenario:
    doc = copy.deepcopy(doc)
    doc["projects"][0]["cover"] = list(covers)
    return scenario_from_dict(doc)


def _row(scenario: Scenario, engine: str) -> pd.Series:
    return ChunkModel(scenario, engine=engine).run(seed=1, first=0, stop=1).iloc[0]


def _pri(**terms: Any) -> dict[str, Any]:
    base = {"name": "pri", "peril": "interruption", "waiting_days": 90, "usd_per_day": 1e6}
    return base | {"limit_usd": 5e8} | terms


def _property(**terms: Any) -> dict[str, Any]:
    return {"name": "property", "peril": "damage", "deductible_usd": 1e6, "limit_usd": 1e8} | terms


@pytest.mark.parametrize("engine", ENGINES)
def test_a_suspension_of_120_days_beyond_a_90_day_wait_pays_30_days(engine: str) -> None:
    row = _row(_with_cover(_doc([("2026-09-01", 12)]), _pri()), engine)
    assert row["suspended_days"] == 120.0
    assert row["cover_pri_recovery_usd"] == 30e6
    assert row["cover_recovery_usd"] == 30e6
    assert row["cover_pri_y1_usd"] == 30e6  # the suspension starts in the first year
    assert row["cover_pri_y1_max_usd"] == 30e6
    assert row["cover_pri_y2_usd"] == 0.0
    # paid as days 243 + 90 .. 243 + 120 accrue, at 8 % a year (continuous daily rate)
    rho = math.log(1.08) / YEAR
    pv = 1e6 * (math.exp(-rho * 333) - math.exp(-rho * 363)) / rho
    assert row["cover_recovery_pv_usd"] == pytest.approx(pv, rel=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_two_suspensions_each_within_the_waiting_period_pay_nothing(engine: str) -> None:
    doc = _doc([("2026-03-01", 12), ("2027-03-01", 12)], days=80.0)
    row = _row(_with_cover(doc, _pri()), engine)
    assert row["suspensions"] == 2
    assert row["suspended_days"] == 160.0
    assert row["cover_pri_recovery_usd"] == 0.0


@pytest.mark.parametrize("engine", ENGINES)
def test_the_limit_caps_the_payments_over_the_horizon(engine: str) -> None:
    # two suspensions of 120 days: 30 days each beyond the wait, 60e6 without a limit
    doc = _doc([("2026-03-01", 12), ("2027-03-01", 12)])
    row = _row(_with_cover(doc, _pri()), engine)
    assert row["cover_pri_recovery_usd"] == 60e6
    assert (row["cover_pri_y1_usd"], row["cover_pri_y2_usd"]) == (30e6, 30e6)
    row = _row(_with_cover(doc, _pri(limit_usd=45e6)), engine)
    assert row["cover_pri_recovery_usd"] == 45e6
    assert (row["cover_pri_y1_usd"], row["cover_pri_y2_usd"]) == (30e6, 15e6)


@pytest.mark.parametrize("engine", ENGINES)
def test_damage_above_the_deductible_pays_the_excess_per_occurrence(engine: str) -> None:
    # three site attacks (no suspension: too few deaths), 5e6 damage each, 1e6 deductible
    doc = _doc([("2026-02-01", 0), ("2026-05-01", 0), ("2028-07-01", 0)])
    row = _row(_with_cover(doc, _property()), engine)
    assert row["damage_usd"] + row["opex_extra_usd"] == 3 * DAMAGE
    assert row["cover_property_recovery_usd"] == 3 * 4e6
    assert row["cover_property_y1_usd"] == 8e6
    assert row["cover_property_y1_max_usd"] == 4e6
    assert row["cover_property_y3_usd"] == 4e6
    days = [31.0, 120.0, 912.0]  # 2026-02-01, 2026-05-01, 2028-07-01
    pv = sum(4e6 * 1.08 ** (-d / YEAR) for d in days)
    assert row["cover_recovery_pv_usd"] == pytest.approx(pv, rel=1e-12)
    row = _row(_with_cover(doc, _property(limit_usd=1e7)), engine)
    assert row["cover_property_recovery_usd"] == 1e7
    assert row["cover_property_y3_usd"] == 2e6
    row = _row(_with_cover(doc, _property(deductible_usd=6e6)), engine)
    assert row["cover_property_recovery_usd"] == 0.0


@pytest.mark.parametrize("engine", ENGINES)
def test_premiums_are_a_share_of_the_limit_a_year_paid_in_advance_and_discounted(
    engine: str,
) -> None:
    # tiny: 5 years from 2026-01-01, the run from day 0, discount rate 8 %
    cover = _pri(limit_usd=5e8, premium_rate=0.015)
    row = _row(_with_cover(_doc([]), cover, _property(premium_rate=0.01)), engine)
    pri = 7.5e6 * sum(1.08**-k for k in range(5))
    prop = 1e6 * sum(1.08**-k for k in range(5))
    assert row["cover_pri_premium_usd"] == pytest.approx(pri, rel=1e-12)
    assert row["cover_property_premium_usd"] == pytest.approx(prop, rel=1e-12)
    assert row["cover_premium_usd"] == pytest.approx(pri + prop, rel=1e-12)
    assert row["cover_recovery_usd"] == 0.0


@pytest.mark.parametrize("engine", ENGINES)
def test_a_suspension_cut_at_the_horizon_pays_its_days_within_the_horizon(engine: str) -> None:
    # tiny's horizon ends on day 5 x 365.25 = 1826.25 (2030-12-31 06:00); the attack on
    # 2030-09-02 (day 1705) starts 120 days, of which 121.25 fall within the horizon ...
    doc = _doc([("2030-09-02", 12)], days=200.0)
    row = _row(_with_cover(doc, _pri()), engine)
    within = 5 * YEAR - 1705.0
    assert row["suspended_days"] == pytest.approx(within)
    # ... and 31.25 beyond the wait of 90
    assert row["cover_pri_recovery_usd"] == pytest.approx((within - 90) * 1e6, rel=1e-12)
    assert row["cover_pri_y5_usd"] == pytest.approx((within - 90) * 1e6, rel=1e-6)


@pytest.mark.parametrize("engine", ENGINES)
def test_adding_cover_changes_no_other_column(engine: str) -> None:
    base = _doc([("2026-03-01", 12), ("2027-06-01", 0)])
    doc = copy.deepcopy(read_document(shipped_scenarios()["tiny.yaml"]))
    for plain in (scenario_from_dict(base), scenario_from_dict(doc)):
        covered = _with_cover(plain.model_dump(mode="json", by_alias=True), _pri(), _property())
        a = ChunkModel(plain, engine=engine).run(seed=3, first=0, stop=6)
        b = ChunkModel(covered, engine=engine).run(seed=3, first=0, stop=6)
        new = set(b.columns) - set(a.columns)
        assert new == set(extra_schema(covered))
        totals = ["cover_recovery_usd", "cover_recovery_pv_usd", "cover_premium_usd"]
        assert (a[totals] == 0).all().all()
        same = [c for c in a.columns if c not in totals]
        pd.testing.assert_frame_equal(a[same], b[same], check_exact=True)
        assert (b["cover_recovery_usd"] > 0).any()


def test_the_columns_of_the_covers_and_their_types() -> None:
    s = _with_cover(_doc([]), _pri(), _property())
    schema = extra_schema(s)
    assert list(schema)[:4] == [
        "cover_pri_recovery_usd",
        "cover_pri_premium_usd",
        "cover_property_recovery_usd",
        "cover_property_premium_usd",
    ]
    assert schema["cover_pri_y5_max_usd"] == np.float32
    assert "cover_pri_y6_usd" not in schema
    assert math.isclose(s.horizon_years, 5)


@pytest.mark.parametrize(
    ("cover", "message"),
    [
        (_pri(usd_per_day=-1), "cover[0].usd_per_day: must be >= 0, got -1"),
        (_pri(premium_rate=1.5), "cover[0].premium_rate: must be <= 1, got 1.5"),
        (_pri(peril="war"), "cover[0].peril: must be one of 'interruption' or 'damage'"),
        (_pri(deductible_usd=5), "cover[0].deductible_usd: does not apply to a cover of peril"),
        (_property(waiting_days=5), "cover[0].waiting_days: does not apply to a cover of peril"),
    ],
)
def test_bad_cover_terms_are_refused_in_one_line(cover: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        _with_cover(_doc([]), cover)
    text = str(err.value)
    assert message in text
    assert "\n" not in text.strip()


def test_two_covers_of_one_name_are_refused() -> None:
    with pytest.raises(ScenarioError, match=r"cover\[1\].name: duplicate cover name 'PRI'"):
        _with_cover(_doc([]), _pri(), _property(name="PRI"))


def test_the_result_lists_each_cover_per_replication() -> None:
    import riskmc

    s = _with_cover(_doc([("2026-09-01", 12)]), _pri(), _property(premium_rate=0.01))
    result = riskmc.simulate(s, 3, seed=1, workers=1)
    cover = result.cover
    assert list(cover.columns) == ["replication", "project", "cover", "recovery_usd", "premium_usd"]
    assert cover["replication"].tolist() == [0, 0, 1, 1, 2, 2]
    assert cover["cover"].astype(str).tolist()[:2] == ["pri", "property"]
    pri = cover[cover["cover"] == "pri"]
    assert (pri["recovery_usd"] == 30e6).all()
    assert np.allclose(
        cover.groupby("replication")["recovery_usd"].sum(), result.outcomes["cover_recovery_usd"]
    )
    assert riskmc.simulate(_doc_scenario(), 2, seed=1, workers=1).cover.empty


def _doc_scenario() -> Scenario:
    return scenario_from_dict(_doc([]))
