"""Steps 1b and 2 of the hazard kernel: a history's children, then Hawkes offspring.

With a history (``hazard.history``) the observed events replace the
simulated past of the history's window and their children after day 0 are
drawn (:func:`_history`); then every attack has Poisson(n) children after
Exp(tau) delays, drawn a generation at a time (:func:`_triggered`).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from riskmc.hazard.phases.common import (
    _U1,
    CHUNK,
    G_SPILL,
    K_TRIGGERED,
    MAX_POISSON,
    _attack,
    _grow_to,
    _grow_to1,
    _plain,
    _room,
)
from riskmc.hazard.rng import _exp, fill_offspring, uniform4


@nb.njit(cache=True, error_model="numpy", inline="always")
def _poisson(u: float, mean: float) -> int:
    """The Poisson(mean) count at uniform ``u``, by inversion (``mean`` up to a few hundred)."""
    p = _exp(-mean)
    cdf = p
    k = 0
    # The sums reach 1 within far less than the gap between the largest
    # uniform and 1 (2^-33), so the search ends; the cap is a guard only.
    while u > cdf and k < MAX_POISSON:
        k += 1
        p *= mean / k
        cdf += p
    return k


@nb.njit(cache=True, error_model="numpy")
def _triggered(tg, th, rep, k0, k1, n_br, tau, loc, nl, tw):  # type: ignore[no-untyped-def]
    """Step 2: Hawkes offspring, generation after generation (cluster construction).

    Every attack has Poisson(n) children after Exp(tau) delays; a share
    ``spillover`` of them goes to a random adjacent district. They are drawn
    a generation at a time and, within it, district by district, in chunks of
    at most ``CHUNK`` parents: a chunk of ``m`` parents has Poisson(n m)
    children in all, each with a parent drawn uniformly from the chunk. That
    is the same law (independent Poisson counts, given their sum, are
    multinomial with equal shares), and it costs nothing per parent: no
    branch on a parent's random count, which a processor mispredicts.

    Generation ``g`` of district ``d`` reads ``d``'s offspring stream: chunk
    ``c``'s count from lane 0 of block ``(c, sub 2g)``, and child ``j``
    (counted over the generation's chunks) from block ``(j, sub 2g + 1)``:
    its parent, delay, whether it spills over, and to which neighbour.
    Without spillover a district's attacks thus depend on its own
    parameters only, which keeps comparisons between variants on common
    random numbers. The children's blocks of a whole generation are drawn in
    one vectorised loop.

    The background attacks in ``loc[:nl]`` come grouped by district, in
    ascending order; each generation is appended grouped the same way (a
    stable counting sort). ``tw`` is scratch: the children's blocks, times,
    districts, streams and block numbers, the chunks (first parent, size,
    district, children), and a count per district; returned grown if short.
    ``tg`` is what this reads of the scenario's arrays (see
    :func:`riskmc.hazard.kernel._phase_arrays`).
    """
    (horizon, n_d, nb_ptr, nb_idx, s_offspring) = tg
    spill = th[G_SPILL]
    blk, ct, cd, cs, cb, chunks, per_d = tw
    # The current generation: loc[lo:hi], per_d[d] of it in district d.
    for d in range(n_d + 1):
        per_d[d] = 0
    for q in range(nl):
        per_d[np.uint64(int(loc[q, 1]))] += 1
    lo = 0
    hi = nl
    gen = 0
    while hi > lo:
        # The chunks' numbers of children, and each child's stream and block.
        n_chunks = 0
        total = _plain(0)
        pos = lo  # first parent of district d
        for d in range(n_d):
            n_par = per_d[d]
            stream = s_offspring[d]
            done = 0  # children of this generation and district so far
            for c in range((n_par + CHUNK - 1) // CHUNK):
                size = min(CHUNK, n_par - c * CHUNK)
                u, _, _, _ = uniform4(k0, k1, rep, stream, c, 2 * gen)
                n_ch = _poisson(u, n_br * size)
                chunks = _room(chunks, n_chunks)
                chunks[n_chunks, 0] = pos + c * CHUNK
                chunks[n_chunks, 1] = size
                chunks[n_chunks, 2] = d
                chunks[n_chunks, 3] = n_ch
                n_chunks += 1
                if cs.shape[0] < total + n_ch:
                    cs = _grow_to1(cs, total + n_ch)
                    cb = _grow_to1(cb, total + n_ch)
                for j in range(n_ch):
                    cs[total + j] = stream
                    cb[total + j] = np.uint64(done + j)
                total += n_ch
                done += n_ch
            pos += n_par
        if blk.shape[0] < 4 * total:
            blk = np.empty(8 * total, dtype=np.float64)
        if ct.shape[0] < total:
            ct = np.empty(2 * total, dtype=np.float64)
            cd = np.empty(2 * total, dtype=np.int64)
        fill_offspring(blk, k0, k1, rep, cs, cb, total, 2 * gen + 1, tau)
        m = 0  # children kept (before the horizon)
        o = 0
        for z in range(n_chunks):
            base = chunks[z, 0]
            size = chunks[z, 1]
            d = chunks[z, 2]
            first = nb_ptr[d]
            n_nb = nb_ptr[d + 1] - first
            spills = n_nb > 0
            for _ in range(chunks[z, 3]):
                parent = np.uint64(base + min(int(blk[o] * size), size - 1))
                tc = loc[parent, 0] + blk[o + 1]
                # The neighbour is read whether or not the child spills
                # (nb_idx ends with a spare entry for a district without
                # neighbours): selects, not branches, on the draws.
                hop = nb_idx[np.uint64(first + max(min(int(blk[o + 3] * n_nb), n_nb - 1), 0))]
                um = np.uint64(m)
                ct[um] = tc
                cd[um] = hop if (blk[o + 2] < spill) & spills else d
                m += int(tc < horizon)
                o += 4
        # The next generation, grouped by district in ascending order.
        if loc.shape[0] < hi + m:
            loc = _grow_to(loc, hi + m)
        for d in range(n_d + 1):
            per_d[d] = 0
        for j in range(m):
            per_d[np.uint64(cd[j] + 1)] += 1
        acc = hi
        for d in range(n_d):
            acc += per_d[d + 1]
            per_d[d + 1] = acc
        per_d[0] = hi
        for j in range(m):
            d = cd[j]
            ud = np.uint64(d)
            ur = np.uint64(per_d[ud])
            per_d[ud] = np.int64(ur + _U1)
            loc[ur, 0] = ct[j]
            loc[ur, 1] = d
            loc[ur, 2] = K_TRIGGERED
            loc[ur, 3] = -1
            loc[ur, 4] = -1
        # per_d[d] is now the end of d's rows: back to counts.
        prev = hi
        for d in range(n_d):
            end = per_d[d]
            per_d[d] = end - prev
            prev = end
        lo = hi
        hi += m
        gen += 1
    return loc, hi, (blk, ct, cd, cs, cb, chunks, per_d)


@nb.njit(cache=True, error_model="numpy")
def _history(hg, th, rep, k0, k1, n_br, tau, loc, nl):  # type: ignore[no-untyped-def]
    """Step 1b (a history given): the observed past replaces the simulated one.

    First the simulated attacks of the history's window (``hist_w`` to day
    0: the burn-in's, which stand for a past not observed) are dropped, so
    that they trigger nothing: the observed events take their place. Then
    each observed event ``i``, at ``hist_t[i] < 0`` in ``hist_d[i]``, gets
    its children after day 0: the children of an event at ``t`` come after
    Exp(tau) delays, so those after day 0 are Poisson(n exp(t / tau)) in
    number, each at an Exp(tau) time from day 0 (the exponential has no
    memory), and a share ``spillover`` of them lands in a random adjacent
    district. Its children before day 0 were observed (they are in the
    history), so they are not drawn. The children then trigger like any
    attack (:func:`_triggered`). Stream ``s_history``: event ``i``'s count
    from lane 0 of block ``(i, 0)``, its child ``j``'s delay, spill and
    neighbour from block ``(i, j + 1)``; no other stream is read, so the
    draws of a scenario without history are those of before.

    ``loc[:nl]`` comes grouped by district, ascending (the background) and
    leaves so, children included (a stable counting sort).
    """
    (horizon, n_d, nb_ptr, nb_idx, hist_t, hist_d, hist_w, s_hist) = hg
    spill = th[G_SPILL]
    kept = 0
    for q in range(nl):
        t = loc[q, 0]
        if t < hist_w or t >= 0.0:
            for c in range(5):
                loc[kept, c] = loc[q, c]
            kept += 1
    nl = kept
    for i in range(hist_t.shape[0]):
        u, _, _, _ = uniform4(k0, k1, rep, s_hist, i, 0)
        n_ch = _poisson(u, n_br * math.exp(hist_t[i] / tau))
        d = hist_d[i]
        first = nb_ptr[d]
        n_nb = nb_ptr[d + 1] - first
        for j in range(n_ch):
            u0, u1, u2, _ = uniform4(k0, k1, rep, s_hist, i, j + 1)
            t = -tau * math.log(u0)
            if t >= horizon:
                continue
            dd = d
            if n_nb > 0 and u1 < spill:
                dd = nb_idx[first + min(int(u2 * n_nb), n_nb - 1)]
            loc, nl = _attack(loc, nl, t, dd, K_TRIGGERED, -1, -1)
    # Group by district again, keeping the order within each.
    start = np.zeros(n_d + 1, dtype=np.int64)
    for q in range(nl):
        start[int(loc[q, 1]) + 1] += 1
    for d in range(n_d):
        start[d + 1] += start[d]
    out = np.empty((nl, 5), dtype=np.float64)
    for q in range(nl):
        d = int(loc[q, 1])
        w = start[d]
        start[d] = w + 1
        for c in range(5):
            out[w, c] = loc[q, c]
    for q in range(nl):
        for c in range(5):
            loc[q, c] = out[q, c]
    return loc, nl
