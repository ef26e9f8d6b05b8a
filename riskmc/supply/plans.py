"""The plans and the result of one project's run, shared by both engines.

A project model reads one replication's numbers of its construction
(:class:`ConstructionPlan`) and operations (:class:`OperationsPlan`) and its
disruptions (:class:`Hazard`, with the site's :class:`SiteSchedule`), and says
what happened (:class:`ProjectResult`). The SimPy model
(:func:`riskmc.supply.model.simulate_project`) and the compiled twin
(:func:`riskmc.supply.compiled.twin.simulate_project`) take and give these
same objects; the rules they follow are in :mod:`riskmc.supply.model`.
Discounting (:func:`daily_rate`, :func:`present_value`) is continuous, at
the rate of the operations' ``discount_rate``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from riskmc.network import CorridorNetwork
from riskmc.network.compiled import SegmentTimes, pack
from riskmc.supply import kernels as kern

__all__ = [
    "HELD_BY_BLACKOUT",
    "HELD_BY_BLACKOUT_WORK",
    "HELD_BY_CAPACITY",
    "HELD_BY_NOTHING",
    "HELD_BY_SITE_ATTACK",
    "HELD_BY_SUSPENSION",
    "ConstructionPlan",
    "Hazard",
    "OperationsPlan",
    "ProjectResult",
    "SiteSchedule",
    "daily_rate",
    "present_value",
]

#: Codes of what held construction, beside a segment index (see ProjectResult.delay_causes).
HELD_BY_NOTHING = -1  # a stall ended by a convoy that nothing held (e.g. after a lost cargo)
HELD_BY_BLACKOUT = kern.HELD_BY_BLACKOUT  # a convoy whose dispatch a blackout held
HELD_BY_SITE_ATTACK = -3  # a stand-down after an attack on the site
HELD_BY_BLACKOUT_WORK = -4  # work slowed by a blackout of the site's district
HELD_BY_CAPACITY = kern.HELD_BY_CAPACITY  # output held by no disruption (export capacity)
HELD_BY_SUSPENSION = kern.HELD_BY_SUSPENSION  # the site suspended, or remobilizing after it


@dataclass(frozen=True)
class SiteSchedule:
    """When the site stands down, is blacked out or suspended, and when dispatch is blocked.

    Each argument is a sequence of ``(start, end)`` days, possibly overlapping;
    ``standdowns`` apply during construction, ``ops_standdowns`` during
    operations, the others to both. While ``suspended`` the site is closed;
    while ``remobilizing`` (and not suspended) work and output run at half rate.
    """

    site_blackouts: Sequence[tuple[float, float]] = ()
    standdowns: Sequence[tuple[float, float]] = ()
    dispatch_blocked: Sequence[tuple[float, float]] = ()
    ops_standdowns: Sequence[tuple[float, float]] | None = None  # None: ``standdowns``
    suspended: Sequence[tuple[float, float]] = ()  # the site closed (SPEC 3b)
    remobilizing: Sequence[tuple[float, float]] = ()  # work and output at half rate after one


@dataclass(frozen=True)
class ConstructionPlan:
    """One replication's numbers of a project's construction.

    ``start`` is in days from the scenario's start; ``port`` and ``site`` are
    place indices in the network.
    """

    start: float
    planned_days: float
    material_t: float
    site_buffer_days: float
    blackout_productivity: float
    convoy_t: float
    convoy_loss_share: float
    dispatch_needs_comms: bool
    port: int
    site: int

    @property
    def need_t_per_day(self) -> float:
        return self.material_t / self.planned_days


@dataclass(frozen=True)
class OperationsPlan:
    """One replication's numbers of a project's operations, to day ``end`` (the horizon).

    ``ramp_up_days`` applies from first production (not to an operating mine).
    """

    end: float
    output_t_per_day: float
    consumables_t_per_day: float
    consumables_buffer_days: float
    storage_days: float
    export_mode: str
    trains_per_day: float
    train_t: float
    ramp_up_days: float
    convoy_t: float
    convoy_loss_share: float
    dispatch_needs_comms: bool
    port: int
    site: int
    price_usd_per_t: float
    discount_rate: float
    year_starts: tuple[float, ...] = ()  # days of 1 January of each year of the horizon
    surge_trains_per_day: float | None = None  # trains a day while storage holds a backlog

    @property
    def surge_t_per_day(self) -> float:
        """Rail export capacity while concentrate waits in storage [t/day]."""
        trains = self.trains_per_day
        if self.surge_trains_per_day is not None:
            trains = max(trains, self.surge_trains_per_day)
        return trains * self.train_t


@dataclass
class Hazard:
    """One replication's disruptions, as the model reads them.

    Parameters
    ----------
    network : CorridorNetwork
    closures : SegmentTimes
        Merged closures by segment.
    attacks : SegmentTimes
        Days of attack closures by segment (a shipment on the segment is hit).
    schedule : SiteSchedule
    """

    network: CorridorNetwork
    closures: SegmentTimes
    attacks: SegmentTimes
    schedule: SiteSchedule = SiteSchedule()
    _packed: tuple[NDArray[np.float64], NDArray[np.int64]] | None = field(default=None, repr=False)

    def packed(self) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Network, closures and attacks packed for compiled code (cached)."""
        if self._packed is None:
            self._packed = pack(self.network.arrays, self.closures, self.attacks)
        return self._packed

    @classmethod
    def none(cls, network: CorridorNetwork) -> Hazard:
        """No disruption at all: the plan."""
        empty = SegmentTimes.of(len(network.segments), np.zeros(0, np.int64), np.zeros(0))
        return cls(network, empty, empty)


