"""The two project-model engines give the same outcomes, replication by replication (SPEC 3c).

Every shipped scenario, and generated variants of them, run through
``ChunkModel(..., engine="simpy")`` and ``ChunkModel(..., engine="compiled")``;
:func:`tests.engine.engines.assert_same_outcomes` compares the tables: integer,
boolean, text and date columns identical, float columns within 1e-9 relative or
1e-6 absolute. A failure names the scenario (for a generated one, its base and
every change), the seed, the replications, the column and the differing rows.

The variants start from a shipped scenario's document and change what the
project models read: attack and closure rates, stockpiles, convoy sizes, the
export mode and the rail service, stress events, the comms rule, escorts,
suspension blocks, the horizon. Each runs 2 or 3 replications, so that 200 of
them stay cheap. ``pytest --hypothesis-show-statistics`` shows how many of them
had suspensions, convoy losses, delays, and construction finished after the horizon.
"""

from __future__ import annotations

import copy
import functools
import math
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypeVar

import pandas as pd
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from riskmc.scenario import (
    Scenario,
    load_scenario,
    resolve_document,
    scenario_from_dict,
    shipped_scenarios,
)

from .engines import assert_same_outcomes, run_both

SHIPPED = sorted(shipped_scenarios())
#: (seed, first, stop): 2 x 12 replications of each shipped scenario, one range far from 0.
RANGES = ((7, 0, 12), (2026, 340, 352))


# ----------------------------------------------------------------------------- shipped


def _unexercised(frame: pd.DataFrame, scenario: Scenario) -> list[str]:
    """What the frame never shows that the scenario can produce: a comparison of zeros
    would pass whatever the engines did."""
    missing = []
    wanted: dict[str, Callable[[pd.Series], bool]] = {
        "delay_days": lambda c: bool((c > 0).any()),
        "lost_output_t": lambda c: bool((c > 0).any()),
        "convoys_delayed": lambda c: bool((c > 0).any()),
        "convoy_losses": lambda c: bool((c > 0).any()),
        "npv_loss_usd": lambda c: bool((c > 0).any()),
    }
    if any(p.suspension is not None for p in scenario.projects):
        wanted |= {
            "suspensions": lambda c: bool((c > 0).any()),
            "suspended_days": lambda c: bool((c > 0).any()),
            "force_majeure": lambda c: bool(c.any()),
            "delay_suspension_days": lambda c: bool((c > 0).any()),
        }
    if any(p.cover for p in scenario.projects):
        wanted["cover_recovery_usd"] = lambda c: bool((c > 0).any())
    if any(p.construction is None for p in scenario.projects):
        wanted["first_production"] = lambda c: bool(c.isna().any())  # an operating mine
    for column, seen in wanted.items():
        if not seen(frame[column]):
            missing.append(column)
    return missing


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_same_outcomes_in_both_engines(name: str) -> None:
    scenario = load_scenario(shipped_scenarios()[name])
    compared = []
    for seed, first, stop in RANGES:
        a, b = run_both(scenario, seed, first, stop)
        assert_same_outcomes(a, b, f"{name}, seed {seed}, replications {first}..{stop - 1}")
        assert len(a) == (stop - first) * len(scenario.projects)
        compared.append(a)
    missing = _unexercised(pd.concat(compared, ignore_index=True), scenario)
    assert not missing, f"{name}: the compared replications never show nonzero {missing}"


# ----------------------------------------------------------------------------- generated


@functools.cache
def _base(name: str) -> dict[str, Any]:
    """A shipped scenario's document, ``extends:`` resolved (copy it before changing it)."""
    return resolve_document(shipped_scenarios()[name])


#: Keys of a distribution mapping that scale with the value it stands for.
_SCALED_KEYS = ("value", "low", "mode", "high", "median", "scale")


def _scaled(value: Any, factor: float) -> Any:
    """A number, or a ``{dist: ...}`` mapping, times ``factor`` (>= 0)."""
    if factor == 0:
        return 0.0
    if isinstance(value, dict):
        out = dict(value)
        if out.get("dist") == "beta":
            out.setdefault("low", 0.0)
            out.setdefault("high", 1.0)
        for key in _SCALED_KEYS:
            if key in out:
                out[key] = out[key] * factor
        return out
    return value * factor


