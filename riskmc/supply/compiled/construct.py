"""Construction of one project in one replication, in Numba: the twin of ``model._construct``.

One regime per pass of the loop, as the SimPy process of
:mod:`riskmc.supply.model` takes them ("Construction" in its docstring): the
work's rate under the flags of the timeline, the stockpile's convoys and
draw-down (:func:`riskmc.supply.stockpile.pile_plan`), what held the work,
and the clock moved as SimPy moves it. Called by
:func:`riskmc.supply.compiled.project.simulate`.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numpy.typing import NDArray

from riskmc.supply import kernels as kern
from riskmc.supply.compiled.numeric import grow
from riskmc.supply.compiled.slots import (
    P_BLACKOUT_PROD,
    P_COMMS,
    P_MATERIAL_T,
    P_PLANNED_DAYS,
    P_PORT,
    P_SITE,
    P_START,
    R_FINISH,
    R_MAT_STALL,
    R_STANDDOWN,
    R_STEPS,
    R_SUSP_BUILD,
    STILL,
    Plan,
)
from riskmc.supply.compiled.timeline import flags_at

__all__ = ["construct"]

_HELD_BY_BLACKOUT_WORK = -4
_STANDDOWN, _BLACKOUT, _BLOCKED = kern.STANDDOWN, kern.BLACKOUT, kern.BLOCKED
_SUSPENDED, _REMOB = kern.SUSPENDED, kern.REMOB


@nb.njit(cache=True, error_model="numpy")
def construct(
    floats: NDArray[np.float64],
    ints: NDArray[np.int64],
    allow: NDArray[np.bool_],
    inbound: NDArray[np.int64],
    plan: Plan,
    bounds: NDArray[np.float64],
    masks: NDArray[np.int64],
    st: NDArray[np.float64],
    pend: NDArray[np.float64],
    res: NDArray[np.float64],
) -> tuple[NDArray[np.float64], int, NDArray[np.float64], int, NDArray[np.float64], int]:
    """Construction (``model._construct``); returns its stall, suspended and delay records."""
    port, site = int(plan[P_PORT]), int(plan[P_SITE])
    planned = plan[P_PLANNED_DAYS]
    need = plan[P_MATERIAL_T] / planned
    comms = plan[P_COMMS] != 0.0
    stall = np.zeros((16, 2))
    susp = np.zeros((8, 2))
    delay = np.zeros((32, 3))
    n_stall = n_susp = n_delay = 0
    still = 0
    progress = 0.0
    now = plan[P_START]
    while progress < planned:
        mask, until = flags_at(bounds, masks, now)
        suspended = (mask & _SUSPENDED) != 0
        if mask & (_STANDDOWN | _SUSPENDED):
            base = 0.0
        elif mask & _BLACKOUT:
            base = plan[P_BLACKOUT_PROD]
        else:
            base = 1.0
        p = base * kern.REMOB_SHARE if mask & _REMOB else base
        stalled = p > 0 and st[kern.STOCK] <= kern.EMPTY_T
        rate = need * p if p > 0 and not stalled else 0.0
        t_done = now + (planned - progress) / p if rate > 0 else np.inf
        until = min(until, t_done)
        until = min(until, st[kern.NEXT_LOSSY])
        if stalled:
            until = min(until, st[kern.NEXT_ARRIVAL])
        blocked = suspended or (comms and (mask & _BLOCKED) != 0)
        hold_code = kern.HELD_BY_SUSPENSION if suspended else kern.HELD_BY_BLACKOUT
        end = kern.pile_plan(
            floats, ints, allow, inbound, port, site, st, pend, now, rate, until, not blocked,
            hold_code,
        )  # fmt: skip
        still = still + 1 if end <= now else 0
        if still > STILL:
            raise RuntimeError("supply model stuck: please report this scenario")
        held_by, held_until = -1.0, 0.0
        if stalled:
            n = int(st[kern.N_PEND])
            if n > 0:
                k = 0
                for i in range(1, n):
                    if pend[i, 0] < pend[k, 0]:
                        k = i
                held_by, held_until = pend[k, 3], pend[k, 4]
        res[R_STEPS] += 1.0
        used = kern.stockpile_advance(st, pend, now, end, rate)
        dt = end - now
        if end > now:
            if n_delay + 2 >= delay.shape[0]:
                delay = grow(delay)
            if stalled:
                delay[n_delay, 0], delay[n_delay, 1], delay[n_delay, 2] = held_by, held_until, dt
                n_delay += 1
            elif suspended:
                delay[n_delay, 0], delay[n_delay, 1] = kern.HELD_BY_SUSPENSION, now
                delay[n_delay, 2] = dt
                n_delay += 1
            elif p == 0:
                delay[n_delay, 0], delay[n_delay, 1] = kern.HELD_BY_SITE_ATTACK, now
                delay[n_delay, 2] = dt
                n_delay += 1
            else:
                if base < 1:
                    delay[n_delay, 0], delay[n_delay, 1] = _HELD_BY_BLACKOUT_WORK, now
                    delay[n_delay, 2] = (1 - base) * dt
                    n_delay += 1
                if p < base:
                    delay[n_delay, 0], delay[n_delay, 1] = kern.HELD_BY_SUSPENSION, now
                    delay[n_delay, 2] = (base - p) * dt
                    n_delay += 1
        progress = planned if end >= t_done else progress + used / need
        if stalled:
            res[R_MAT_STALL] += dt
        elif suspended:
            res[R_SUSP_BUILD] += dt
            if end > now:
                if n_susp == susp.shape[0]:
                    susp = grow(susp)
                susp[n_susp, 0], susp[n_susp, 1] = now, end
                n_susp += 1
        elif p == 0:
            res[R_STANDDOWN] += dt
        if (stalled or (p == 0 and not suspended)) and end > now:
            if n_stall == stall.shape[0]:
                stall = grow(stall)
            stall[n_stall, 0], stall[n_stall, 1] = now, end
            n_stall += 1
        now = now + (end - now)  # as SimPy's clock moves: a timeout of end - now
    res[R_FINISH] = now
    return stall, n_stall, susp, n_susp, delay, n_delay
