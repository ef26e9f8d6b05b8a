"""The corridor network: places, road and rail segments, fastest paths, trips under closures.

Routing rules (SPEC.md, "Network"):

- a shipment takes the fastest open path;
- facing a closed segment at a node, it either waits there until the segment
  reopens or takes the fastest path that is open now, whichever arrives
  first by the estimate available at that moment; a detour's extra kilometres
  are recorded (and costed downstream);
- a shipment already on a segment when it closes finishes that segment (the
  supply chain decides what an attack on it destroys);
- road travel happens only in the daily open hours of the night ban
  (``road_hours_per_day``, from 06:00); rail runs round the clock.

Everything is deterministic: given the closures of a replication, a trip has
one outcome.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from riskmc.network.arrays import NetArrays
from riskmc.scenario.distributions import param_mean
from riskmc.scenario.schema import Scenario

__all__ = ["ROAD_DAY_START", "Closures", "CorridorNetwork", "Path", "Trip"]

#: Time of day the roads open under a night ban [days after midnight]: 06:00.
ROAD_DAY_START = 0.25


@dataclass(frozen=True)
class Path:
    """A path: its segments in order, its length [km] and its moving time [h]."""

    segments: tuple[int, ...]
    km: float
    hours: float


class _Route(NamedTuple):
    """The planned path between two places, with what its open-road arrival needs."""

    segments: tuple[int, ...]
    night_ban: bool | None  # the same for every segment, or None when mixed
    days: float  # moving time [days]


@dataclass(frozen=True)
class Trip:
    """What happened to one shipment.

    Attributes
    ----------
    depart, arrive : float
        Days from the scenario's start.
    waited_days : float
        Days spent waiting at nodes for closed segments to reopen.
    km : float
        Distance travelled; ``km - planned_km`` is the detour.
    planned_km : float
        Length of the fastest path with every segment open.
    segments : tuple of int
        Segments travelled, in order.
    entered, left : tuple of float
        Day each segment was entered and left.
    hits : int
        Attacks on the shipment's segment while it was on it.
    """

    depart: float
    arrive: float
    waited_days: float
    km: float
    planned_km: float
    segments: tuple[int, ...]
    entered: tuple[float, ...]
    left: tuple[float, ...]
    hits: int = 0

    @property
    def detour_km(self) -> float:
        return self.km - self.planned_km


@dataclass(frozen=True)
class Closures:
    """Closed intervals of each segment: sorted, non-overlapping ``(start, end)`` days.

    Build from a replication's merged closures, e.g.
    ``Closures.from_arrays(n_segments, keys, starts, ends)``.
    """

    starts: tuple[NDArray[np.float64], ...]
    ends: tuple[NDArray[np.float64], ...]

    @classmethod
    def none(cls, n_segments: int) -> Closures:
        empty = np.empty(0, dtype=np.float64)
        return cls((empty,) * n_segments, (empty,) * n_segments)

    @classmethod
    def from_arrays(
        cls,
        n_segments: int,
        keys: Sequence[int] | NDArray[np.integer],
        starts: Sequence[float] | NDArray[np.floating],
        ends: Sequence[float] | NDArray[np.floating],
    ) -> Closures:
        keys = np.asarray(keys, dtype=np.int64)
        s = np.asarray(starts, dtype=np.float64)
        e = np.asarray(ends, dtype=np.float64)
        order = np.lexsort((s, keys))
        keys, s, e = keys[order], s[order], e[order]
        cut = np.searchsorted(keys, np.arange(n_segments + 1))
        return cls(
            tuple(s[cut[i] : cut[i + 1]] for i in range(n_segments)),
            tuple(e[cut[i] : cut[i + 1]] for i in range(n_segments)),
        )

    def reopens(self, seg: int, t: float) -> float:
        """When segment ``seg`` is next open at or after day ``t`` (``t`` if open now)."""
        starts = self._starts[seg]
        if not starts:
            return t
        i = bisect.bisect_right(starts, t) - 1
        if i >= 0 and t < self._ends[seg][i]:
            return self._ends[seg][i]
        return t

    @cached_property
    def _starts(self) -> list[list[float]]:
        return [a.tolist() for a in self.starts]

    @cached_property
    def _ends(self) -> list[list[float]]:
        return [a.tolist() for a in self.ends]

    def closed_at(self, t: float) -> set[int]:
        """Segments closed at day ``t``."""
        return {seg for seg in range(len(self.starts)) if self.reopens(seg, t) > t}


@dataclass(frozen=True)
class CorridorNetwork:
    """Places and segments as arrays, with routing.

    Attributes
    ----------
    places, segments : tuple of str
        Names, in scenario order; indices below refer to them.
    seg_from, seg_to : ndarray of int64
        End places of each segment (usable both ways).
    km, kmh : ndarray of float64
        Length [km] and moving speed [km/h] of each segment.
    road : ndarray of bool
        True for road segments, False for rail.
    road_hours_per_day : float
        Open hours of roads per day (24: no night ban).
    """

    places: tuple[str, ...]
    segments: tuple[str, ...]
    seg_from: NDArray[np.int64]
    seg_to: NDArray[np.int64]
    km: NDArray[np.float64]
    kmh: NDArray[np.float64]
    road: NDArray[np.bool_]
    road_hours_per_day: float = 24.0
    _links: dict[int, list[tuple[int, int]]] = field(default_factory=dict, repr=False)
    _weights: list[float] = field(default_factory=list, repr=False)
    _paths: dict[tuple[int, int, tuple[str, ...], frozenset[int]], Path | None] = field(
        default_factory=dict, repr=False
    )
    _days: list[float] = field(default_factory=list, repr=False)
    _routes: dict[tuple[int, int, tuple[str, ...]], _Route] = field(
        default_factory=dict, repr=False
    )
    _night_ban: list[bool] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        ban = self.road_hours_per_day < 24.0
        for j in range(len(self.segments)):
            self._days.append(float(self.km[j] / self.kmh[j]) / 24.0)
            self._night_ban.append(bool(self.road[j]) and ban)
            a, b = int(self.seg_from[j]), int(self.seg_to[j])
            self._links.setdefault(a, []).append((j, b))
            self._links.setdefault(b, []).append((j, a))
            self._weights.append(self._weight(j))

    @classmethod
    def from_scenario(
        cls, scenario: Scenario, values: Mapping[str, float] | None = None
    ) -> CorridorNetwork:
        """The scenario's network, with each number at its mean.

        ``values`` overrides numbers by parameter path, e.g. one replication's
        draws: ``{"network.segments[N40q].km": 131.0,
        "hazard.closures.road_hours_per_day": 12.0}``.
        """
        values = values or {}
        place = {p.name: i for i, p in enumerate(scenario.network.places)}
        segs = scenario.network.segments

        def value(path: str, default: float) -> float:
            return float(values.get(path, default))

        return cls(
            places=tuple(p.name for p in scenario.network.places),
            segments=tuple(g.name for g in segs),
            seg_from=np.array([place[g.from_] for g in segs], dtype=np.int64),
            seg_to=np.array([place[g.to] for g in segs], dtype=np.int64),
            km=np.array(
                [value(f"network.segments[{g.name}].km", param_mean(g.km)) for g in segs],
                dtype=np.float64,
            ),
            kmh=np.array(
                [value(f"network.segments[{g.name}].kmh", param_mean(g.kmh)) for g in segs],
                dtype=np.float64,
            ),
            road=np.array([g.mode == "road" for g in segs], dtype=np.bool_),
            road_hours_per_day=value(
                "hazard.closures.road_hours_per_day",
                param_mean(scenario.hazard.closures.road_hours_per_day),
            ),
        )

    @cached_property
    def arrays(self) -> NetArrays:
        """The network as arrays for compiled code (:mod:`riskmc.network.compiled`)."""
        return NetArrays.of(self)

    # ------------------------------------------------------------------ time

    def traverse(self, seg: int, depart: float, share: float = 1.0) -> float:
        """Day of arrival at the far end of ``seg`` entered on day ``depart``.

        Rail moves round the clock; road moves only in the open hours of each
        day, from 06:00, and a shipment that reaches the end of the open hours
        halts until the next morning (arriving exactly at closing time is
        allowed). ``share`` is the part of the segment still to drive (1 from
        its start).

        Computed in closed form on the "open-hours clock" (the open time
        elapsed since day 0), so it costs the same for a short hop and for a
        drive of many days.
        """
        days = share * self._days[seg]
        if not self._night_ban[seg]:
            return depart + days
        return self._road_arrival(depart, days)

    def _road_arrival(self, depart: float, days: float) -> float:
        """Arrival after ``days`` of driving in the open hours, from ``depart``."""
        if days <= 0.0:
            return depart
        w = self.road_hours_per_day / 24.0
        day = math.floor(depart)
        x = day * w + min(max(depart - day - ROAD_DAY_START, 0.0), w) + days
        k = math.ceil(x / w) - 1  # the day whose open hours hold the end of the drive
        return k + ROAD_DAY_START + (x - k * w)

    def _share_left(self, seg: int, entered: float, share: float, t: float) -> float:
        """Share of ``seg`` still to drive at ``t``, for a shipment that entered
        (or resumed) at ``entered`` with ``share`` of it to drive.

        Found by bisection on :meth:`traverse`, which is monotone in the share.
        """
        lo, hi = 0.0, share
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            if self.traverse(seg, entered, mid) <= t:
                lo = mid  # driving `mid` of the segment is done by t
            else:
                hi = mid
        return share - lo

    def _weight(self, seg: int) -> float:
        """Hours a segment costs in path choice (road hours stretched by the night ban)."""
        hours = float(self.km[seg] / self.kmh[seg])
        if self.road[seg] and self.road_hours_per_day < 24.0:
            hours *= 24.0 / self.road_hours_per_day
        return hours

    # ------------------------------------------------------------------ paths

    def index(self, place: str) -> int:
        return self.places.index(place)

    def fastest_path(
        self,
        source: int,
        target: int,
        modes: Iterable[str] = ("road",),
        avoid: Iterable[int] = (),
    ) -> Path | None:
        """Fastest path (Dijkstra on moving time, night ban included) or None.

        Ties are broken by segment index, so the answer is deterministic.
        Answers are cached: the network is immutable.
        """
        key = (source, target, tuple(sorted(modes)), frozenset(avoid))
        if key not in self._paths:
            self._paths[key] = self._dijkstra(source, target, key[2], key[3])
        return self._paths[key]

    def _dijkstra(
        self, source: int, target: int, modes: tuple[str, ...], banned: frozenset[int]
    ) -> Path | None:
        allow_road = "road" in modes
        allow_rail = "rail" in modes
        best = {source: 0.0}
        prev: dict[int, tuple[int, int]] = {}
        heap = [(0.0, source)]
        while heap:
            cost, u = heapq.heappop(heap)
            if u == target:
                break
            if cost > best.get(u, math.inf):
                continue
            for seg, v in self._links.get(u, ()):
                if seg in banned or (self.road[seg] and not allow_road):
                    continue
                if not self.road[seg] and not allow_rail:
                    continue
                c = cost + self._weights[seg]
                if c < best.get(v, math.inf) - 1e-12:
                    best[v] = c
                    prev[v] = (seg, u)
                    heapq.heappush(heap, (c, v))
        if target not in best:
            return None
        segs: list[int] = []
        node = target
        while node != source:
            seg, node = prev[node]
            segs.append(seg)
        segs.reverse()
        km = float(sum(self.km[s] for s in segs))
        hours = float(sum(self.km[s] / self.kmh[s] for s in segs))
        return Path(tuple(segs), km, hours)

    def _arrival_open(self, segs: Sequence[int], t: float) -> float:
        """Arrival along ``segs`` from day ``t`` if nothing were closed."""
        for seg in segs:
            t = self.traverse(seg, t)
        return t

    def _arrival(self, segs: Sequence[int], t: float, closures: Closures) -> float:
        """Arrival along ``segs`` from day ``t``, waiting at each closed segment."""
        for seg in segs:
            t = self.traverse(seg, closures.reopens(seg, t))
        return t

    def _route(self, source: int, target: int, modes: tuple[str, ...]) -> _Route:
        key = (source, target, modes)
        route = self._routes.get(key)
        if route is None:
            path = self.fastest_path(source, target, modes)
            if path is None:
                raise ValueError(
                    f"no {'/'.join(modes)} path from {self.places[source]} to {self.places[target]}"
                )
            bans = {self._night_ban[j] for j in path.segments}
            days = sum(self._days[j] for j in path.segments)
            route = self._routes[key] = _Route(
                path.segments, bans.pop() if len(bans) == 1 else None, days
            )
        return route

    def arrival_open(
        self, source: int, target: int, depart: float, modes: tuple[str, ...] = ("road",)
    ) -> float:
        """Arrival along the planned (fastest) path from day ``depart`` with nothing closed."""
        route = self._route(source, target, modes)
        if route.night_ban is None:
            return self._arrival_open(route.segments, depart)
        if route.night_ban:
            return self._road_arrival(depart, route.days)
        return depart + route.days

    def trip(
        self,
        source: int,
        target: int,
        depart: float,
        closures: Closures,
        modes: Iterable[str] = ("road",),
        attacks: Mapping[int, Sequence[float]] | None = None,
    ) -> Trip:
        """Send one shipment from ``source`` to ``target`` under a replication's closures.

        At departure, and at every node where the next segment is closed, the
        shipment compares going on along its route (waiting where a segment is
        closed) with the fastest path open now, and takes whichever arrives
        first. A closure that starts while the shipment is on a segment does
        not stop it, unless it comes from an attack on that segment
        (``attacks``: segment -> sorted days of attack closures): the shipment
        is hit, held where it is until the segment reopens, then drives on.

        Raises
        ------
        ValueError
            If no path joins the two places by the given modes.
        """
        modes = tuple(modes)
        plan = self.fastest_path(source, target, modes)
        if plan is None:
            raise ValueError(
                f"no {'/'.join(modes)} path from {self.places[source]} to {self.places[target]}"
            )
        route = list(plan.segments)
        node, t, waited, km = source, depart, 0.0, 0.0
        used: list[int] = []
        entered: list[float] = []
        left: list[float] = []
        decide = True
        hits = 0
        while node != target:
            seg = route[0]
            reopen = closures.reopens(seg, t)
            if decide or reopen > t:
                decide = False
                stay = self._arrival(route, t, closures)
                if stay > self._arrival_open(route, t):
                    detour = self.fastest_path(node, target, modes, avoid=closures.closed_at(t))
                    if (
                        detour is not None
                        and list(detour.segments) != route
                        and self._arrival(detour.segments, t, closures) < stay
                    ):
                        route = list(detour.segments)
                        continue
            if reopen > t:
                waited += reopen - t
                t = reopen
                continue
            entered.append(t)
            used.append(seg)
            start, share, t = t, 1.0, self.traverse(seg, t)
            days = attacks.get(seg, ()) if attacks else ()
            i = bisect.bisect_left(days, start)
            while i < len(days) and days[i] < t:
                hit = days[i]
                hits += 1
                share = self._share_left(seg, start, share, hit)
                held = closures.reopens(seg, hit)
                waited += held - hit
                start, t = held, self.traverse(seg, held, share)
                # attacks while it is held (the segment is closed) do not hit it again
                i = max(i + 1, bisect.bisect_left(days, held))
            left.append(t)
            km += float(self.km[seg])
            node = (
                int(self.seg_to[seg])
                if int(self.seg_from[seg]) == node
                else int(self.seg_from[seg])
            )
            route.pop(0)
        return Trip(
            depart=depart,
            arrive=t,
            waited_days=waited,
            km=km,
            planned_km=plan.km,
            segments=tuple(used),
            entered=tuple(entered),
            left=tuple(left),
            hits=hits,
        )