class Variant:
    """A scenario document made from a shipped one, and what was changed, for the messages.

    Shown (by Hypothesis too) as its base and its changes, not as the whole document.
    """

    def __init__(self, base: str, doc: dict[str, Any]) -> None:
        self.base = base
        self.doc = doc
        self.changes: list[str] = []

    def set(self, path: tuple[str | int, ...], value: Any) -> None:
        """Set the value at ``path`` in the document, and record it."""
        node: Any = self.doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        self.note(path, value)

    def note(self, path: tuple[str | int, ...], value: Any, how: str = "=") -> None:
        """Record a change: ``path``, then ``how`` (``=``, ``+=``, ``*=``), then the value."""
        where = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path)[1:]
        self.changes.append(f"{where}{how}{value!r}")

    def __repr__(self) -> str:
        return f"<{self.base}: {'; '.join(self.changes) or 'unchanged'}>"


T = TypeVar("T")


def _knob(values: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    """Change a value or not (None, what an example shrinks to: the base's value)."""
    return st.none() | values


_FACTOR = st.floats(0.25, 3.0) | st.just(0.0)


def _lognormal(median: float) -> st.SearchStrategy[dict[str, Any]]:
    """Lognormal laws of median up to ``median`` (the mean is at most 23 times that)."""
    return st.builds(
        lambda m, sigma: {"dist": "lognormal", "median": m, "sigma": sigma},
        st.floats(0.2, median),
        st.floats(0.1, 2.5),
    )


_SUSPENSION = st.fixed_dictionaries(
    {
        "site_attack": st.none()
        | st.fixed_dictionaries(
            {"min_fatalities": st.integers(0, 3), "probability": st.floats(0.0, 1.0)}
        ),
        "district_attack": st.none()
        | st.fixed_dictionaries(
            {"min_fatalities": st.integers(0, 20), "probability": st.floats(0.0, 1.0)}
        ),
        "campaign": st.none() | st.fixed_dictionaries({"probability": st.floats(0.0, 1.0)}),
        "days": st.floats(0.5, 400.0) | _lognormal(60.0),
        "remobilization_days": st.floats(0.0, 60.0),
        "remobilization_usd": st.floats(0.0, 5e7),
        "standby_days": st.none() | st.floats(0.0, 120.0),
        "force_majeure_days": st.floats(5.0, 200.0),
    }
)
#: Cover terms (SPEC 4b): an interruption cover, a damage cover, or both, any terms.
_COVERS = st.lists(
    st.sampled_from(["interruption", "damage"]), min_size=1, max_size=2, unique=True
).flatmap(
    lambda perils: st.tuples(
        *(
            st.fixed_dictionaries(
                {"name": st.just(f"c_{peril}"), "peril": st.just(peril)}
                | (
                    {"waiting_days": st.floats(0.0, 200.0), "usd_per_day": st.floats(0.0, 2e6)}
                    if peril == "interruption"
                    else {"deductible_usd": st.floats(0.0, 5e6)}
                )
                | {"limit_usd": st.floats(0.0, 1e9), "premium_rate": st.floats(0.0, 0.05)}
            )
            for peril in perils
        )
    )
)
#: Debt terms: a level service or a schedule, a cash margin, a first year near the start.
_DEBT = st.fixed_dictionaries(
    {"first_year": st.integers(2026, 2030), "cash_margin": st.floats(0.1, 1.0)}
) | st.fixed_dictionaries(
    {
        "first_year": st.integers(2026, 2030),
        "schedule_usd": st.lists(st.floats(0.0, 6e8), min_size=1, max_size=8),
    }
)


def _rail_links(doc: dict[str, Any]) -> dict[str, set[str]]:
    links: dict[str, set[str]] = {}
    for g in doc["network"]["segments"]:
        if g["mode"] == "rail":
            links.setdefault(g["from"], set()).add(g["to"])
            links.setdefault(g["to"], set()).add(g["from"])
    return links


def _reach_by_rail(v: Variant, i: int, km: float) -> None:
    """Give project ``i`` a rail line to its port, if its site has none."""
    p = v.doc["projects"][i]
    links, seen, todo = _rail_links(v.doc), {p["port"]}, [p["port"]]
    while todo:
        for nxt in links.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    if p["site"] in seen:
        return
    district = next(x["district"] for x in v.doc["network"]["places"] if x["name"] == p["site"])
    segment = {
        "name": f"generated rail {i}",
        "mode": "rail",
        "from": p["port"],
        "to": p["site"],
        "km": km,
        "kmh": 30,
        "districts": [district] if district is not None else [],
    }
    v.doc["network"]["segments"].append(segment)
    v.note(("network", "segments"), [segment], "+=")


def _stress_events(draw: st.DrawFn, doc: dict[str, Any], last: int) -> list[dict[str, Any]]:
    """One or two stress events of any kind, each starting on one of days 0 .. ``last``."""
    start = date.fromisoformat(str(doc["start_date"]))
    districts = [d["name"] for d in doc["districts"]]
    out = []
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from(["closure", "blackout", "seizure", "attack"]))
        when = (start + timedelta(days=draw(st.integers(0, last)))).isoformat()
        e: dict[str, Any] = {"kind": kind, "start": when}
        if kind == "closure":
            e["segment"] = draw(st.sampled_from([g["name"] for g in doc["network"]["segments"]]))
        elif kind == "blackout":
            e["district"] = draw(st.sampled_from([*districts, "all"]))
        elif kind == "seizure":
            e["place"] = draw(st.sampled_from([x["name"] for x in doc["network"]["places"]]))
        else:
            e["district"] = draw(st.sampled_from(districts))
            e["target"] = draw(st.sampled_from(["road", "rail", "site", "other"]))
            e["fatalities"] = draw(st.none() | st.integers(0, 30))
        if kind != "attack":
            e["days"] = draw(st.floats(0.5, 120.0))
        out.append(e)
    return out


