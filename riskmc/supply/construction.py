"""Construction of a project as a SimPy model: site stockpile, base-stock convoys, progress.

The model is event-driven: every process sleeps until the next thing that can
change its plans (a delivery, a stock-out computed from the consumption rate,
the start or end of a blackout or stand-down, the completion of the work), and
never ticks day by day. It draws no random numbers: everything uncertain is in
the replication's hazard sample, handed in as a :class:`SiteSchedule` and a
:class:`~riskmc.network.Closures`.

Rules (SPEC.md, "Supply chain" and "Stock policy"):

- the planned work takes ``planned_days`` working days and consumes
  ``material_t / planned_days`` tonnes per working day;
- the site stock starts full at ``site_buffer_days`` of need;
- convoys of ``convoy_t`` leave the port whenever the stock plus what is on
  the road has fallen to ``convoy_t`` below the base-stock level, the buffer
  plus the need over the planned travel time;
- with ``dispatch_needs_comms``, a convoy waits at the port while the port's
  or the site's district is blacked out;
- progress stops while the stock is empty (a stall) and during stand-downs
  after site attacks, and runs at ``blackout_productivity`` during a blackout
  of the site's district;
- convoys travel by :meth:`riskmc.network.CorridorNetwork.trip`; an attack on a
  segment while a convoy is on it destroys ``convoy_loss_share`` of its cargo
  and holds the convoy there until the segment reopens.

References
----------
.. [1] SimPy documentation, "Process interaction" (waiting for events, event
   conditions): https://simpy.readthedocs.io
"""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import simpy

from riskmc.network import Closures, CorridorNetwork

__all__ = ["ConstructionPlan", "ConstructionResult", "SiteSchedule", "simulate_construction"]

_EPS = 1e-9


@dataclass(frozen=True)
class SiteSchedule:
    """When the site works at reduced or zero productivity, and when dispatch is blocked.

    Each argument is a sequence of ``(start, end)`` days, possibly overlapping.
    """

    site_blackouts: Sequence[tuple[float, float]] = ()
    standdowns: Sequence[tuple[float, float]] = ()
    dispatch_blocked: Sequence[tuple[float, float]] = ()

    def _in(self, spans: Sequence[tuple[float, float]], t: float) -> bool:
        return any(s <= t < e for s, e in spans)

    def productivity(self, t: float, blackout_productivity: float) -> float:
        if self._in(self.standdowns, t):
            return 0.0
        if self._in(self.site_blackouts, t):
            return blackout_productivity
        return 1.0

    def next_change(self, t: float) -> float:
        """The first start or end of a blackout or stand-down after ``t``."""
        times = [x for s, e in (*self.site_blackouts, *self.standdowns) for x in (s, e) if x > t]
        return min(times, default=math.inf)

    def dispatch_opens(self, t: float) -> float:
        """First time at or after ``t`` when dispatch is not blocked."""
        moved = True
        while moved:
            moved = False
            for s, e in self.dispatch_blocked:
                if s <= t < e:
                    t, moved = e, True
        return t


