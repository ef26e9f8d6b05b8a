"""Event times per district, on a continuous clock, ready for the fits.

Exports give days, not times, and several events of one district often share
a day. The point-process fits need distinct times, so ties are broken in one
documented, deterministic way: the ``k`` events of a district on one day are
placed at ``day + (i + 0.5) / k``, ``i = 0 .. k - 1``, evenly inside the day
(a single event sits at midday). Spreading keeps every event inside its true
day, so no delay between two events is wrong by more than a day; it adds no
random numbers, so a fit is reproducible; and for the Poisson and
negative-binomial likelihoods, which depend only on how many events fall in
each day (or month), it changes nothing. The Hawkes fit therefore resolves
decays of a few days and longer, not hours; its decay is bounded below by
:data:`MIN_DECAY_DAYS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["DAYS_PER_YEAR", "MIN_DECAY_DAYS", "EventSample"]

DAYS_PER_YEAR = 365.25
#: Smallest Hawkes decay the fit may return [days]: day-resolution dates
#: cannot resolve faster triggering.
MIN_DECAY_DAYS = 0.25


@dataclass(frozen=True)
class EventSample:
    """Event times of each district over an observation window.

    Attributes
    ----------
    districts : tuple of str
        District names, in order.
    times : ndarray of float64, shape (n_events,)
        Event times [days from ``start``], grouped by district (in the order
        of ``districts``), ascending within a district, in ``[0, horizon_days)``.
    offsets : ndarray of int64, shape (n_districts + 1,)
        District ``d``'s events are ``times[offsets[d]:offsets[d + 1]]``.
    horizon_days : float
        Length of the window [days].
    start : date
        First day of the window.
    """

    districts: tuple[str, ...]
    times: NDArray[np.float64]
    offsets: NDArray[np.int64]
    horizon_days: float
    start: date

    @classmethod
    def from_days(
        cls,
        districts: tuple[str, ...] | list[str],
        district_index: NDArray[np.integer[Any]],
        day: NDArray[np.integer[Any]],
        start: date,
        horizon_days: int,
    ) -> EventSample:
        """Build from whole days: ``district_index[j]`` and ``day[j]`` of event ``j``.

        Ties are spread within their day as the module docstring says.

        >>> from datetime import date
        >>> import numpy as np
        >>> s = EventSample.from_days(["A", "B"], np.array([0, 0, 1]), np.array([3, 3, 5]),
        ...                           date(2020, 1, 1), 10)
        >>> s.times.tolist(), s.counts.tolist()
        ([3.25, 3.75, 5.5], [2, 1])
        """
        d = np.asarray(district_index, dtype=np.int64)
        t = np.asarray(day, dtype=np.int64)
        if len(t) and (t.min() < 0 or t.max() >= horizon_days):
            raise ValueError("every event day must lie in [0, horizon_days)")
        order = np.lexsort((t, d))
        d, t = d[order], t[order]
        # Rank of each event among the events of its (district, day), and their number.
        key = d * (int(horizon_days) + 1) + t
        first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, dtype=bool)
        group = np.cumsum(first) - 1
        starts = np.flatnonzero(first)
        size = np.diff(np.r_[starts, len(key)])
        rank = np.arange(len(key)) - starts[group] if len(key) else np.zeros(0, dtype=np.int64)
        times = t + (rank + 0.5) / size[group] if len(key) else np.zeros(0)
        offsets = np.searchsorted(d, np.arange(len(districts) + 1)).astype(np.int64)
        return cls(tuple(districts), times.astype(np.float64), offsets, float(horizon_days), start)

    @property
    def n_districts(self) -> int:
        return len(self.districts)

    @property
    def counts(self) -> NDArray[np.int64]:
        """Events per district, shape (n_districts,)."""
        return np.diff(self.offsets)

    @property
    def years(self) -> float:
        """Length of the window [years of 365.25 days]."""
        return self.horizon_days / DAYS_PER_YEAR

    def district_times(self, d: int) -> NDArray[np.float64]:
        """Event times of district ``d``."""
        return self.times[self.offsets[d] : self.offsets[d + 1]]

    def monthly_counts(self) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Counts per district and calendar month, and each month's days in the window.

        Returns
        -------
        counts : ndarray of int64, shape (n_districts, n_months)
        exposure : ndarray of float64, shape (n_months,)
            Days of each month inside the window (the first and last month
            may be partial) [days].
        """
        end = self.start + timedelta(days=int(self.horizon_days))
        edges = [0.0]
        y, m = self.start.year, self.start.month
        while True:
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
            cut = (date(y, m, 1) - self.start).days
            if date(y, m, 1) >= end:
                break
            edges.append(float(cut))
        edges.append(self.horizon_days)
        bounds = np.asarray(edges)
        counts = np.zeros((self.n_districts, len(bounds) - 1), dtype=np.int64)
        for d in range(self.n_districts):
            idx = np.searchsorted(bounds, self.district_times(d), side="right") - 1
            counts[d] = np.bincount(idx, minlength=len(bounds) - 1)
        return counts, np.diff(bounds)
