"""Step 6 of the hazard kernel: protests, province-wide blackout orders, stress spans.

Protests on each road segment and province-wide blackout orders are Poisson
in time; the stress test's closures and blackouts are added as given.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from riskmc.hazard.phases.common import (
    C_PROTEST,
    C_PROVINCE,
    C_STRESS,
    E_PROT,
    E_PROV,
    G_PROT,
    G_PROV,
    SUB_EVENT,
    YEAR,
    _event_draw,
    _grow_to,
    _plain,
    _span,
)
from riskmc.hazard.rng import (
    LOGNORMAL,
    exponentials,
    fill_uniforms,
    lognormals,
    next_uniform,
    sample_dist,
    seq_start,
)


@nb.njit(cache=True, error_model="numpy")
def _protests_orders_stress(po, th, rep, k0, k1, lc, nlc, lb, nlb, useq, pairs, st):  # type: ignore[no-untyped-def]
    """Step 6: protests, province-wide blackout orders, stress closures and blackouts.

    Protests on a segment, and province-wide orders, read their stream in
    order: a gap and a duration uniform per event. ``useq`` and ``pairs``
    are scratch of the same length. ``po`` is what this reads of the scenario's
    arrays (see :func:`riskmc.hazard.kernel._phase_arrays`).
    """
    (
        horizon,
        n_d,
        ed,
        protest_segments,
        s_protest,
        s_province,
        st_closure_segment,
        st_closure_start,
        st_closure_end,
        st_blackout_district,
        st_blackout_start,
        st_blackout_end,
    ) = po
    p_rate = th[G_PROT] / YEAR
    if p_rate > 0.0:
        pc, p0, p1, p2, p3 = (
            ed[E_PROT, 0],
            ed[E_PROT, 1],
            ed[E_PROT, 2],
            ed[E_PROT, 3],
            ed[E_PROT, 4],
        )
        per_fill = max(1, min(int(0.6 * p_rate * horizon) + 2, useq.shape[0] // 4))
        for z in range(protest_segments.shape[0]):
            seg = protest_segments[z]
            stream = s_protest[z]
            block = _plain(0)  # next block of the stream to fill
            held = 0  # events in pairs: their gaps, then their durations
            k = 0  # next event of pairs
            t = 0.0
            e = _plain(0)
            while True:
                # No array rebound in the inner loop (see phases.background._background).
                cap = lc.shape[0]
                while nlc < cap:
                    if k >= held:
                        fill_uniforms(useq, k0, k1, rep, stream, block, per_fill)
                        block += per_fill
                        held = 2 * per_fill
                        # The stream alternates gap and duration; each half
                        # is turned into draws at once, in a vectorised loop.
                        for j in range(held):
                            pairs[j] = useq[2 * j]
                            pairs[held + j] = useq[2 * j + 1]
                        exponentials(pairs, 0, held, p_rate)
                        if pc == LOGNORMAL:
                            lognormals(pairs, held, held, p0, p1)
                        k = 0
                    t += pairs[k]
                    if t >= horizon:
                        break
                    days = pairs[held + k]
                    k += 1
                    if pc != LOGNORMAL:
                        days = sample_dist(
                            int(pc), p0, p1, p2, p3, days, k0, k1, rep, stream, e, _plain(SUB_EVENT)
                        )
                    end = min(t + days, horizon)
                    if end > t:
                        un = np.uint64(nlc)
                        lc[un, 0] = seg
                        lc[un, 1] = t
                        lc[un, 2] = end
                        lc[un, 3] = C_PROTEST
                        nlc += 1
                    e += 1
                if t >= horizon:
                    break
                lc = _grow_to(lc, lc.shape[0])
    v_rate = th[G_PROV] / YEAR
    if v_rate > 0.0:
        t = 0.0
        e = _plain(0)
        seq_start(st, int(0.6 * v_rate * horizon) + 2, useq.shape[0])
        while True:
            t -= math.log(next_uniform(useq, st, k0, k1, rep, s_province)) / v_rate
            if t >= horizon:
                break
            du = next_uniform(useq, st, k0, k1, rep, s_province)
            days = _event_draw(ed, E_PROV, du, k0, k1, rep, s_province, e, 1)
            if lb.shape[0] < nlb + n_d:
                lb = _grow_to(lb, nlb + n_d)
            end = min(t + days, horizon)
            if end > t:
                for d in range(n_d):
                    un = np.uint64(nlb)
                    lb[un, 0] = d
                    lb[un, 1] = t
                    lb[un, 2] = end
                    lb[un, 3] = C_PROVINCE
                    nlb += 1
            e += 1
    for z in range(st_closure_segment.shape[0]):
        lc, nlc = _span(
            lc,
            nlc,
            st_closure_segment[z],
            st_closure_start[z],
            st_closure_end[z],
            C_STRESS,
            horizon,
        )
    for z in range(st_blackout_district.shape[0]):
        who = st_blackout_district[z]
        for d in range(n_d):
            if who < 0 or who == d:
                lb, nlb = _span(
                    lb, nlb, d, st_blackout_start[z], st_blackout_end[z], C_STRESS, horizon
                )
    return lc, nlc, lb, nlb