@dataclass(frozen=True)
class ConstructionPlan:
    """The numbers of one project's construction, for one replication.

    Attributes
    ----------
    start : float
        Day construction starts (days from the scenario's start).
    planned_days, material_t, site_buffer_days, blackout_productivity : float
    convoy_t, convoy_loss_share : float
    dispatch_needs_comms : bool
    port, site : int
        Place indices in the network.
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
class ConstructionResult:
    """Outcome of one construction run; tonnages balance (see :meth:`balance_t`)."""

    finish: float
    material_stall_days: float
    standdown_days: float
    convoys: int
    convoys_delayed: int
    convoy_losses: int
    detour_km: float
    dispatched_t: float
    delivered_t: float
    consumed_t: float
    lost_t: float
    stock_t: float
    in_transit_t: float
    initial_t: float
    simpy_events: int = 0

    def balance_t(self) -> float:
        """Initial + dispatched - consumed - stock - lost - in transit: zero up to rounding."""
        return (
            self.initial_t
            + self.dispatched_t
            - self.consumed_t
            - self.stock_t
            - self.lost_t
            - self.in_transit_t
        )


@dataclass
class _Site:
    """The explicit state of the model: stocks, progress, and a wake-up event."""

    env: simpy.Environment
    stock: float
    need_t_per_day: float
    in_transit: float = 0.0
    progress: float = 0.0
    rate_t_per_day: float = 0.0
    t_settled: float = 0.0
    done: bool = False
    changed: simpy.Event = field(init=False)
    restocked: simpy.Event | None = None
    log: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.changed = self.env.event()
        self.t_settled = self.env.now

    def settle(self) -> None:
        """Bring stock and progress up to now at the current consumption rate."""
        elapsed = self.env.now - self.t_settled
        if elapsed > 0 and self.rate_t_per_day > 0:
            used = min(self.stock, self.rate_t_per_day * elapsed)
            self.stock -= used
            self.log["consumed_t"] += used
            self.progress += used / self.need_t_per_day
        self.t_settled = self.env.now

    def notify(self) -> None:
        """Wake the dispatcher: the consumption rate or the stock position changed."""
        event, self.changed = self.changed, self.env.event()
        event.succeed()

    def wait_for_stock(self) -> simpy.Event:
        """An event that fires at the next delivery (the work waits on it when stalled)."""
        self.restocked = self.env.event()
        return self.restocked

    def deliver(self, tonnes: float, nominal: float) -> None:
        self.settle()
        self.in_transit -= nominal
        self.stock += tonnes
        self.log["delivered_t"] += tonnes
        if tonnes < nominal:
            # Booked on arrival, so that what is on the road is counted whole.
            self.log["lost_t"] += nominal - tonnes
            self.log["convoy_losses"] += 1
        if self.restocked is not None:
            event, self.restocked = self.restocked, None
            event.succeed()
        if tonnes < nominal:
            self.notify()  # lost cargo lowers the stock position


def _work(
    env: simpy.Environment, site: _Site, plan: ConstructionPlan, schedule: SiteSchedule
) -> Generator[simpy.Event, Any, None]:
    need = plan.need_t_per_day
    while True:
        site.settle()
        if site.progress >= plan.planned_days - _EPS:
            break
        now = env.now
        p = schedule.productivity(now, plan.blackout_productivity)
        working = p > 0 and site.stock > _EPS
        rate = need * p if working else 0.0
        if rate != site.rate_t_per_day:
            site.rate_t_per_day = rate
            site.notify()  # the dispatcher plans with the consumption rate
        horizon = [schedule.next_change(now)]
        if working:
            horizon.append(now + site.stock / (need * p))
            horizon.append(now + (plan.planned_days - site.progress) / p)
        if p > 0 and not working:
            site.log["material_stall_days"] -= now  # closed when work resumes
        elif p == 0:
            site.log["standdown_days"] -= now
        until = min(horizon)
        if p > 0 and not working:
            stock_back = site.wait_for_stock()
            if math.isinf(until):
                yield stock_back
            else:
                yield env.timeout(until - now) | stock_back
        else:
            yield env.timeout(max(until - now, 0.0))
        if p > 0 and not working:
            site.log["material_stall_days"] += env.now
        elif p == 0:
            site.log["standdown_days"] += env.now
    site.rate_t_per_day = 0.0
    site.done = True
    site.log["finish"] = env.now
    site.notify()


def _send_convoy(
    env: simpy.Environment,
    site: _Site,
    plan: ConstructionPlan,
    network: CorridorNetwork,
    closures: Closures,
    attacks: dict[int, list[float]],
) -> None:
    """Send a convoy now: its trip is known, so its delivery is one scheduled event."""
    arrive, waited, detour_km, hits = network.shipment(
        plan.port, plan.site, env.now, closures, attacks=attacks
    )
    cargo = plan.convoy_t * (1.0 - plan.convoy_loss_share) ** hits
    site.log["detour_km"] += detour_km
    if waited > 0 or detour_km != 0:
        site.log["convoys_delayed"] += 1
    arrival = env.timeout(arrive - env.now)
    arrival.callbacks.append(lambda _: site.deliver(cargo, plan.convoy_t))


def _dispatch(
    env: simpy.Environment,
    site: _Site,
    plan: ConstructionPlan,
    schedule: SiteSchedule,
    network: CorridorNetwork,
    closures: Closures,
    attacks: dict[int, list[float]],
    level_t: float,
) -> Generator[simpy.Event, Any, None]:
    while not site.done:
        site.settle()
        position = site.stock + site.in_transit
        if position + plan.convoy_t <= level_t + _EPS:
            opens = schedule.dispatch_opens(env.now) if plan.dispatch_needs_comms else env.now
            if opens > env.now:
                yield env.timeout(opens - env.now) | site.changed
                continue
            site.in_transit += plan.convoy_t
            site.log["dispatched_t"] += plan.convoy_t
            site.log["convoys"] += 1
            _send_convoy(env, site, plan, network, closures, attacks)
            continue
        rate = site.rate_t_per_day
        wait = (position + plan.convoy_t - level_t) / rate if rate > 0 else math.inf
        wake = site.changed
        if math.isinf(wait):
            yield wake
        else:
            yield env.timeout(wait) | wake


def simulate_construction(
    plan: ConstructionPlan,
    network: CorridorNetwork,
    closures: Closures,
    schedule: SiteSchedule = SiteSchedule(),
    attack_segments: Sequence[int] = (),
    attack_days: Sequence[float] = (),
) -> ConstructionResult:
    """Run one project's construction for one replication.

    Parameters
    ----------
    plan : ConstructionPlan
    network : CorridorNetwork
    closures : Closures
        The replication's merged closures of every segment.
    schedule : SiteSchedule
        Site blackouts, stand-downs and dispatch blocks.
    attack_segments, attack_days : sequences
        Attacks that closed a segment (segment index, day): a convoy on that
        segment at that moment loses ``convoy_loss_share`` of its cargo.

    Returns
    -------
    ConstructionResult
        ``finish`` is the day the planned work is done.
    """
    env = simpy.Environment(initial_time=plan.start)
    need = plan.need_t_per_day
    initial = plan.site_buffer_days * need
    site = _Site(env, stock=initial, need_t_per_day=need)
    site.log = dict.fromkeys(
        (
            "material_stall_days",
            "standdown_days",
            "consumed_t",
            "lost_t",
            "delivered_t",
            "dispatched_t",
            "detour_km",
            "finish",
        ),
        0.0,
    ) | {"convoys": 0, "convoys_delayed": 0, "convoy_losses": 0}
    # The planned travel time, leaving at 06:00, sets the base-stock level.
    lead = network.trip(plan.port, plan.site, 0.25, Closures.none(len(network.segments)))
    level = initial + need * (lead.arrive - lead.depart)
    attacks: dict[int, list[float]] = {}
    for seg, day in sorted(zip(attack_segments, attack_days, strict=True)):
        attacks.setdefault(int(seg), []).append(float(day))
    env.process(_work(env, site, plan, schedule))
    env.process(_dispatch(env, site, plan, schedule, network, closures, attacks, level))
    steps = 0
    while not site.done:
        env.step()
        steps += 1
    log = site.log
    return ConstructionResult(
        finish=log["finish"],
        material_stall_days=log["material_stall_days"],
        standdown_days=log["standdown_days"],
        convoys=int(log["convoys"]),
        convoys_delayed=int(log["convoys_delayed"]),
        convoy_losses=int(log["convoy_losses"]),
        detour_km=log["detour_km"],
        dispatched_t=log["dispatched_t"],
        delivered_t=log["delivered_t"],
        consumed_t=log["consumed_t"],
        lost_t=log["lost_t"],
        stock_t=site.stock,
        in_transit_t=site.in_transit,
        initial_t=initial,
        simpy_events=steps,
    )