@dataclass
class ProjectResult:
    """What happened to one project in one replication (times in days from the start).

    Tonnes balance for each stockpile (:meth:`balance_t`). Present values are
    discounted to the scenario's start at the operations' ``discount_rate``.
    """

    finish: float = math.nan
    material_stall_days: float = 0.0
    standdown_days: float = 0.0
    suspended_build_days: float = 0.0  # construction days with the site suspended
    blackout_days: float = 0.0  # of the site's district, over the project's whole run
    convoys: int = 0
    convoys_pv: float = 0.0  # each convoy's departure discounted to day 0 at the project's rate
    convoys_delayed: int = 0
    convoy_wait_days: float = 0.0  # days convoys waited at closed segments, all convoys
    convoy_losses: int = 0
    detour_tkm: float = 0.0  # extra tonne-km of detours, all convoys
    build_detour_tkm: float = 0.0  # of construction convoys
    detour_pv_tkm: float = 0.0  # each detour's t-km discounted to day 0 at the project's rate
    produced_t: float = 0.0
    exported_t: float = 0.0
    export_pv_usd: float = 0.0
    export_lost_t: float = 0.0
    idle_days: float = 0.0
    simpy_events: int = 0
    stockpiles: dict[str, dict[str, float]] = field(default_factory=dict)
    storage_t: float = 0.0
    stall_spans: list[tuple[float, float]] = field(default_factory=list)
    # construction regimes with the site suspended (standby, as for a stall)
    suspended_build_spans: list[tuple[float, float]] = field(default_factory=list)
    # (held by, until, days of delay): a segment index and the end of the closure that held
    # the convoy ending a stall, or one of the HELD_BY_* codes
    delay_causes: list[tuple[int, float, float]] = field(default_factory=list)
    # what operations could have produced (full output, ramp-up from this run's first
    # production), and (held by, until, tonnes, follows the previous one) for each stretch
    # that produced less
    potential_t: float = 0.0
    lost_causes: list[tuple[int, float, float, bool]] = field(default_factory=list)
    # (day, segment, tonnes) of concentrate destroyed by attacks on the way to the port
    # (rail: each attack on the flow; road: each convoy hit, to its first attack)
    export_hits: list[tuple[float, int, float]] = field(default_factory=list)
    exported_by_year: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    def balance_t(self, pile: str) -> float:
        """Initial + dispatched - consumed - stock - lost - in transit of a stockpile: ~0."""
        s = self.stockpiles[pile]
        return (
            s["initial_t"]
            + s["dispatched_t"]
            - s["consumed_t"]
            - s["stock_t"]
            - s["lost_t"]
            - s["in_transit_t"]
        )


def daily_rate(rate_per_year: float) -> float:
    """Continuous daily discount rate of an annual rate: ``log(1 + r) / 365.25``."""
    return math.log1p(rate_per_year) / 365.25


def present_value(rate_per_year: float, a: float, b: float | None = None) -> float:
    """Present value at day 0 of 1 a day over days ``[a, b]``, or of 1 on day ``a``.

    Discounting is continuous at ``log(1 + rate_per_year) / 365.25`` a day, so
    that a year discounts by exactly ``1 / (1 + rate_per_year)``.

    Examples
    --------
    >>> round(present_value(0.08, 365.25), 6) == round(1 / 1.08, 6)
    True
    >>> present_value(0.0, 10.0, 40.0)
    30.0
    """
    rho = daily_rate(rate_per_year)
    if b is None:
        return math.exp(-rho * a)
    if rho == 0.0:
        return b - a
    return (math.exp(-rho * a) - math.exp(-rho * b)) / rho
