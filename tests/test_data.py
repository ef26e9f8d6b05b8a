"""Package data: the fact tables ship with their sources, and the default scenario agrees."""

from __future__ import annotations

import re

import pytest

import riskmc
from riskmc.data import TABLES, load_table, sources


@pytest.mark.parametrize("name", TABLES)
def test_tables_load_from_the_package(name):
    table = load_table(name)
    assert len(table) > 0


@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("projects", "source"),
        ("security_stats", "source"),
        ("disruptions", "source"),
        ("segments", "length_confidence"),
        ("districts", "coord_confidence"),
        ("places", "coord_confidence"),
    ],
)
def test_every_row_has_its_source_or_confidence(name, column):
    values = load_table(name)[column]
    assert (values.str.len() > 0).all()


def test_every_source_tag_used_is_listed():
    known = sources()
    for name in ("projects", "security_stats", "disruptions"):
        for cell in load_table(name)["source"]:
            for tag in re.findall(r"S\d+[a-z]?", cell):
                assert tag in known, (name, tag)


def test_default_districts_match_the_table():
    table = load_table("districts").set_index("district")
    scenario = riskmc.default_scenario()
    assert {d.name for d in scenario.districts} == set(table.index)
    for d in scenario.districts:
        assert (d.lat, d.lon) == (float(table.loc[d.name, "lat"]), float(table.loc[d.name, "lon"]))


def test_default_places_match_the_table():
    table = load_table("places").set_index("place")
    places = {p.name: p for p in riskmc.default_scenario().network.places}
    for name, row in table.iterrows():
        if name in places:
            assert (places[name].lat, places[name].lon) == (float(row["lat"]), float(row["lon"]))
            assert places[name].district in (row["district"], None)


def test_default_attack_rates_allocate_the_provincial_total():
    # 0.85 of the 254 attacks PIPS counted in 2025, allocated by weight and rounded to 0.1.
    stats = load_table("security_stats")
    pips_2025 = stats[(stats.year == "2025") & (stats.source == "PIPS")]["events"].item()
    total = sum(float(d.attacks_per_year) for d in riskmc.default_scenario().districts)
    assert total == pytest.approx(0.85 * float(pips_2025), abs=0.05 * 20)


def test_reko_diq_rail_route_matches_the_published_length():
    s = riskmc.default_scenario()
    seg = {g.name: g.km for g in s.network.segments}
    port_to_nok_kundi = (
        seg["ML1"] + seg["ML3"] + seg["ML3a"] + seg["ML4a"] + seg["ML4b"] + seg["ML4c"]
    )
    assert 1325 <= port_to_nok_kundi <= 1350  # S9, S10, S12


def test_reference_suspensions_load_with_types():
    from riskmc.data import reference_suspensions

    table = reference_suspensions()
    assert len(table) >= 20
    assert (table["country"] == "Pakistan").sum() >= 8
    assert table["case"].is_unique
    assert table["duration_days"].dtype == "int64"
    assert table["censored"].dtype == bool
    for column in ("trigger_date", "start", "end"):
        assert str(table[column].dtype).startswith("datetime64")
    assert set(table["force_majeure"]) <= {"yes", "no", "unknown"}
    assert set(table["confidence"]) <= {"high", "medium", "low"}
    assert (table["duration_days"] > 0).all()
    assert table["start"].notna().all()


def test_reference_suspensions_cite_web_pages():
    from riskmc.data import reference_suspensions

    for cell in reference_suspensions()["source"]:
        urls = [u.strip() for u in cell.split(" ; ")]
        assert urls
        assert all(u.startswith("http") and " " not in u for u in urls), cell


def test_reference_suspension_durations_match_their_dates():
    from riskmc.data import reference_suspensions

    table = reference_suspensions()
    span = (table["end"] - table["start"]).dt.days
    exact = table[~table["censored"]]
    assert exact["end"].notna().all()
    assert (span[exact.index] == exact["duration_days"]).all()
    bounds = table[table["censored"]]
    # A lower bound: either no end is known, or the bound does not exceed the known span.
    assert (bounds["end"].isna() | (bounds["duration_days"] <= span[bounds.index])).all()
