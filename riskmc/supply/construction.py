"""Construction alone: :func:`simulate_construction`, the project model with no operations.

A convenience over :func:`riskmc.supply.model.simulate_project` for studies of
the build phase, taking the network's :class:`~riskmc.network.Closures` and the
attack days as plain sequences. The rules are those of
:mod:`riskmc.supply.model`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from riskmc.network import Closures, CorridorNetwork
from riskmc.network.compiled import SegmentTimes
from riskmc.supply.model import (
    ConstructionPlan,
    Hazard,
    SiteSchedule,
    simulate_project,
)

__all__ = ["ConstructionPlan", "ConstructionResult", "SiteSchedule", "simulate_construction"]


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


def segment_times(closures: Closures) -> SegmentTimes:
    """:class:`Closures` (merged, by segment) as compiled-code arrays."""
    n = len(closures.starts)
    keys = np.repeat(np.arange(n), [len(s) for s in closures.starts])
    starts = np.concatenate([*closures.starts, np.zeros(0)])
    ends = np.concatenate([*closures.ends, np.zeros(0)])
    return SegmentTimes.of(n, keys, starts, ends)


def simulate_construction(
    plan: ConstructionPlan,
    network: CorridorNetwork,
    closures: Closures,
    schedule: SiteSchedule | None = None,
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
    schedule : SiteSchedule, optional
        Site blackouts, stand-downs and dispatch blocks.
    attack_segments, attack_days : sequences
        Attacks that closed a segment (segment index, day): a convoy on that
        segment at that moment loses ``convoy_loss_share`` of its cargo. Each
        must start a closure of its segment in ``closures``.

    Returns
    -------
    ConstructionResult
        ``finish`` is the day the planned work is done.
    """
    n = len(network.segments)
    attacks = SegmentTimes.of(
        n, np.asarray(attack_segments, dtype=np.int64), np.asarray(attack_days, dtype=np.float64)
    )
    hazard = Hazard(network, segment_times(closures), attacks, schedule or SiteSchedule())
    r = simulate_project(hazard, plan, None)
    pile = r.stockpiles["material"]
    return ConstructionResult(
        finish=r.finish,
        material_stall_days=r.material_stall_days,
        standdown_days=r.standdown_days,
        convoys=r.convoys,
        convoys_delayed=r.convoys_delayed,
        convoy_losses=r.convoy_losses,
        detour_km=r.detour_tkm / plan.convoy_t,
        dispatched_t=pile["dispatched_t"],
        delivered_t=pile["delivered_t"],
        consumed_t=pile["consumed_t"],
        lost_t=pile["lost_t"],
        stock_t=pile["stock_t"],
        in_transit_t=pile["in_transit_t"],
        initial_t=pile["initial_t"],
        simpy_events=r.simpy_events,
    )
