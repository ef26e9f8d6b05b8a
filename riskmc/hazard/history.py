"""Observed events before the start: the history that Hawkes offspring continue (SPEC 1b).

A run made the week after an offensive should start hot: under a
self-exciting process the attacks of the last weeks keep triggering more.
``hazard.history: {events: FILE, format: acled|gtd}`` (or ``riskmc run
--history FILE --format F``) names an event export; the calibration stage
reads it and maps it to the scenario's districts as ``riskmc calibrate`` does
(:mod:`riskmc.calibration.history`) into the key's ``days`` and
``districts``, and the kernel draws their offspring after day 0
(:func:`riskmc.hazard.phases.offspring._history`). Poisson and negbin ignore it. This
module holds the events as the kernel takes them; it reads no file (the
hazard stage comes before the readers).

Times follow the calibration's rule for ties (:mod:`riskmc.calibration.sample`):
the ``k`` events of one district on one day sit at ``day + (i + 0.5) / k``, so an
event of the day before the start is at a time in (-1, 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

if TYPE_CHECKING:
    from riskmc.scenario.schema import Scenario

__all__ = ["HistoryEvents", "history_of"]


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


def history_of(scenario: Scenario) -> HistoryEvents | None:
    """The events of ``scenario.hazard.history`` as the kernel takes them (None without one).

    Raises
    ------
    ValueError
        One line: the key names a file not read yet, or a district the scenario lacks.
    """
    spec = scenario.hazard.history
    if spec is None:
        return None
    if not spec.days:
        raise ValueError(
            f"hazard.history: {spec.events} is not read yet: riskmc run and riskmc.simulate "
            "read it; in Python, riskmc.calibration.resolve_history(scenario) does"
        )
    index = {d.name: i for i, d in enumerate(scenario.districts)}
    unknown = [n for n in spec.districts if n not in index]
    if unknown:
        raise ValueError(f"hazard.history.districts: unknown district {unknown[0]!r}")
    day = np.asarray(spec.days, dtype=np.float64)
    district = np.array([index[n] for n in spec.districts], dtype=np.int64)
    order = np.lexsort((district, day))
    start = float(day.min()) if spec.window_start is None else spec.window_start
    return HistoryEvents(day[order], district[order], min(start, float(day.min())))
