"""District mapping (names, aliases, coordinates) and the target rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskmc.calibration import Gazetteer, infer_targets, map_districts, read_acled, read_gtd
from riskmc.scenario import load_scenario, shipped_scenarios

from .conftest import acled_row, gtd_row


@pytest.fixture
def gazetteer():
    return Gazetteer.balochistan()


def test_shipped_gazetteer_matches_the_default_scenario(gazetteer):
    default = load_scenario(shipped_scenarios()["balochistan.yaml"])
    assert list(gazetteer.names) == [d.name for d in default.districts]
    assert np.isfinite(gazetteer.lat).all()


@pytest.mark.parametrize(
    ("raw", "district"),
    [
        ("Noshki", "Nushki"),
        ("Nushki", "Nushki"),
        ("Bolan", "Kachhi"),
        ("Kachhi", "Kachhi"),
        ("KACHHI DISTRICT", "Kachhi"),
        ("Qila Abdullah", "Killa Abdullah"),
        ("Dalbandin", "Chagai"),  # district headquarters
        ("Nok Kundi", "Chagai"),  # a place of the district
        ("Dera Bugti", None),
    ],
)
def test_names_and_aliases(gazetteer, raw, district):
    assert gazetteer.find(raw) == district


def test_nearest_centroid_is_the_great_circle_nearest(gazetteer):
    # Right at Nushki's centroid, and 0.1 degree off Gwadar's.
    idx, km = gazetteer.nearest(np.array([29.55, 25.13]), np.array([66.02, 62.42]))
    assert [gazetteer.names[i] for i in idx] == ["Nushki", "Gwadar"]
    assert km[0] == pytest.approx(0.0, abs=1e-9)
    # 0.1 degree of longitude at 25.13 N: 111.19 km x cos(25.13 deg).
    assert km[1] == pytest.approx(111.195 * 0.1 * np.cos(np.radians(25.13)), rel=1e-3)


def test_acled_mapping_reports_every_unmapped_event(write_acled, gazetteer):
    rows = [
        acled_row(admin2="Noshki", location="Noshki"),
        acled_row(admin2="Bolan", location="Mach"),
        acled_row(admin2="Dera Bugti", location="Sui", latitude="28.62", longitude="69.18"),
        acled_row(admin2="", location="Somewhere", latitude="29.0", longitude="64.5"),
        acled_row(admin2="", location="Nowhere", latitude="", longitude=""),
        acled_row(admin2="", location="Far away", latitude="34.0", longitude="72.0"),
    ]
    mapped = map_districts(read_acled(write_acled(rows)).events, gazetteer)
    ev = mapped.events.set_index("row")
    assert ev.loc[2, "district"] == "Nushki"
    assert ev.loc[3, "district"] == "Kachhi"
    assert ev.loc[5, "district"] == "Chagai"
    assert ev.loc[5, "mapped_by"] == "coordinates"
    assert ev.loc[5, "distance_km"] < 20
    un = mapped.unmapped.set_index("row")["reason"].to_dict()
    assert un[4] == "district 'Dera Bugti' is not in the scenario"
    assert un[6] == "unknown name and no coordinates"
    assert un[7] == "unknown name; nearest centroid Pishin is 604 km away (> 150)"
    assert len(mapped.mapped) + len(mapped.unmapped) == len(rows)
    coords = mapped.by_coordinates()
    assert coords.to_dict("records")[0]["name"] == "Somewhere"


def test_user_aliases_map_or_exclude(write_acled, gazetteer):
    rows = [acled_row(admin2="Dera Bugti"), acled_row(admin2="Zhob")]
    mapped = map_districts(
        read_acled(write_acled(rows)).events,
        gazetteer,
        aliases={"Dera Bugti": "Sibi", "Zhob": None},
    )
    assert mapped.events["district"].tolist() == ["Sibi", ""]
    assert mapped.events["reason"].iloc[1] == "name 'Zhob' excluded by an alias"
    with pytest.raises(ValueError, match="alias to unknown district 'Atlantis'"):
        map_districts(mapped.events, gazetteer, aliases={"x": "Atlantis"})


def test_gtd_city_names_then_coordinates(write_gtd, gazetteer):
    rows = [
        gtd_row(city="Turbat"),
        gtd_row(city="Unknown", latitude="26.95", longitude="64.15"),
    ]
    mapped = map_districts(read_gtd(write_gtd(rows)).events, gazetteer)
    assert mapped.events["district"].tolist() == ["Kech", "Panjgur"]
    assert mapped.events["mapped_by"].tolist() == ["name", "coordinates"]


def test_by_name_only_and_by_coordinates_only(write_acled, gazetteer):
    rows = [acled_row(admin2="Quetta", latitude="25.13", longitude="62.32")]
    events = read_acled(write_acled(rows)).events
    assert map_districts(events, gazetteer, by="name").events["district"].iloc[0] == "Quetta"
    assert map_districts(events, gazetteer, by="coordinates").events["district"].iloc[0] == (
        "Gwadar"
    )


def test_scenario_gazetteer(tiny_doc):
    from riskmc.scenario import scenario_from_dict

    tiny = scenario_from_dict(tiny_doc)
    gaz = Gazetteer.from_scenario(tiny)
    assert gaz.names == ("Alpha",)
    assert gaz.find("Mine") == "Alpha"  # a place of the district
    idx, km = gaz.nearest(np.array([30.0]), np.array([67.0]))
    assert idx.tolist() == [-1]  # tiny has no coordinates: names only
    assert np.isnan(km[0])


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("remote explosive/landmine/ied | ied planted on the railway track near mach", "rail"),
        ("militants opened fire on the jaffar express; passengers and the road", "rail"),
        ("armed clash | attack on a coal mining company camp", "site"),
        ("explosion at saindak project", "site"),
        ("remote explosive/landmine/ied | an ied hit a convoy on the n-40", "road"),
        ("gunmen stopped buses at a checkpost on the highway", "road"),
        ("bombing/explosion | transportation | bus (excluding tourists)", "road"),
        ("remote explosive/landmine/ied | a landmine killed two soldiers", "other"),
        ("attack | grenade thrown at a shop in the market", "other"),
    ],
)
def test_target_rule(text, target):
    assert infer_targets(pd.Series([text])).iloc[0] == target
