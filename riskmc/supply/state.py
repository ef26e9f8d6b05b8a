"""The SimPy model's state of one run: its flags over time, its stockpiles, its tallies.

:func:`riskmc.supply.model.simulate_project` builds one :class:`Run` per
project and replication: the network packed with the replication's closures
and attacks, the inbound road route, the timelines of flags each phase reads
(:class:`Timeline`) and the site stockpiles (:class:`Stockpile`), whose
regimes the compiled stockpile kernels (:mod:`riskmc.supply.stockpile`) work
out. SimPy engine only: the compiled engine keeps the same state in arrays
(:mod:`riskmc.supply.compiled`).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

import numpy as np

from riskmc.network.compiled import NetArrays
from riskmc.supply import kernels as kern
from riskmc.supply.plans import HELD_BY_BLACKOUT, Hazard, ProjectResult

__all__ = ["Run", "Stockpile", "Timeline"]


class Timeline:
    """Flags (stand-down, blackout, dispatch blocked, export closed) over time.

    Flag ``f`` is set on the union of its spans; :meth:`at` gives the flags
    at ``t`` and the next time any of them changes.
    """

    def __init__(self, spans: dict[int, Sequence[tuple[float, float]]]) -> None:
        events: list[tuple[float, int, int]] = []
        for flag, pairs in spans.items():
            for s, e in pairs:
                if e > s:
                    events += [(s, flag, 1), (e, flag, -1)]
        events.sort()
        count: dict[int, int] = dict.fromkeys(spans, 0)
        self.bounds: list[float] = []
        self.masks: list[int] = []
        mask = 0
        for t, flag, step in events:
            count[flag] += step
            mask = mask | flag if count[flag] > 0 else mask & ~flag
            if self.bounds and self.bounds[-1] == t:
                self.masks[-1] = mask
            else:
                self.bounds.append(t)
                self.masks.append(mask)

    def at(self, t: float) -> tuple[int, float]:
        i = bisect.bisect_right(self.bounds, t) - 1
        mask = self.masks[i] if i >= 0 else 0
        nxt = self.bounds[i + 1] if i + 1 < len(self.bounds) else math.inf
        return mask, nxt

    def time_with(self, flag: int, start: float, end: float) -> float:
        """Days of ``[start, end)`` with ``flag`` set."""
        total = 0.0
        for i, t in enumerate(self.bounds):
            if self.masks[i] & flag:
                nxt = self.bounds[i + 1] if i + 1 < len(self.bounds) else math.inf
                total += max(0.0, min(nxt, end) - max(t, start))
        return total


class Stockpile:
    """A site stock fed by base-stock convoys from the port: the explicit state.

    The state is a vector of numbers (stock, totals, the base-stock level;
    slots in :mod:`riskmc.supply.kernels`) and the convoys on the road, one
    row ``(arrival day, tonnes arriving, tonnes loaded)`` each. The position
    is the stock plus what was loaded and has not arrived.
    """

    def __init__(
        self,
        run: Run,
        initial: float,
        level: float,
        convoy_t: float,
        loss_share: float,
        rho: float,
    ) -> None:
        self.run = run
        st = np.zeros(kern.N_SLOTS)
        st[kern.STOCK] = st[kern.INITIAL] = initial
        st[kern.LEVEL] = level
        st[kern.CONVOY_T] = convoy_t
        st[kern.LOSS] = loss_share
        st[kern.RHO] = rho
        st[kern.PLANNED_KM] = run.km_planned
        st[kern.NEXT_LOSSY] = st[kern.NEXT_ARRIVAL] = math.inf
        self.st = st
        # the position never exceeds the level plus one convoy: that many rows suffice
        self.pend = np.zeros((math.ceil(level / convoy_t) + 4, kern.PENDING_COLUMNS))

    @property
    def stock(self) -> float:
        return float(self.st[kern.STOCK])

    def next_lossy(self) -> float:
        return float(self.st[kern.NEXT_LOSSY])

    def next_arrival(self) -> float:
        return float(self.st[kern.NEXT_ARRIVAL])

    def held_next(self) -> tuple[int, float]:
        """What held the next convoy to arrive: (segment or code, until)."""
        n = int(self.st[kern.N_PEND])
        if n == 0:
            return -1, 0.0
        row = self.pend[int(np.argmin(self.pend[:n, 0]))]
        return int(row[3]), float(row[4])

    def plan(
        self,
        now: float,
        rate: float,
        until: float,
        can_dispatch: bool,
        hold_code: int = HELD_BY_BLACKOUT,
    ) -> float:
        """Send this regime's convoys; returns when the regime ends.

        ``hold_code`` is what keeps convoys from leaving when ``can_dispatch`` is false.
        """
        run = self.run
        return float(
            kern.pile_plan(
                run.floats,
                run.ints,
                run.road_mask,
                run.inbound_route,
                run.port,
                run.site,
                self.st,
                self.pend,
                now,
                rate,
                until,
                can_dispatch,
                hold_code,
            )
        )

    def advance(self, now: float, end: float, rate: float) -> float:
        """Deliveries up to ``end`` and the draw-down; returns the tonnes consumed."""
        return float(kern.stockpile_advance(self.st, self.pend, now, end, rate))

    def summary(self) -> dict[str, float]:
        st = self.st
        return {
            "initial_t": float(st[kern.INITIAL]),
            "dispatched_t": float(st[kern.DISPATCHED]),
            "delivered_t": float(st[kern.DELIVERED]),
            "consumed_t": float(st[kern.CONSUMED]),
            "lost_t": float(st[kern.LOST]),
            "lost_pv_t": float(st[kern.LOST_PV]),
            "stock_t": float(st[kern.STOCK]),
            "in_transit_t": float(self.pend[: int(st[kern.N_PEND]), 2].sum()),
            "convoys": float(st[kern.CONVOYS]),
            "convoys_pv": float(st[kern.CONVOYS_PV]),
            "convoy_losses": float(st[kern.LOSSES]),
            "convoys_delayed": float(st[kern.DELAYED]),
            "convoy_wait_days": float(st[kern.WAIT_DAYS]),
            "detour_tkm": float(st[kern.DETOUR_TKM]),
            "detour_pv_tkm": float(st[kern.DETOUR_PV]),
        }


class Run:
    """One project, one replication: the network arrays, the hazard and the tallies."""

    def __init__(
        self,
        hazard: Hazard,
        arrays: NetArrays,
        port: int,
        site: int,
        schedule_flags: dict[int, Sequence[tuple[float, float]]],
    ) -> None:
        net = hazard.network
        self.hazard = hazard
        self.arrays = arrays
        self.floats, self.ints = hazard.packed()
        self.port, self.site = port, site
        self.road_mask = net.road.copy()
        self.inbound_route = np.array(net._route(port, site, ("road",)).segments, dtype=np.int64)
        self.inbound_lead = net.arrival_open(port, site, 0.25) - 0.25
        # one timeline per phase, with only the flags that phase reads, so that a
        # change of an irrelevant flag does not cut a regime
        self.flags = schedule_flags
        self.result = ProjectResult()
        self.km_planned = float(net.km[self.inbound_route].sum())
        self.piles: dict[str, Stockpile] = {}
        self.export_route = np.zeros(0, dtype=np.int64)
        self.export_km = 0.0
        self.still = 0

    def phase_timeline(self, flags: Sequence[int]) -> Timeline:
        return Timeline({f: self.flags[f] for f in flags if f in self.flags})

    def check_progress(self, now: float, end: float) -> None:
        """Guard against a clock that stops: many empty regimes in a row are a bug."""
        self.still = self.still + 1 if end <= now else 0
        if self.still > 10_000:
            raise RuntimeError(f"supply model stuck at day {now}: please report this scenario")