def _vary_hazard(draw: st.DrawFn, v: Variant) -> None:
    doc = v.doc
    factor = draw(_knob(_FACTOR))
    if factor is not None:
        for d in doc["districts"]:
            d["attacks_per_year"] = _scaled(d["attacks_per_year"], factor)
        v.note(("districts", "*", "attacks_per_year"), factor, "*=")
    weights = draw(_knob(st.tuples(*(st.integers(0, 4) for _ in range(4)))))
    if weights is not None:
        road, rail, site, other = weights[0], weights[1], weights[2], weights[3] + 1
        total = road + rail + site + other
        targets = {"road": road / total, "rail": rail / total, "site": site / total}
        targets["other"] = 1.0 - sum(targets.values())
        for d in doc["districts"]:
            d["targets"] = dict(targets)
        v.note(("districts", "*", "targets"), targets)
    for mode in ("road", "rail"):
        probability = draw(_knob(st.floats(0.0, 1.0)))
        if probability is not None:
            v.set(("hazard", "closures", mode, "probability"), probability)
        stretch = draw(_knob(st.floats(0.2, 5.0)))
        if stretch is not None:
            days = doc["hazard"]["closures"][mode]["days"]
            v.set(("hazard", "closures", mode, "days"), _scaled(days, stretch))
    factor = draw(_knob(_FACTOR))
    if factor is not None:
        protests = doc["hazard"]["closures"].setdefault("protests", {})
        v.set(
            ("hazard", "closures", "protests", "rate_per_year"),
            _scaled(protests.get("rate_per_year", 1.0), factor),
        )
    rate = draw(_knob(st.floats(0.0, 3.0)))
    if rate is not None:
        doc["hazard"].setdefault("campaigns", {})
        v.set(("hazard", "campaigns", "rate_per_year"), rate)
    rate = draw(_knob(st.floats(0.0, 3.0)))
    if rate is not None:
        doc["hazard"]["blackouts"].setdefault("province_wide", {})
        v.set(("hazard", "blackouts", "province_wide", "rate_per_year"), rate)
    deaths = draw(_knob(_lognormal(5.0)))  # the mean of deaths is at most 1000
    if deaths is not None:
        v.set(("hazard", "fatalities"), deaths)


