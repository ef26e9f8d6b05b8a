"""Small event files written by the tests themselves."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from riskmc.calibration.readers import ACLED_COLUMNS

GTD_COLUMNS = (
    "eventid",
    "iyear",
    "imonth",
    "iday",
    "country_txt",
    "provstate",
    "city",
    "latitude",
    "longitude",
    "attacktype1_txt",
    "targtype1_txt",
    "targsubtype1_txt",
    "gname",
    "nkill",
    "summary",
)


def acled_row(**values: Any) -> dict[str, str]:
    """One ACLED row: a Balochistan IED by default, any column overridden."""
    row = {
        "event_id_cnty": "PAK1",
        "event_date": "2023-02-16",
        "year": "2023",
        "time_precision": "1",
        "disorder_type": "Political violence",
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Remote explosive/landmine/IED",
        "actor1": "BLA: Baloch Liberation Army",
        "admin1": "Balochistan",
        "admin2": "Quetta",
        "location": "Quetta",
        "latitude": "30.1800",
        "longitude": "67.0000",
        "notes": "An IED hit a vehicle.",
        "fatalities": "0",
        "country": "Pakistan",
    }
    row.update({k: str(v) for k, v in values.items()})
    return row


@pytest.fixture
def write_acled(tmp_path: Path) -> Callable[..., Path]:
    """Write rows (mappings) as an ACLED export with the 31 columns, or the given ones."""

    def write(
        rows: Sequence[dict[str, str]],
        name: str = "acled.csv",
        columns: Sequence[str] = ACLED_COLUMNS,
    ) -> Path:
        path = tmp_path / name
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(columns)
            for r in rows:
                w.writerow([r.get(c, "") for c in columns])
        return path

    return write


@pytest.fixture
def write_gtd(tmp_path: Path) -> Callable[..., Path]:
    """Write rows as a GTD CSV (Latin-1, as GTD distributes it)."""

    def write(rows: Sequence[dict[str, str]], name: str = "gtd.csv") -> Path:
        path = tmp_path / name
        with path.open("w", encoding="latin-1", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(GTD_COLUMNS)
            for r in rows:
                w.writerow([r.get(c, "") for c in GTD_COLUMNS])
        return path

    return write


def gtd_row(**values: Any) -> dict[str, str]:
    row = {
        "eventid": "201501010001",
        "iyear": "2015",
        "imonth": "3",
        "iday": "4",
        "country_txt": "Pakistan",
        "provstate": "Balochistan",
        "city": "Quetta",
        "latitude": "30.18",
        "longitude": "67.00",
        "attacktype1_txt": "Bombing/Explosion",
        "targtype1_txt": "Police",
        "targsubtype1_txt": "Police Checkpoint",
        "gname": "Baloch Liberation Army (BLA)",
        "nkill": "1",
        "summary": "",
    }
    row.update({k: str(v) for k, v in values.items()})
    return row
