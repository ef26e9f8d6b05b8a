"""Reading a history of events before the start into a scenario (SPEC 1b).

The hazard stage samples from the events of ``hazard.history`` (its ``days``
and ``districts``, :mod:`riskmc.hazard.history`); this reads them from the
export the key names, as ``riskmc calibrate`` reads, filters and maps events
(:mod:`riskmc.calibration.readers`, :mod:`riskmc.calibration.mapping`), and
writes them into the scenario.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from riskmc.calibration.calibrate import ATTACK_EVENT_TYPES
from riskmc.calibration.errors import EventFileError
from riskmc.calibration.mapping import Gazetteer, map_districts
from riskmc.calibration.readers import filter_events, read_events
from riskmc.hazard.history import HistoryEvents
from riskmc.scenario.loading import scenario_from_dict
from riskmc.scenario.schema import Scenario

__all__ = ["read_history", "resolve_history", "with_history"]

#: The column a history's date is reported in, by format.
DATE_COLUMN = {"acled": "event_date", "gtd": "iyear"}


def read_history(
    path: str | Path, format: Literal["acled", "gtd"], scenario: Scenario
) -> HistoryEvents:
    """Read an ACLED or GTD export as a history of ``scenario``.

    The events kept are those ``riskmc calibrate`` keeps by default (ACLED's
    political-violence types; every GTD event), mapped to the scenario's
    districts by name, then by coordinates within 150 km.

    Raises
    ------
    riskmc.calibration.EventFileError
        One line naming the file (and row and column where known): a file
        that cannot be read, an event on or after ``start_date``, a file
        whose events map to no district of the scenario.
    """
    table = read_events(path, format)
    start = pd.Timestamp(scenario.start_date)
    late = table.events["date"] >= start
    if late.any():
        row = table.events.loc[late, ["row", "date"]].iloc[0]
        raise EventFileError(
            path,
            f"date '{row['date'].date()}' is not before the scenario's start_date "
            f"{scenario.start_date}: a history holds events before the start",
            row=int(row["row"]),
            column=DATE_COLUMN[format],
        )
    table = filter_events(table, event_types=ATTACK_EVENT_TYPES[format] or None)
    if table.events.empty:
        raise EventFileError(path, "no events of the attack types in the history")
    mapped = map_districts(table.events, Gazetteer.from_scenario(scenario))
    used = mapped.mapped
    if used.empty:
        reason = mapped.unmapped["reason"].iloc[0]
        raise EventFileError(
            path,
            f"the history maps no event to a district of scenario {scenario.name!r} "
            f"(first reason: {reason})",
        )
    index = {d.name: i for i, d in enumerate(scenario.districts)}
    district = used["district"].map(index).to_numpy(dtype=np.int64)
    day = (used["date"] - start).dt.days.to_numpy(dtype=np.int64)
    first, _ = table.observed_window()
    window = float((pd.Timestamp(first) - start).days)
    out = HistoryEvents.from_days(district, day, window)
    return HistoryEvents(out.day, out.district, out.window_start, len(mapped.unmapped))


def with_history(scenario: Scenario, path: str | Path, format: str) -> Scenario:
    """``scenario`` with ``hazard.history`` read from ``path`` (made absolute).

    Raises
    ------
    riskmc.scenario.ScenarioError
        For a format other than ``acled`` or ``gtd`` (``hazard.history.format``).
    riskmc.calibration.EventFileError
        For a history file that cannot be used (:func:`read_history`).
    """
    doc = scenario.model_dump(mode="json", by_alias=True)
    doc["hazard"]["history"] = {"events": str(Path(path).absolute()), "format": format}
    checked = scenario_from_dict(doc, "--history")  # the format, before the file is read
    spec = checked.hazard.history
    assert spec is not None
    events = read_history(spec.events, spec.format, checked)
    names = [d.name for d in scenario.districts]
    doc["hazard"]["history"].update(
        days=[float(x) for x in events.day],
        districts=[names[int(i)] for i in events.district],
        window_start=events.window_start,
    )
    return scenario_from_dict(doc, "--history")


def resolve_history(scenario: Scenario) -> Scenario:
    """``scenario`` with its ``hazard.history`` file read, if it names one not read yet."""
    spec = scenario.hazard.history
    if spec is None or spec.days:
        return scenario
    return with_history(scenario, spec.events, spec.format)