def _vary_project(draw: st.DrawFn, v: Variant, i: int, last: int) -> None:
    p = v.doc["projects"][i]

    def at(*keys: str) -> tuple[str | int, ...]:
        return ("projects", i, *keys)

    start = date.fromisoformat(str(v.doc["start_date"]))
    if p.get("construction") is not None:
        if draw(st.integers(0, 4)) == 4:  # one in five: an operating mine
            v.set(at("construction"), None)
        else:
            offset = draw(_knob(st.integers(0, min(last, 365))))
            if offset is not None:
                v.set(at("construction", "start"), (start + timedelta(days=offset)).isoformat())
            days = draw(_knob(st.floats(0.0, 90.0)))
            if days is not None:
                v.set(at("construction", "site_buffer_days"), days)
            factor = draw(_knob(st.floats(0.01, 1.5)))
            if factor is not None:
                tonnes = _scaled(p["construction"]["material_t"], factor)
                v.set(at("construction", "material_t"), tonnes)
            share = draw(_knob(st.floats(0.0, 1.0)))
            if share is not None:
                v.set(at("construction", "blackout_productivity"), share)
            days = draw(_knob(st.floats(0.0, 10.0)))
            if days is not None:
                v.set(at("construction", "site_attack_standdown_days"), days)
    ops = p["operations"]
    for key, values in (
        ("consumables_buffer_days", st.floats(0.0, 60.0)),
        ("storage_days", st.floats(0.1, 40.0)),
        ("ramp_up_days", st.floats(0.0, 400.0)),
    ):
        value = draw(_knob(values))
        if value is not None:
            v.set(at("operations", key), value)
    mode = draw(_knob(st.sampled_from(["road", "rail"])))
    if mode is not None:
        v.set(at("operations", "export_mode"), mode)
    if ops["export_mode"] == "rail":
        _reach_by_rail(v, i, draw(st.floats(50.0, 1500.0)))
        trains = draw(_knob(st.floats(0.5, 4.0)))
        if trains is not None:
            v.set(at("operations", "trains_per_day"), trains)
            v.set(at("operations", "train_t"), draw(st.floats(300.0, 2500.0)))
        usual = ops.get("trains_per_day", 1.0)  # 1: the schema's default
        extra = draw(_knob(st.floats(0.0, 3.0)))
        surge = ops.get("surge_trains_per_day")
        if extra is not None or isinstance(surge, int | float):
            # the surge service is at least the usual one (the highest a distribution gives)
            if not isinstance(usual, int | float):
                v.set(at("operations", "trains_per_day"), usual := 2.0)
            if extra is not None:
                v.set(at("operations", "surge_trains_per_day"), usual + extra)
            elif surge < usual:
                v.set(at("operations", "surge_trains_per_day"), usual)
    factor = draw(_knob(st.floats(0.5, 2.0)))
    if factor is not None:
        v.set(at("logistics", "convoy_t"), _scaled(p["logistics"]["convoy_t"], factor))
    for key in ("dispatch_needs_comms", "escorted"):
        flag = draw(_knob(st.booleans()))
        if flag is not None:
            v.set(at("logistics", key), flag)
    block = draw(_knob(st.just("none") | _SUSPENSION))
    if block is not None:
        v.set(at("suspension"), None if block == "none" else block)
    covers = draw(_knob(_COVERS))
    if covers is not None:
        v.set(at("cover"), list(covers))
    debt = draw(_knob(_DEBT))
    if debt is not None:
        if "schedule_usd" not in debt:
            debt["service_usd_per_year"] = draw(st.floats(0.0, 6e8))
        v.set(at("debt"), debt)


