"""Step 3 of the hazard kernel: campaigns, their bursts of attacks, blackouts and seizures.

Poisson arrivals; each joining district gets a Poisson burst of attacks
spread uniformly over the campaign, maybe a blackout from its start, and
seizures close every segment touching the place held. Campaign attacks do
not trigger further attacks.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from riskmc.hazard.phases.background import _clock
from riskmc.hazard.phases.common import (
    C_CAMPAIGN,
    C_SEIZURE,
    E_CBLK,
    E_CDUR,
    E_SEIZE0,
    G_CATT,
    G_CBLK,
    G_CRATE,
    K_CAMPAIGN,
    YEAR,
    _attack,
    _event_draw,
    _plain,
    _room1,
    _span,
)
from riskmc.hazard.rng import uniform4


@nb.njit(cache=True, error_model="numpy")
def _campaigns(  # type: ignore[no-untyped-def]
    cg, th, r, rep, k0, k1, loc, nl, lc, nlc, lb, nlb, camps, n_camp, joins, n_join, reg
):
    """Step 3: campaigns, their bursts of attacks, blackouts and seizures.

    Under regimes the arrivals run on the regimes' operational clock
    (:func:`_clock`). Each district that joins is a row of ``joins``; a
    watched one reads block ``c`` of its join-suspension stream for its two
    suspension uniforms. ``cg`` is what this reads of the scenario's arrays
    (see :func:`riskmc.hazard.kernel._phase_arrays`).
    """
    (
        horizon,
        n_districts,
        ed,
        col_join,
        watch,
        s_join,
        s_burst,
        s_campaign,
        col_seize,
        seize_ptr,
        seize_idx,
        s_seize,
    ) = cg
    c_rate = th[G_CRATE] / YEAR
    if c_rate <= 0.0:
        return loc, nl, lc, nlc, lb, nlb, camps, n_camp, joins, n_join
    m_att = th[G_CATT]
    cu4 = np.empty((max(n_districts, 1), 3), dtype=np.float64)
    t = 0.0
    sv = 0.0
    cur = 0
    c = _plain(0)
    u0 = u1 = u2 = u3 = 0.5
    while True:
        gu, du, _, _ = uniform4(k0, k1, rep, s_campaign, c, 0)
        if reg[3] > 0:
            sv -= math.log(gu) / c_rate
            t, cur = _clock(sv, reg, cur)
        else:
            t -= math.log(gu) / c_rate
        if t >= horizon:
            break
        dur = _event_draw(ed, E_CDUR, du, k0, k1, rep, s_campaign, c, 1)
        camps = _room1(camps, n_camp)
        rec = camps[n_camp]
        rec.replication = r
        rec.campaign = c
        rec.start = t
        rec.end = min(t + dur, horizon)
        n_camp += 1
        # The first block of every district's burst stream, drawn before any
        # is used: independent blocks overlap, where a block drawn in the
        # loop below waited on the branches of the district before.
        for d in range(n_districts):
            cu4[d, 0], cu4[d, 1], cu4[d, 2], _ = uniform4(k0, k1, rep, s_burst[d], c, 0)
        for d in range(n_districts):
            ju = cu4[d, 0]
            bu = cu4[d, 1]
            bdu = cu4[d, 2]
            if ju >= th[col_join[d]]:
                continue
            joins = _room1(joins, n_join)
            jr = joins[n_join]
            jr.replication = r
            jr.campaign = c
            jr.district = d
            jr.day = t
            if watch[d]:
                su, sd, _, _ = uniform4(k0, k1, rep, s_join[d], c, 0)
                jr.u_suspend = su
                jr.u_days = sd
            else:
                jr.u_suspend = -1.0
                jr.u_days = -1.0
            n_join += 1
            if m_att > 0.0:
                s = t
                j = 0
                while True:
                    if j & 3 == 0:
                        u0, u1, u2, u3 = uniform4(k0, k1, rep, s_burst[d], c, 1 + (j >> 2))
                    lane = j & 3
                    u = u0 if lane == 0 else u1 if lane == 1 else u2 if lane == 2 else u3
                    s -= math.log(u) * dur / m_att
                    if s >= t + dur or s >= horizon:
                        break
                    loc, nl = _attack(loc, nl, s, d, K_CAMPAIGN, c, -1)
                    j += 1
            if bu < th[G_CBLK]:
                bd = _event_draw(ed, E_CBLK, bdu, k0, k1, rep, s_burst[d], c, 1 << 20)
                lb, nlb = _span(lb, nlb, d, t, t + bd, C_CAMPAIGN, horizon)
        for z in range(col_seize.shape[0]):
            pu, zu, _, _ = uniform4(k0, k1, rep, s_seize[z], c, 0)
            if pu < th[col_seize[z]]:
                zd = _event_draw(ed, E_SEIZE0 + z, zu, k0, k1, rep, s_seize[z], c, 1)
                for w in range(seize_ptr[z], seize_ptr[z + 1]):
                    lc, nlc = _span(lc, nlc, seize_idx[w], t, t + zd, C_SEIZURE, horizon)
        c += 1
    return loc, nl, lc, nlc, lb, nlb, camps, n_camp, joins, n_join
