"""Step 1 of the hazard kernel: background attacks, and the regimes' clock.

Per district, an exact Poisson process by exponential gaps. ``negbin``
multiplies the rate by a Gamma(k, 1/k) draw; ``hawkes`` uses
``attacks_per_year x (1 - n)`` and starts a burn-in of ``12 tau / (1 - n)``
days before day 0 so the process is stationary from day 0. Under escalation
regimes the same gaps are laid on an operational clock (:func:`_clock`,
:func:`_regime_path`), which the campaigns
(:mod:`riskmc.hazard.phases.campaigns`) read too.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from riskmc.hazard.phases.common import (
    G_DISP,
    G_MULT,
    K_BACKGROUND,
    NEGBIN,
    YEAR,
    _attack,
    _grow_to,
    _grow_to1,
    _plain,
    _room1,
)
from riskmc.hazard.rng import exponentials, fill_uniforms, gamma_draw, uniform4


@nb.njit(cache=True, error_model="numpy", inline="always")
def _background_rate(bg, th, rep, k0, k1, d, lam_factor):  # type: ignore[no-untyped-def]
    """District ``d``'s background rate [1/day]: negbin's Gamma multiplier drawn here."""
    (_, _, process, col_rate, s_negbin, _) = bg
    lam = th[col_rate[d]] * th[G_MULT] / YEAR * lam_factor
    if process == NEGBIN:
        k = th[G_DISP]
        lam *= gamma_draw(k, k0, k1, rep, s_negbin[d], _plain(0), _plain(0)) / k
    return lam


@nb.njit(cache=True, error_model="numpy")
def _background(bg, th, rep, k0, k1, lam_factor, burn, loc, nl, useq):  # type: ignore[no-untyped-def]
    """Step 1: each district's background attacks, by exponential gaps.

    The district's stream is read in order, refilled in bulk into ``useq``
    and turned into gaps there. ``bg`` is what this reads of the scenario's
    arrays (:func:`riskmc.hazard.kernel._phase_arrays` says why not all of them).
    """
    (horizon, n_districts, _, _, _, s_attack) = bg
    for d in range(n_districts):
        lam = _background_rate(bg, th, rep, k0, k1, d, lam_factor)
        if lam <= 0.0:
            continue
        stream = s_attack[d]
        per_fill = max(1, min(int(0.3 * lam * (horizon + burn)) + 4, useq.shape[0] // 4))
        block = _plain(0)  # next block to fill
        held = 0  # uniforms in useq
        i = 0  # next uniform of useq
        t = -burn
        while True:
            # No array is rebound in the inner loop: a loop-carried array
            # variable costs a reference count at every pass.
            cap = loc.shape[0]
            while nl < cap:
                if i >= held:
                    fill_uniforms(useq, k0, k1, rep, stream, block, per_fill)
                    block += per_fill
                    held = 4 * per_fill
                    i = 0
                    # The gaps, all at once: a vectorised loop.
                    exponentials(useq, 0, held, lam)
                t += useq[i]
                i += 1
                if t >= horizon:
                    break
                un = np.uint64(nl)
                loc[un, 0] = t
                loc[un, 1] = d
                loc[un, 2] = K_BACKGROUND
                loc[un, 3] = -1
                loc[un, 4] = -1
                nl += 1
            if t >= horizon:
                break
            loc = _grow_to(loc, loc.shape[0])
    return loc, nl


@nb.njit(cache=True, error_model="numpy", inline="always")
def _clock(sv: float, reg: tuple, k: int) -> tuple[float, int]:  # type: ignore[type-arg]
    """Real time of operational time ``sv`` under the regimes, and the segment cursor.

    ``reg`` is ``(starts, op_starts, multipliers, n)`` of the replication's
    regime segments (:func:`_regime_path`); operational time grows at the
    segment's multiplier, so a unit-rate clock in it is the modulated rate in
    real time. Before day 0 (a burn-in) both clocks agree. ``k`` only grows
    over calls with growing ``sv``.
    """
    rb, rs, rm, n = reg
    if sv < 0.0:
        return sv, k
    if sv >= rs[n]:
        return np.inf, k
    while rs[k + 1] <= sv:
        k += 1
    return min(rb[k] + (sv - rs[k]) / rm[k], rb[k + 1]), k


@nb.njit(cache=True, error_model="numpy")
def _regime_path(tail, rep, k0, k1, r, reg, regs, n_reg):  # type: ignore[no-untyped-def]
    """The replication's regime chain: segments into ``reg``, rows into ``regs``.

    Stream ``s_regime``: block ``(0, 1)`` lane 0 draws the first state when it
    is drawn from the stationary shares; block ``k`` gives the ``k``-th
    sojourn (lane 0, exponential) and the jump after it (lane 1).
    """
    rb, rs, rm, _ = reg
    horizon = tail.horizon
    state = tail.reg_start
    if state < 0:
        u, _, _, _ = uniform4(k0, k1, rep, tail.s_regime, 0, 1)
        state = 0
        while state < tail.reg_n - 1 and u >= tail.reg_stat[state]:
            state += 1
    t = 0.0
    op = 0.0
    k = 0
    while t < horizon:
        u0, u1, _, _ = uniform4(k0, k1, rep, tail.s_regime, k, 0)
        end = t - tail.reg_mean[state] * math.log(u0)
        if k + 2 >= rb.shape[0]:
            rb = _grow_to1(rb, k + 2)
            rs = _grow_to1(rs, k + 2)
            rm = _grow_to1(rm, k + 2)
        rb[k] = t
        rs[k] = op
        rm[k] = tail.reg_mult[state]
        op += tail.reg_mult[state] * (min(end, horizon) - t)
        regs = _room1(regs, n_reg)
        rec = regs[n_reg]
        rec.replication = r
        rec.state = state
        rec.start = t
        rec.end = min(end, horizon)
        n_reg += 1
        t = end
        k += 1
        if tail.reg_n == 2:
            state = 1 - state
        else:
            nxt = 0
            while nxt < tail.reg_n - 1 and u1 >= tail.reg_jump[state, nxt]:
                nxt += 1
            state = nxt
    rb[k] = horizon
    rs[k] = op
    rm[k] = 1.0
    return (rb, rs, rm, k), regs, n_reg


@nb.njit(cache=True, error_model="numpy")
def _background_regimes(bg, th, rep, k0, k1, lam_factor, burn, loc, nl, useq, reg):  # type: ignore[no-untyped-def]
    """Step 1 under regimes: the same gaps, laid on the regimes' operational clock.

    The gaps of a district's stream are those of :func:`_background` (rate
    ``lam`` in operational days); :func:`_clock` maps each attack's
    operational time to real time, so the rate in real time is ``lam`` times
    the regime's multiplier.
    """
    (horizon, n_districts, _, _, _, s_attack) = bg
    for d in range(n_districts):
        lam = _background_rate(bg, th, rep, k0, k1, d, lam_factor)
        if lam <= 0.0:
            continue
        stream = s_attack[d]
        per_fill = max(1, min(int(0.3 * lam * (horizon + burn)) + 4, useq.shape[0] // 4))
        block = _plain(0)
        held = 0
        i = 0
        sv = -burn
        cur = 0
        while True:
            if i >= held:
                fill_uniforms(useq, k0, k1, rep, stream, block, per_fill)
                block += per_fill
                held = 4 * per_fill
                i = 0
                exponentials(useq, 0, held, lam)
            sv += useq[i]
            i += 1
            t, cur = _clock(sv, reg, cur)
            if t >= horizon:
                break
            loc, nl = _attack(loc, nl, t, d, K_BACKGROUND, -1, -1)
    return loc, nl