@st.composite
def variants(draw: st.DrawFn) -> Variant:
    """A shipped scenario with some of what the project models read changed."""
    name = draw(st.sampled_from(SHIPPED))
    v = Variant(name, copy.deepcopy(_base(name)))
    years = float(v.doc["horizon_years"])
    shorter = draw(_knob(st.floats(min(1.0, years), years)))
    if shorter is not None:
        v.set(("horizon_years",), shorter)
        years = shorter
    # the last day a stress event or a construction may start (before the horizon's end)
    last = math.floor(years * 365.25) - 1
    _vary_hazard(draw, v)
    for i in range(len(v.doc["projects"])):
        _vary_project(draw, v, i, last)
    added = draw(_knob(st.just(True)))
    if added:
        events = _stress_events(draw, v.doc, last)
        v.doc["stress"] = [*(v.doc.get("stress") or []), *events]
        v.note(("stress",), events, "+=")
    return v


def _count(frame: pd.DataFrame, column: str) -> str:
    return "some" if (frame[column] > 0).any() else "none"


@settings(max_examples=200, deadline=None)
@given(
    variant=variants(),
    seed=st.integers(0, 2**32 - 1),
    first=st.integers(0, 10_000),
    count=st.integers(2, 3),
)
def test_generated_scenarios_same_outcomes_in_both_engines(
    variant: Variant, seed: int, first: int, count: int
) -> None:
    # a document the generator makes must validate: if not, fix the generator
    scenario = scenario_from_dict(variant.doc, f"<generated from {variant.base}>")
    stop = first + count
    a, b = run_both(scenario, seed, first, stop)
    assert_same_outcomes(a, b, f"{variant!r}, seed {seed}, replications {first}..{stop - 1}")
    for column in (
        "suspensions",
        "convoy_losses",
        "delay_days",
        "lost_output_t",
        "cover_recovery_usd",
    ):
        event(f"{column}: {_count(a, column)}")
    building = a[a["project"].isin([p.name for p in scenario.projects if p.construction])]
    if building.empty:
        event("construction: none")
    else:
        end = pd.Timestamp(scenario.date_of(scenario.horizon_days))
        late = (building["first_production"] > end).any()
        event(f"construction: {'some finished after' if late else 'finished within'} the horizon")


# ----------------------------------------------------------------------------- the harness


@pytest.fixture(scope="module")
def pair() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both engines' rows of balochistan.yaml, replications 0..3 (Reko Diq, then Saindak)."""
    scenario = load_scenario(shipped_scenarios()["balochistan.yaml"])
    return run_both(scenario, 1, 0, 4)


#: Row 2: replication 1, Reko Diq (under construction, so it has a first-production date).
_ROW = 2


def _perturbed(frame: pd.DataFrame, column: str, how: str) -> pd.DataFrame:
    """A copy of ``frame`` with row ``_ROW`` of ``column`` changed."""
    values: list[Any] = frame[column].tolist()
    value = values[_ROW]
    if how.endswith("relative"):
        assert abs(value) > 1.0, value  # so that the relative change is also over 1e-6 absolute
        values[_ROW] = value * (1 + float(how.split()[0]))
    elif how == "+5e-7":
        values[_ROW] = value + 5e-7
    elif how == "NaN":
        values[_ROW] = math.nan
    elif how == "+1":
        values[_ROW] = value + 1
    elif how == "flipped":
        values[_ROW] = not value
    elif how == "a day later":
        values[_ROW] = value + timedelta(days=1)
    elif how == "missing":
        values[_ROW] = None
    else:
        raise ValueError(how)
    changed = pd.Series(values, index=frame.index, dtype=frame[column].dtype)
    return frame.assign(**{column: changed})


