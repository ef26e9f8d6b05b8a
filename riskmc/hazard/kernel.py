"""The compiled hazard kernels: arrays in, event tables out.

One call samples a contiguous block of replications. Each replication reads
only its own counter-based streams (:mod:`riskmc.hazard.rng`) and its own row
of ``theta``, so the result for replication ``r`` is the same whichever block
or thread computes it.

Per replication, in this order (:func:`sample_block`), each step in the module named:

1. **Background attacks** per district (``phases.background``), exact
   Poisson process by exponential gaps. ``negbin`` multiplies the rate by a
   Gamma(k, 1/k) draw; ``hawkes`` uses ``attacks_per_year x (1 - n)`` and
   starts a burn-in of ``12 tau / (1 - n)`` days before day 0 so the process
   is stationary from day 0 (the bias left is below ``exp(-12)``). With a
   history (``hazard.history``; ``phases.offspring``), the observed events
   replace the simulated past of the history's window and their children
   after day 0 are drawn.
2. **Triggered attacks** (``hawkes``; ``phases.offspring``), by the cluster
   construction: every attack has Poisson(n) children after Exp(tau) delays;
   a share ``spillover`` goes to a random adjacent district. Drawn a
   generation at a time: a chunk of m parents of one district has
   Poisson(n m) children, each with a parent drawn uniformly from the chunk
   (the same law).
3. **Campaigns** (``phases.campaigns``): Poisson arrivals; each joining
   district gets a Poisson burst of attacks spread uniformly over the
   campaign, maybe a blackout from its start, and seizures close every
   segment touching the place held. Campaign attacks do not trigger further
   attacks.
4. **Stress attacks** are added (here, :func:`sample_block`), and those of
   the burn-in are dropped (their consequences too; ``phases.consequences``).
5. **Consequences of each attack** (``phases.consequences``), in the order
   the attacks were made, from three uniforms of its district's mark stream:
   its target; for road and rail targets, whether it closes one segment of
   that mode through the district (the mode's probability); whether it
   blacks out the district. Only an attack that closes or blacks out draws
   one more block of the stream, for the durations and the segment, which
   thus do not depend on the closure probability: a variant with another
   probability closes the same segment wherever the attack closes one in
   both. The target uniform, rescaled within the drawn class, is kept as the
   attack's ``mark``, a uniform for per-attack amounts (damage) downstream,
   and the attack's ordinal in its stream as ``seq``, from which its deaths
   and suspension uniforms are drawn (:mod:`riskmc.hazard.attack_severity`:
   right away for the attacks of watched districts, the ``watched`` table;
   for the others when the attack table is read). Attacks are then sorted by
   time (a counting sort on half days, then insertion).
6. **Protests** on each road segment and **province-wide blackout orders**,
   Poisson in time; **stress** closures and blackouts (``phases.protests``).
7. **Spans** (``phases.spans``): pieces end at the horizon at the latest;
   overlapping pieces of one segment (or district) merge into one row whose
   cause is that of the first piece. Spans are ordered by segment (or
   district), then start.

The modules are those of :mod:`riskmc.hazard.phases`. The codes, constants,
output dtypes and small helpers the steps share are in ``phases.common``;
the record dtypes are re-exported here.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from riskmc.hazard.attack_severity import (
    watched_deaths,
    watched_replication,
    watched_scratch,
)
from riskmc.hazard.phases.background import _background, _background_regimes, _regime_path
from riskmc.hazard.phases.campaigns import _campaigns
from riskmc.hazard.phases.common import (
    ATTACK_DTYPE,
    BURN_IN_DECAYS,
    CAMPAIGN_DTYPE,
    G_DECAY,
    G_N,
    HAWKES,
    JOIN_DTYPE,
    K_STRESS,
    REGIME_DTYPE,
    SPAN_DTYPE,
    _attack,
    _plain,
)
from riskmc.hazard.phases.consequences import _consequence_work, _consequences
from riskmc.hazard.phases.offspring import _history, _triggered
from riskmc.hazard.phases.protests import _protests_orders_stress
from riskmc.hazard.phases.spans import _merge_spans
from riskmc.hazard.rng import sample_dist, uniform4

__all__ = [
    "ATTACK_DTYPE",
    "CAMPAIGN_DTYPE",
    "JOIN_DTYPE",
    "REGIME_DTYPE",
    "SPAN_DTYPE",
    "draw_theta",
    "sample_block",
]


@nb.njit(cache=True, error_model="numpy", nogil=True)
def draw_theta(
    codes: np.ndarray,
    params: np.ndarray,
    streams: np.ndarray,
    k0: np.uint64,
    k1: np.uint64,
    rep0: int,
    n_rep: int,
) -> np.ndarray:
    """Per-replication parameter draws, shape (n_rep, P).

    Column ``j`` of replication ``r`` is drawn from stream ``streams[j]``,
    block 0 (inversion) or blocks 1, 2, ... (rejection): it depends on the
    parameter's path, not on its column, so adding a parameter to a scenario
    leaves the others' draws unchanged.
    """
    n_par = codes.shape[0]
    out = np.empty((n_rep, n_par), dtype=np.float64)
    for i in range(n_rep):
        rep = np.uint64(rep0 + i)
        for j in range(n_par):
            code = codes[j]
            if code == 0:
                out[i, j] = params[j, 0]
                continue
            u, _, _, _ = uniform4(k0, k1, rep, streams[j], 0, 0)
            out[i, j] = sample_dist(
                code,
                params[j, 0],
                params[j, 1],
                params[j, 2],
                params[j, 3],
                u,
                k0,
                k1,
                rep,
                streams[j],
                _plain(0),
                _plain(1),
            )
    return out


@nb.njit(cache=True, error_model="numpy", inline="always")
def _phase_arrays(a, horizon, n_d):  # type: ignore[no-untyped-def]
    """What each phase of a replication reads of the scenario's arrays ``a``, alone.

    Tuples ``(ca, bg, tg, hg, cg, po)``: consequences, background, triggered,
    history, campaigns, protests and orders.
    """
    # What each phase reads of ``a``, alone, for the phases a replication calls:
    # Numba passes a tuple member by member, so every array of ``a`` (about 30)
    # cost at every call, whether the phase read it or not.
    ca = (horizon, n_d, a.s_marks, a.watch, a.event_dists)
    bg = (horizon, n_d, a.process, a.col_rate, a.s_negbin, a.s_attack)
    tg = (horizon, n_d, a.nb_ptr, a.nb_idx, a.s_offspring)
    hg = (horizon, n_d, a.nb_ptr, a.nb_idx, a.hist_t, a.hist_d, a.hist_w, a.s_history)
    cg = (
        horizon,
        n_d,
        a.event_dists,
        a.col_join,
        a.watch,
        a.s_join,
        a.s_burst,
        a.s_campaign,
        a.col_seize,
        a.seize_ptr,
        a.seize_idx,
        a.s_seize,
    )
    po = (
        horizon,
        n_d,
        a.event_dists,
        a.protest_segments,
        a.s_protest,
        a.s_province,
        a.st_closure_segment,
        a.st_closure_start,
        a.st_closure_end,
        a.st_blackout_district,
        a.st_blackout_start,
        a.st_blackout_end,
    )
    return ca, bg, tg, hg, cg, po


@nb.njit(cache=True, error_model="numpy", nogil=True)
def sample_block(  # type: ignore[no-untyped-def]
    a, tail, theta, rep0, n_rep, k0, k1, keep_pieces, att, cp, cl, bp, bl, camps, joins, regs, wat
):
    """Sample replications ``rep0 .. rep0 + n_rep - 1`` of one scenario.

    Parameters
    ----------
    a : HazardArrays
        The scenario as arrays (:func:`riskmc.hazard.inputs.build_inputs`).
    tail : TailArrays
        What the tail's draws read (deaths, suspension uniforms, regimes).
    theta : ndarray of float64, shape (n_rep, P)
        Per-replication parameters (:func:`draw_theta`).
    rep0, n_rep : int
        First replication and count.
    k0, k1 : uint64
        Philox key from the seed.
    keep_pieces : bool
        Also return the closure and blackout pieces before merging.
    att, cp, cl, bp, bl, camps, joins, regs, wat : ndarray
        Output buffers (record arrays of the dtypes below, at least one
        element each), filled from the start and grown if too short. Passing
        them in lets the caller allocate with NumPy, which asks the kernel for
        huge pages on large arrays: on virtual machines where first touching a
        page is dear, that matters more than the sampling itself.

    Returns
    -------
    attacks : ndarray of ATTACK_DTYPE
        By replication, then day.
    closure_pieces, closures, blackout_pieces, blackouts : ndarray of SPAN_DTYPE
        ``key`` is the segment (closures) or district (blackouts) index; by
        replication, key, then start. The pieces are empty unless
        ``keep_pieces``.
    campaigns : ndarray of CAMPAIGN_DTYPE
    joins : ndarray of JOIN_DTYPE
        Districts joining campaigns, by replication then campaign.
    regimes : ndarray of REGIME_DTYPE
        The regime chain's sojourns (empty without regimes).
    watched : ndarray of riskmc.hazard.attack_severity.WATCHED_DTYPE
        The attacks of watched districts: deaths and suspension uniforms.
    """
    horizon = a.horizon
    n_d = a.n_districts
    cap_a = max(64, att.shape[0] // max(n_rep, 1))
    cap_s = max(64, cl.shape[0] // max(n_rep, 1))
    n_att = n_cp = n_cl = n_bp = n_bl = n_camp = n_join = n_reg = n_wat = np.int64(0)
    zero = np.int64(0)
    # Scratch reused by every replication: attacks as made (t, district, kind,
    # campaign, fixed target), closure and blackout pieces (key, start, end,
    # cause), stream buffers and cursors, and the scratch of the steps.
    loc = np.empty((2 * cap_a, 5), dtype=np.float64)
    lc = np.empty((2 * cap_s, 4), dtype=np.float64)
    lb = np.empty((2 * cap_s, 4), dtype=np.float64)
    useq = np.empty(4096, dtype=np.float64)
    pairs = np.empty(4096, dtype=np.float64)
    st = np.zeros(4, dtype=np.int64)
    tw = (
        np.empty(1024, dtype=np.float64),
        np.empty(1024, dtype=np.float64),
        np.empty(1024, dtype=np.int64),
        np.empty(1024, dtype=np.uint64),
        np.empty(1024, dtype=np.uint64),
        np.empty((64, 4), dtype=np.int64),
        np.zeros(n_d + 1, dtype=np.int64),
    )
    work = _consequence_work(a, 2 * cap_a)
    ca, bg, tg, hg, cg, po = _phase_arrays(a, horizon, n_d)
    with_history = a.hist_t.shape[0] > 0
    ws = watched_scratch(tail)
    reg = (
        np.zeros(64, dtype=np.float64),
        np.zeros(64, dtype=np.float64),
        np.ones(64, dtype=np.float64),
        _plain(0),
    )
    scratch = (
        np.empty(4 * cap_s, dtype=np.int64),
        np.empty(2 * cap_s, dtype=np.int64),
        np.empty(2 * cap_s, dtype=np.int64),
    )

    for i in range(n_rep):
        r = rep0 + i
        rep = np.uint64(r)
        th = theta[i]
        n_br = th[G_N] if a.process == HAWKES else 0.0
        tau = th[G_DECAY] if a.process == HAWKES else 1.0
        burn = BURN_IN_DECAYS * tau / (1.0 - n_br) if n_br > 0.0 else 0.0

        if tail.reg_n > 0:
            reg, regs, n_reg = _regime_path(tail, rep, k0, k1, r, reg, regs, n_reg)
            loc, nl = _background_regimes(
                bg, th, rep, k0, k1, 1.0 - n_br, burn, loc, zero, useq, reg
            )
        else:
            loc, nl = _background(bg, th, rep, k0, k1, 1.0 - n_br, burn, loc, zero, useq)
        if with_history and n_br > 0.0:
            loc, nl = _history(hg, th, rep, k0, k1, n_br, tau, loc, nl)
        if n_br > 0.0:
            loc, nl, tw = _triggered(tg, th, rep, k0, k1, n_br, tau, loc, nl, tw)
        loc, nl, lc, nlc, lb, nlb, camps, n_camp, joins, n_join = _campaigns(
            cg, th, r, rep, k0, k1, loc, nl, lc, zero, lb, zero, camps, n_camp, joins, n_join, reg
        )
        for z in range(a.st_attack_day.shape[0]):
            loc, nl = _attack(
                loc,
                nl,
                a.st_attack_day[z],
                a.st_attack_district[z],
                K_STRESS,
                -1,
                a.st_attack_target[z],
            )
        n0 = n_att
        lc, nlc, lb, nlb, att, n_att, work, n_w = _consequences(
            ca, th, rep, k0, k1, r, loc, nl, work, lc, nlc, lb, nlb, att, n_att
        )
        if n_w > 0:
            # work[14] lists the watched attacks, work[5] counts each mark row's attacks.
            wat, n_wat, ws = watched_replication(
                tail, rep, k0, k1, att, n0, work[14], n_w, work[5], wat, n_wat, ws
            )
        lc, nlc, lb, nlb = _protests_orders_stress(
            po, th, rep, k0, k1, lc, nlc, lb, nlb, useq, pairs, st
        )
        cp, n_cp, cl, n_cl, scratch = _merge_spans(
            lc, nlc, r, horizon, keep_pieces, cp, n_cp, cl, n_cl, scratch
        )
        bp, n_bp, bl, n_bl, scratch = _merge_spans(
            lb, nlb, r, horizon, keep_pieces, bp, n_bp, bl, n_bl, scratch
        )

    watched_deaths(tail, wat, n_wat, ws)
    return (
        att[:n_att],
        cp[:n_cp],
        cl[:n_cl],
        bp[:n_bp],
        bl[:n_bl],
        camps[:n_camp],
        joins[:n_join],
        regs[:n_reg],
        wat[:n_wat],
    )
