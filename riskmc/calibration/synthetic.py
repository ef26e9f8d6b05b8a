"""Synthetic ACLED-form exports, sampled from riskmc's own hazard.

For testing calibration against known parameters and for the worked example
of the docs. Every row says in its notes, source and tags that it is
synthetic: these are not real events.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from riskmc.calibration.readers import ACLED_COLUMNS
from riskmc.hazard import sample_hazard
from riskmc.scenario.schema import Scenario

__all__ = ["NOTES", "write_synthetic_acled"]

#: Note text of a synthetic event per target class, worded so that the
#: target rule of :mod:`riskmc.calibration.mapping` reads it back.
NOTES = {
    "road": "SYNTHETIC event (riskmc): IED struck a convoy on the highway, with a comma",
    "rail": "SYNTHETIC event (riskmc): blast on the railway track",
    "site": "SYNTHETIC event (riskmc): attack on a mining camp",
    "other": "SYNTHETIC event (riskmc): militants attacked a security post",
}


def write_synthetic_acled(
    scenario: Scenario,
    path: str | Path,
    *,
    seed: int = 0,
    replication: int = 0,
    region: str = "Balochistan",
    spellings: dict[str, str] | None = None,
) -> int:
    """Sample one replication's attacks and write them as an ACLED CSV export.

    Every district is written as its name (or ``spellings[name]``, to
    exercise aliases), at its coordinates when the scenario has them, and
    dates alternate between ACLED's two formats (``2023-02-16``,
    ``16 May 2025``). Notes carry commas and, every seventh row, a line break.

    Parameters
    ----------
    scenario : Scenario
    path : str or Path
        The CSV to write.
    seed, replication : int
        Which sample of the hazard.
    region : str
        Written as ``admin1``.
    spellings : dict of str to str, optional
        District name -> ``admin2`` to write.

    Returns
    -------
    int
        Events written.
    """
    h = sample_hazard(scenario, [replication], seed=seed, threads=1)
    a = h.attacks
    spell = spellings or {}
    coords = {d.name: (d.lat, d.lon) for d in scenario.districts}
    rows = []
    start = np.datetime64(scenario.start_date, "D")
    deaths = a["fatalities"].to_numpy()
    for j, (day, district, target) in enumerate(
        zip(a["day"].to_numpy(), a["district"].astype(str), a["target"].astype(str), strict=True)
    ):
        when = (start + np.timedelta64(int(np.floor(day)), "D")).astype(object)
        stamp = when.isoformat() if j % 2 == 0 else when.strftime("%d %B %Y")
        lat, lon = coords[district]
        note = NOTES[target] + ("\nsecond line of the note" if j % 7 == 3 else "")
        values = {
            "event_id_cnty": f"SYN{j + 1}",
            "event_date": stamp,
            "year": str(when.year),
            "time_precision": "1",
            "disorder_type": "Political violence",
            "event_type": "Explosions/Remote violence",
            "sub_event_type": "Remote explosive/landmine/IED",
            "actor1": "Synthetic militants",
            "region": "Southern Asia",
            "country": "Pakistan",
            "admin1": region,
            "admin2": spell.get(district, district),
            "location": "",
            "latitude": "" if lat is None else f"{lat:.4f}",
            "longitude": "" if lon is None else f"{lon:.4f}",
            "geo_precision": "2",
            "source": "riskmc synthetic sample",
            "source_scale": "Other",
            "notes": note,
            "fatalities": str(int(deaths[j])),
            "tags": "synthetic",
            "timestamp": "0",
        }
        rows.append([values.get(c, "") for c in ACLED_COLUMNS])
    with Path(path).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(ACLED_COLUMNS)
        writer.writerows(rows)
    return len(rows)