def test_the_two_engines_agree_on_the_harness_rows(
    pair: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    a, b = pair
    assert_same_outcomes(a, b, "balochistan.yaml")
    assert isinstance(a["first_production"].tolist()[_ROW], pd.Timestamp)
    assert (a["replication"].tolist()[_ROW], a["project"].tolist()[_ROW]) == (1, "Reko Diq")


@pytest.mark.parametrize(
    ("column", "how"),
    [
        ("npv_loss_usd", "1e-6 relative"),
        ("delay_days", "NaN"),
        ("attacks", "+1"),
        ("debt_shortfall_mask", "+1"),
        ("force_majeure", "flipped"),
        ("first_production", "a day later"),
        ("first_production", "missing"),
    ],
)
def test_the_harness_names_the_column_and_the_replication_that_differ(
    pair: tuple[pd.DataFrame, pd.DataFrame], column: str, how: str
) -> None:
    a, b = pair
    b = _perturbed(b, column, how)
    was, now = a[column].tolist()[_ROW], b[column].tolist()[_ROW]
    with pytest.raises(AssertionError) as info:
        assert_same_outcomes(a, b, "the label")
    text = str(info.value)
    assert text.startswith(f"the label: 1 of {len(a.columns)} columns differ between simpy and")
    where = "row 2, replication 1, project 'Reko Diq'"
    assert f"column {column!r} differs in 1 of 8 rows: {where}: " in text, text
    assert f"simpy {was!r}, compiled {now!r}" in text, text


@pytest.mark.parametrize(
    ("column", "how"),
    [("npv_loss_usd", "1e-10 relative"), ("lost_at_quetta_t", "+5e-7")],
)
def test_the_harness_allows_the_float_tolerance(
    pair: tuple[pd.DataFrame, pd.DataFrame], column: str, how: str
) -> None:
    a, b = pair
    b = _perturbed(b, column, how)
    assert b[column].tolist()[_ROW] != a[column].tolist()[_ROW]
    assert_same_outcomes(a, b)


def test_the_harness_takes_nan_for_nan_and_none_for_none(
    pair: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    a, b = pair
    a = _perturbed(_perturbed(a, "delay_days", "NaN"), "first_production", "missing")
    b = _perturbed(_perturbed(b, "delay_days", "NaN"), "first_production", "missing")
    assert_same_outcomes(a, b)


def test_the_harness_checks_columns_rows_and_dtypes(
    pair: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    a, b = pair
    with pytest.raises(AssertionError, match=re.escape("only in simpy ['attacks']")):
        assert_same_outcomes(a, b.drop(columns="attacks"))
    swapped = [*b.columns[:2][::-1], *b.columns[2:]]
    with pytest.raises(AssertionError, match="same names in another order"):
        assert_same_outcomes(a, b[swapped])
    with pytest.raises(AssertionError, match="simpy has 8 rows, compiled 6"):
        assert_same_outcomes(a, b.iloc[:6])
    reordered = b.iloc[[1, 0, *range(2, len(b))]].reset_index(drop=True)
    with pytest.raises(
        AssertionError,
        match=re.escape(
            "row 0 is (row 0, replication 0, project 'Reko Diq') in simpy, "
            "(row 0, replication 0, project 'Saindak') in compiled"
        ),
    ):
        assert_same_outcomes(a, reordered)
    as_float = b.astype({"attacks": "float64"})
    with pytest.raises(AssertionError, match="column 'attacks' has dtype int64 in simpy, float64"):
        assert_same_outcomes(a, as_float)
    # a date is not its timestamp: another type of column
    dates = b.assign(first_production=b["first_production"].dt.date)
    with pytest.raises(AssertionError, match="column 'first_production' has dtype"):
        assert_same_outcomes(a, dates)


@pytest.mark.parametrize("name", ["balochistan.yaml", "tiny.yaml"])
def test_a_site_outside_every_district_same_outcomes_in_both_engines(name: str) -> None:
    # no site district: no site blackouts, stand-downs or suspensions for that project
    doc = _base(name)
    site = doc["projects"][0]["site"]
    for place in doc["network"]["places"]:
        if place["name"] == site:
            place["district"] = None
    scenario = scenario_from_dict(doc, f"<{name}, site outside the province>")
    a, b = run_both(scenario, 5, 0, 6)
    assert_same_outcomes(a, b, f"{name}, first site outside every district")
    assert a.loc[a["project"] == scenario.projects[0].name, "suspensions"].eq(0).all()
