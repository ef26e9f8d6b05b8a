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
