"""Observed events before the start: the history that Hawkes offspring continue (SPEC 1b).

A run made the week after an offensive should start hot: under a
self-exciting process the attacks of the last weeks keep triggering more.
``hazard.history: {events: FILE, format: acled|gtd}`` (or ``riskmc run
--history FILE --format F``) names an event export; its events before the
scenario's ``start_date`` are read and mapped to the scenario's districts as
``riskmc calibrate`` reads and maps them (:mod:`riskmc.calibration.readers`,
:mod:`riskmc.calibration.mapping`), and the kernel draws their offspring after
day 0 (:func:`riskmc.hazard.kernel._history`). Poisson and negbin ignore it.

Times follow the calibration's rule for ties (:mod:`riskmc.calibration.sample`):
the ``k`` events of one district on one day sit at ``day + (i + 0.5) / k``, so an
event of the day before the start is at a time in (-1, 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

if TYPE_CHECKING:
    from riskmc.scenario.schema import Scenario

__all__ = ["HistoryEvents", "load_history", "read_history", "with_history"]

#: The column a history's date is reported in, by format.
DATE_COLUMN = {"acled": "event_date", "gtd": "iyear"}


@dataclass(frozen=True)
class HistoryEvents:
    """Observed events before day 0, ready for the kernel.

    Attributes
    ----------
    day : ndarray of float64, shape (n,)
        Event times [days from the scenario's ``start_date``, all < 0], ascending.
    district : ndarray of int64, shape (n,)
        Index of each event's district in the scenario.
    window_start : float
        First day of the history's observation window [days, <= every ``day``]:
        the kernel's simulated past after it gives way to the observed events.
    unmapped : int
        Events of the file that no district took (reported, not used).
    """

    day: NDArray[np.float64]
    district: NDArray[np.int64]
    window_start: float
    unmapped: int = 0

    @classmethod
    def empty(cls) -> HistoryEvents:
        """No history: the kernel keeps its simulated past."""
        return cls(np.zeros(0), np.zeros(0, dtype=np.int64), 0.0)

    @classmethod
    def from_days(
        cls, district: NDArray[np.integer], day: NDArray[np.integer], window_start: float
    ) -> HistoryEvents:
        """Events given as whole days (``day < 0``) and district indices; ties spread.

        >>> import numpy as np
        >>> h = HistoryEvents.from_days(np.array([0, 0, 1]), np.array([-3, -3, -1]), -10.0)
        >>> h.day.tolist(), h.district.tolist()
        ([-2.75, -2.25, -0.5], [0, 0, 1])
        """
        d = np.asarray(district, dtype=np.int64)
        t = np.asarray(day, dtype=np.int64)
        if len(t) and t.max() >= 0:
            raise ValueError("every history day must be before day 0")
        frame = pd.DataFrame({"d": d, "t": t})
        rank = frame.groupby(["d", "t"]).cumcount().to_numpy()
        size = frame.groupby(["d", "t"])["t"].transform("size").to_numpy()
        times = t + (rank + 0.5) / np.maximum(size, 1)
        order = np.lexsort((d, times))
        return cls(
            times[order].astype(np.float64), d[order], float(min(window_start, t.min(initial=0)))
        )

    def __len__(self) -> int:
        return len(self.day)


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
    # Imported here: riskmc.calibration imports the hazard sampler.
    from riskmc.calibration.calibrate import ATTACK_EVENT_TYPES
    from riskmc.calibration.errors import EventFileError
    from riskmc.calibration.mapping import Gazetteer, map_districts
    from riskmc.calibration.readers import filter_events, read_events

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


#: Histories read, by (file, format, size, mtime, scenario fingerprint): a run
#: builds the kernel's arrays once per scenario object and worker.
_READ: dict[tuple[str, str, int, int, str], HistoryEvents] = {}


def load_history(scenario: Scenario) -> HistoryEvents | None:
    """The history ``scenario.hazard.history`` names (None without one); read once."""
    spec = scenario.hazard.history
    if spec is None:
        return None
    path = Path(spec.events)
    try:
        st = path.stat()
        key = (str(path), spec.format, st.st_size, st.st_mtime_ns, scenario.fingerprint())
    except OSError:
        key = None
    if key is not None and key in _READ:
        return _READ[key]
    events = read_history(path, spec.format, scenario)
    if key is not None:
        _READ[key] = events
    return events


def with_history(scenario: Scenario, path: str | Path, format: str) -> Scenario:
    """``scenario`` with ``hazard.history`` set to ``path`` (made absolute), checked now.

    Raises
    ------
    riskmc.scenario.ScenarioError
        For a format other than ``acled`` or ``gtd`` (``hazard.history.format``).
    riskmc.calibration.EventFileError
        For a history file that cannot be used (:func:`read_history`).
    """
    from riskmc.scenario.loading import scenario_from_dict

    doc = scenario.model_dump(mode="json", by_alias=True)
    doc["hazard"]["history"] = {"events": str(Path(path).absolute()), "format": format}
    out = scenario_from_dict(doc, "--history")
    load_history(out)
    return out
