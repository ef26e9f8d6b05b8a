"""The compiled hazard kernels: arrays in, event tables out.

One call samples a contiguous block of replications. Each replication reads
only its own counter-based streams (:mod:`riskmc.hazard.rng`) and its own row
of ``theta``, so the result for replication ``r`` is the same whichever block
or thread computes it.

Per replication, in this order:

1. **Background attacks** per district, exact Poisson process by exponential
   gaps. ``negbin`` multiplies the rate by a Gamma(k, 1/k) draw; ``hawkes``
   uses ``attacks_per_year x (1 - n)`` and starts a burn-in of
   ``12 tau / (1 - n)`` days before day 0 so the process is stationary from
   day 0 (the bias left is below ``exp(-12)``). With a history
   (``hazard.history``), the observed events replace the simulated past of
   the history's window and their children after day 0 are drawn
   (:func:`_history`).
2. **Triggered attacks** (``hawkes``), by the cluster construction: every
   attack has Poisson(n) children after Exp(tau) delays; a share
   ``spillover`` goes to a random adjacent district. Drawn a generation at a
   time: a chunk of m parents of one district has Poisson(n m) children,
   each with a parent drawn uniformly from the chunk (the same law).
3. **Campaigns**: Poisson arrivals; each joining district gets a Poisson
   burst of attacks spread uniformly over the campaign, maybe a blackout from
   its start, and seizures close every segment touching the place held.
   Campaign attacks do not trigger further attacks.
4. **Stress attacks** are added, and those of the burn-in are dropped (their
   consequences too).
5. **Consequences of each attack**, in the order the attacks were made, from
   three uniforms of its district's mark stream: its target; for road and
   rail targets, whether it closes one segment of that mode through the
   district (the mode's probability); whether it blacks out the district.
   Only an attack that closes or blacks out draws one more block of the
   stream, for the durations and the segment, which thus do not depend on
   the closure probability: a variant with another probability closes the
   same segment wherever the attack closes one in both. The target uniform,
   rescaled within the drawn class, is kept as the attack's ``mark``, a
   uniform for per-attack amounts (damage) downstream, and the attack's
   ordinal in its stream as ``seq``, from which its deaths and suspension
   uniforms are drawn (:mod:`riskmc.hazard.attack_severity`: right away for
   the attacks of watched districts, the ``watched`` table; for the others
   when the attack table is read). Attacks
   are then sorted by time (a counting sort on half days, then insertion).
6. **Protests** on each road segment and **province-wide blackout orders**,
   Poisson in time; **stress** closures and blackouts.
7. Pieces end at the horizon at the latest; overlapping pieces of one segment
   (or district) merge into one row whose cause is that of the first piece.
   Spans are ordered by segment (or district), then start.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from riskmc.hazard.attack_severity import (
    ATTACK_FIELDS,
    watched_deaths,
    watched_replication,
    watched_scratch,
)
from riskmc.hazard.rng import (
    LOGNORMAL,
    _exp,
    exponentials,
    fill_blocks,
    fill_offspring,
    fill_uniforms,
    gamma_draw,
    lognormals,
    ndtri_fast,
    next_uniform,
    sample_dist,
    seq_start,
    uniform4,
)

# theta columns of the scalar parameters (riskmc.hazard.inputs.SCALARS).
G_MULT, G_DISP, G_N, G_DECAY, G_SPILL = 0, 1, 2, 3, 4
G_CRATE, G_CATT, G_CBLK = 5, 6, 7
G_PROAD, G_PRAIL, G_PROT, G_PBLK, G_PROV = 8, 9, 10, 11, 12
# event_dists rows (riskmc.hazard.inputs.EVENT_DISTS), then one per seizure.
E_ROAD, E_RAIL, E_PROT, E_BLK, E_PROV, E_CDUR, E_CBLK, E_SEIZE0 = 0, 1, 2, 3, 4, 5, 6, 7
# Codes of processes, targets, causes and kinds.
POISSON, NEGBIN, HAWKES = 0, 1, 2
ROAD, RAIL, SITE, OTHER = 0, 1, 2, 3
C_ATTACK, C_SEIZURE, C_PROTEST, C_CAMPAIGN, C_PROVINCE, C_STRESS = 0, 1, 2, 3, 4, 5
K_BACKGROUND, K_TRIGGERED, K_CAMPAIGN, K_STRESS = 0, 1, 2, 3

YEAR = 365.25
BURN_IN_DECAYS = 12.0
# Sub-counters of a mark stream: attack j's block (j, SUB_SPAN) holds its
# closure duration, segment and blackout duration uniforms; rejection sampling
# of those durations uses blocks (j, SUB_CLOSE ...) and (j, SUB_BLACKOUT ...).
# All apart from the sequential blocks (sub 0) of the same stream.
SUB_SPAN, SUB_CLOSE, SUB_BLACKOUT = 1, 2, 1 << 21
# Sub-counter for rejection sampling of a protest's or an order's duration.
SUB_EVENT = 1
# Buckets a day in the counting sort of attacks by time: finer buckets leave
# fewer attacks out of order for the insertion pass after it.
SORT_PER_DAY = 2
# Buckets a piece in the counting sort of closure and blackout pieces.
SPAN_BUCKETS = 2
# Unsigned constants for index arithmetic. Hot loops index arrays with
# unsigned integers where LLVM cannot prove an index non-negative: one read
# back from data (a sorted order, a district, a stream ordinal) or a counter
# that grows by 0 or 1. A signed index makes Numba test it for a negative
# value (Python's wraparound) at every access, and the tests added up to a
# tenth of the consequences step. uint64 and int64 are not mixed in one
# expression: Numba would compute it in floating point.
_U1, _U2, _U3, _U4, _U5 = (np.uint64(k) for k in range(1, 6))
_U32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
# Most Hawkes parents drawn together: a chunk of them has Poisson(n x CHUNK)
# children in all, a mean small enough for exp(-mean) to be a normal double
# and the inversion's search short.
CHUNK = 256
# A cap of the Poisson search, never reached in practice (the mean is below CHUNK).
MAX_POISSON = 1 << 16

# Output tables: packed records, one per event. Compact on purpose: an event
# table is written once and read once, so its bytes are its cost.
ATTACK_DTYPE = np.dtype(
    [
        *ATTACK_FIELDS,
        # the attack's ordinal in its mark row: its deaths and suspension uniforms are
        # drawn from it when needed (riskmc.hazard.attack_severity)
        ("seq", "<i4"),
    ]
)
SPAN_DTYPE = np.dtype(
    [("replication", "<i4"), ("key", "<i2"), ("start", "<f8"), ("end", "<f8"), ("cause", "i1")]
)
CAMPAIGN_DTYPE = np.dtype(
    [("replication", "<i4"), ("campaign", "<i4"), ("start", "<f8"), ("end", "<f8")]
)
# A district joining a campaign; the uniforms are -1 (not drawn) unless the district is
# watched (holds the site of a project with suspensions).
JOIN_DTYPE = np.dtype(
    [
        ("replication", "<i4"),
        ("campaign", "<i4"),
        ("district", "<i2"),
        ("day", "<f8"),
        ("u_suspend", "<f8"),
        ("u_days", "<f8"),
    ]
)
REGIME_DTYPE = np.dtype(
    [("replication", "<i4"), ("state", "<i2"), ("start", "<f8"), ("end", "<f8")]
)


# The growing of scratch and output arrays. The copies go element by element:
# an array assigned to a slice makes Numba compile the message of a shape
# mismatch at every place it is inlined, seconds of a cold start. The rare
# growing itself is a call, so that the hot loops inline only the test.


@nb.njit(cache=True, error_model="numpy")
def _grow_to(a: np.ndarray, n: int) -> np.ndarray:
    """A copy of ``a`` (2-D) with room for at least ``n`` rows (twice as many)."""
    b = np.empty((max(2 * n, 2 * a.shape[0]), a.shape[1]), dtype=a.dtype)
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            b[i, j] = a[i, j]
    return b


@nb.njit(cache=True, error_model="numpy")
def _grow_to1(a: np.ndarray, n: int) -> np.ndarray:
    """A copy of ``a`` (1-D, records too) with room for at least ``n`` (twice as many)."""
    b = np.empty(max(2 * n, 2 * a.shape[0]), dtype=a.dtype)
    for i in range(a.shape[0]):
        b[i] = a[i]
    return b


@nb.njit(cache=True, error_model="numpy", inline="always")
def _room(a: np.ndarray, n: int) -> np.ndarray:
    """``a`` itself if row ``n`` fits, else a copy with twice the rows (2-D)."""
    if n < a.shape[0]:
        return a
    return _grow_to(a, a.shape[0])


@nb.njit(cache=True, error_model="numpy", inline="always")
def _room1(a: np.ndarray, n: int) -> np.ndarray:
    """``a`` itself if element ``n`` fits, else a copy twice as long (1-D)."""
    if n < a.shape[0]:
        return a
    return _grow_to1(a, a.shape[0])


@nb.njit(cache=True, error_model="numpy", inline="always")
def _plain(x: int) -> int:
    """``x`` as a plain int64, never an integer literal.

    Numba compiles a callee once more for every integer literal passed to
    it, even the first value of a counter that a loop later widens to int64;
    each extra version cost a second or more of a cold start. Counters that
    are passed on start from ``_plain(0)``.
    """
    return int(np.int64(x))


@nb.njit(cache=True, error_model="numpy", inline="always")
def _event_draw(
    ed: np.ndarray,
    row: int,
    u: float,
    k0: np.uint64,
    k1: np.uint64,
    rep: np.uint64,
    stream: np.uint64,
    index: int,
    sub: int,
) -> float:
    code = int(ed[row, 0])
    if code == LOGNORMAL:  # the common case, inline: no call
        return float(ed[row, 1]) * math.exp(ed[row, 2] * ndtri_fast(u))
    # _plain: sample_dist is compiled once, not once per constant a caller passes.
    return sample_dist(
        code,
        ed[row, 1],
        ed[row, 2],
        ed[row, 3],
        ed[row, 4],
        u,
        k0,
        k1,
        rep,
        stream,
        _plain(index),
        _plain(sub),
    )


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
def _grow1(a: np.ndarray, n: int) -> np.ndarray:
    """``a`` itself if ``n`` elements fit, else a copy with room for ``2 n`` (1-D)."""
    if n <= a.shape[0]:
        return a
    return _grow_to1(a, n)


@nb.njit(cache=True, error_model="numpy")
def _order_spans(loc, n, horizon, counts, bucket, order):  # type: ignore[no-untyped-def]
    """Order of pieces ``loc[:n]`` by key, then start; ties keep the order made.

    One stable counting sort into buckets of (key, slice of the horizon),
    about half a piece a bucket (``SPAN_BUCKETS`` a piece), then one
    insertion pass for the pieces that share a bucket. Linear in the
    pieces, where a comparison sort was the costliest step of a replication;
    buckets of whole days cost a pass over the days, more than the pieces.
    The order is left in ``order[:n]``; ``counts`` is returned, grown if it
    was short.
    """
    max_key = 0
    for q in range(n):
        max_key = max(max_key, int(loc[q, 0]))
    per_key = max(1, SPAN_BUCKETS * n // (max_key + 1))
    n_b = (max_key + 1) * per_key
    if counts.shape[0] < n_b + 1:
        counts = np.empty(2 * (n_b + 1), dtype=np.int64)
    counts[: n_b + 1] = 0
    scale = per_key / horizon
    for q in range(n):
        b = int(loc[q, 0]) * per_key + min(max(int(loc[q, 1] * scale), 0), per_key - 1)
        bucket[q] = b
        counts[np.uint64(b + 1)] += 1
    # Exclusive running sum, kept in a register (see _consequences).
    acc = 0
    for b in range(n_b):
        c = counts[b + 1]
        counts[b] = acc
        acc += c
    for q in range(n):
        ub = np.uint64(bucket[q])
        k = counts[ub]
        order[np.uint64(k)] = q
        counts[ub] = k + 1
    # Buckets ascend by key, then start: a piece moves back only past
    # pieces of its own key that start later.
    # The last piece placed, the greatest so far, kept in registers: most
    # pieces come after it, and are then placed without a gather.
    k_max = loc[order[0], 0]
    s_max = loc[order[0], 1]
    for i in range(1, n):
        x = order[i]
        ux = np.uint64(x)
        kx = loc[ux, 0]
        sx = loc[ux, 1]
        if not ((k_max == kx) & (s_max > sx)):
            k_max = kx
            s_max = sx
            continue
        j = i - 1
        while j >= 0:
            uy = np.uint64(order[np.uint64(j)])
            if not ((loc[uy, 0] == kx) & (loc[uy, 1] > sx)):
                break
            order[np.uint64(j + 1)] = np.int64(uy)
            j -= 1
        order[np.uint64(j + 1)] = x
    return counts


@nb.njit(cache=True, error_model="numpy")
def _merge_spans(  # type: ignore[no-untyped-def]
    loc, n, rep, horizon, keep_pieces, pieces, n_p, merged, n_m, scratch
):
    """Append a replication's pieces (key, start, end, cause) and their merge.

    Both are ordered by key, then start. Pieces of one key that overlap or
    touch merge into one span with the cause of its first piece. ``scratch``
    is (bucket counts, two index arrays), grown here if short.
    """
    counts, bucket, order = scratch
    if n == 0:
        return pieces, n_p, merged, n_m, scratch
    bucket = _grow1(bucket, n)
    order = _grow1(order, n)
    counts = _order_spans(loc, n, horizon, counts, bucket, order)
    if keep_pieces:
        pieces = _grow1(pieces, n_p + n)
        for i in range(n):
            uq = np.uint64(order[i])
            rec = pieces[n_p + i]
            rec.replication = rep
            rec.key = int(loc[uq, 0])
            rec.start = loc[uq, 1]
            rec.end = loc[uq, 2]
            rec.cause = int(loc[uq, 3])
        n_p += n
    merged = _grow1(merged, n_m + n)
    open_key = -1.0
    open_end = 0.0
    for i in range(n):
        uq = np.uint64(order[i])
        key = loc[uq, 0]
        start = loc[uq, 1]
        end = loc[uq, 2]
        if open_key == key and start <= open_end:
            if end > open_end:
                open_end = end
                merged[np.uint64(n_m - 1)].end = open_end
            continue
        rec = merged[np.uint64(n_m)]
        rec.replication = rep
        rec.key = int(key)
        rec.start = start
        rec.end = end
        rec.cause = int(loc[uq, 3])
        open_key = key
        open_end = end
        n_m += 1
    return pieces, n_p, merged, n_m, (counts, bucket, order)


@nb.njit(cache=True, error_model="numpy", inline="always")
def _span(
    loc: np.ndarray, n: int, key: int, start: float, end: float, cause: int, horizon: float
) -> tuple[np.ndarray, int]:
    if start >= horizon or end <= start:
        return loc, n
    loc = _room(loc, n)
    loc[n, 0] = key
    loc[n, 1] = start
    loc[n, 2] = min(end, horizon)
    loc[n, 3] = cause
    return loc, n + 1


@nb.njit(cache=True, error_model="numpy", inline="always")
def _attack(
    loc: np.ndarray, n: int, t: float, d: int, kind: int, camp: int, target: int
) -> tuple[np.ndarray, int]:
    loc = _room(loc, n)
    loc[n, 0] = t
    loc[n, 1] = d
    loc[n, 2] = kind
    loc[n, 3] = camp
    loc[n, 4] = target
    return loc, n + 1


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
    arrays (:func:`sample_block` says why not all of them).
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
    ``tg`` is what this reads of the scenario's arrays (see :func:`sample_block`).
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


@nb.njit(cache=True, error_model="numpy")
def _campaigns(  # type: ignore[no-untyped-def]
    cg, th, r, rep, k0, k1, loc, nl, lc, nlc, lb, nlb, camps, n_camp, joins, n_join, reg
):
    """Step 3: campaigns, their bursts of attacks, blackouts and seizures.

    Under regimes the arrivals run on the regimes' operational clock
    (:func:`_clock`). Each district that joins is a row of ``joins``; a
    watched one reads block ``c`` of its join-suspension stream for its two
    suspension uniforms. ``cg`` is what this reads of the scenario's arrays
    (see :func:`sample_block`).
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


@nb.njit(cache=True, error_model="numpy")
def _consequences(  # type: ignore[no-untyped-def]
    ca, th, rep, k0, k1, r, loc, nl, work, lc, nlc, lb, nlb, out, n_out
):
    """Step 5: target, closure and blackout of every attack in [0, horizon).

    Each attack draws from a mark stream: its district's (``row = d``), its
    district's campaign stream (``n_d + d``) or the stress stream (``2 n_d``).
    Attack ``j`` (in order of creation) of a stream reads uniforms
    ``3j .. 3j + 2`` of it: target, whether it closes a segment, whether it
    blacks out its district; they are drawn in bulk, stream by stream,
    first. Only an attack that closes a segment or blacks out reads more:
    block ``(j, SUB_SPAN)`` of the stream, for the closure's duration, its
    segment, and the blackout's duration (:func:`_attack_spans`). The segment
    thus does not depend on the closure probability, so variants with other
    probabilities close the same segment wherever both close one. The
    attacks of the burn-in have no consequences.

    The attacks are appended to ``out`` in order of time: a counting sort on
    half days (``SORT_PER_DAY``; the burn-in's go to a last bucket, dropped),
    then one insertion pass for the few that share a bucket (the sort moves
    indices only: times are read from ``loc``, and the latest so far kept in
    a register); their targets and marks are then drawn in that order and
    written with them. Road closures, rail
    closures and blackouts are first listed without a branch on the random
    target or the coin flips, which a processor mispredicts, then their
    durations drawn list by list (:func:`_attack_spans`). A list holds the
    attack alone: its uniforms and stream are found again from it, fewer
    stores in the loop over every attack than writing them all. Pieces of
    one key that start at the same time keep the order of their attacks'
    creation (the sorts are stable, and a segment is of one mode), which is
    all the merge looks at.

    ``work`` is the scratch of :func:`_consequence_work`, grown here if short.
    ``ca`` is what this reads of the scenario's arrays (:func:`sample_block`):
    horizon, districts, mark streams, watched districts, event distributions.
    """
    horizon, n_d, s_marks, watch, ed = ca
    p_road = th[G_PROAD]
    p_rail = th[G_PRAIL]
    p_blk = th[G_PBLK]
    (bounds, p_close, seg_first, seg_count, seg_idx, cnt, off) = work[:7]
    (counts, mk, code, perm, pend, dur, sb, wl) = work[7:]
    if code.shape[0] < nl:
        code = np.empty(2 * nl, dtype=np.int64)
        perm = np.empty(2 * nl, dtype=np.int64)
        pend = np.empty(6 * nl, dtype=np.int64)
        dur = np.empty(2 * nl, dtype=np.float64)
        wl = np.empty(2 * nl, dtype=np.int64)
        sb = (
            np.empty(8 * nl, dtype=np.float64),
            np.empty(2 * nl, dtype=np.uint64),
            np.empty(2 * nl, dtype=np.uint64),
        )
    # Each attack's stream row and ordinal in it (in order of creation), and
    # the attacks per bucket (half a day).
    n_bkt = int(horizon * SORT_PER_DAY) + 1  # counts has room for n_bkt + 1
    counts[: n_bkt + 1] = 0
    cnt[:] = 0
    for q in range(nl):
        uq = np.uint64(q)
        t = loc[uq, 0]
        if t < 0.0:
            code[uq] = -1
            counts[n_bkt] += 1
            continue
        kind = int(loc[uq, 2])
        d = int(loc[uq, 1])
        ur = np.uint64(n_d + d if kind == K_CAMPAIGN else 2 * n_d if kind == K_STRESS else d)
        uj = np.uint64(cnt[ur])
        code[uq] = np.int64(ur + (uj << _U32))
        cnt[ur] = np.int64(uj + _U1)
        counts[np.uint64(min(int(t * SORT_PER_DAY), n_bkt - 1))] += 1
    # mk: each row's three uniforms an attack
    n_rows = 2 * n_d + 1
    total = 0
    for row in range(n_rows):
        off[row] = total
        total += 4 * ((3 * cnt[row] + 3) // 4)
    if mk.shape[0] < total:
        mk = np.empty(2 * total, dtype=np.float64)
    for row in range(n_rows):
        if cnt[row] > 0:
            n_blk = (3 * cnt[row] + 3) // 4
            fill_uniforms(mk[off[row] :], k0, k1, rep, s_marks[row], _plain(0), n_blk)
    # Exclusive running sum, kept in a register: summing in place would wait
    # on the store of the previous bucket at every bucket.
    acc = 0
    for b in range(n_bkt + 1):
        c = counts[b]
        counts[b] = acc
        acc += c
    n = counts[n_bkt]
    for q in range(nl):
        uq = np.uint64(q)
        t = loc[uq, 0]
        ub = np.uint64(min(int(t * SORT_PER_DAY), n_bkt - 1) if code[uq] >= 0 else n_bkt)
        k = counts[ub]
        perm[np.uint64(k)] = q
        counts[ub] = k + 1
    # The latest time so far kept in a register: most attacks come after it.
    t_max = loc[perm[0], 0] if n > 0 else 0.0
    for i in range(1, n):
        x = perm[np.uint64(i)]
        tx = loc[np.uint64(x), 0]
        if t_max <= tx:
            t_max = tx
            continue
        j = i - 1
        while j >= 0 and loc[np.uint64(perm[np.uint64(j)]), 0] > tx:
            perm[np.uint64(j + 1)] = perm[np.uint64(j)]
            j -= 1
        perm[np.uint64(j + 1)] = x
    # Room made here: an array variable that may be rebound inside a loop
    # costs a reference count at every pass (the loop's phi nodes).
    out = _grow1(out, n_out + n)
    # Three lists in pend, a third of it each: road closures, rail closures,
    # blackouts.
    third = pend.shape[0] // 3
    n_r = _plain(0)
    n_l = _plain(0)
    n_b = _plain(0)
    n_w = _plain(0)
    # The closure probability by district and target: the mode's where the
    # district has segments of that mode, else -1 (never met by a uniform;
    # targets 2 and 3 hold -1 from _consequence_work).
    for d in range(n_d):
        p_close[4 * d] = p_road if seg_count[d, 0] > 0 else -1.0
        p_close[4 * d + 1] = p_rail if seg_count[d, 1] > 0 else -1.0
    for i in range(n):
        uq = np.uint64(perm[np.uint64(i)])
        c = np.uint64(code[uq])
        ud = np.uint64(int(loc[uq, 1]))
        base = np.uint64(off[c & _LOW32]) + _U3 * (c >> _U32)
        tu = mk[base]
        cu = mk[base + _U1]
        bu = mk[base + _U2]
        fixed = int(loc[uq, 4])
        # Shares ascend: the target is the count of thresholds passed.
        b0 = _U5 * ud
        drawn = (
            np.uint64(tu >= bounds[b0 + _U1])
            + np.uint64(tu >= bounds[b0 + _U2])
            + np.uint64(tu >= bounds[b0 + _U3])
        )
        lo = bounds[b0 + drawn]
        hi = bounds[b0 + drawn + _U1]
        m = (tu - lo) / (hi - lo) if hi > lo else tu
        target = fixed if fixed >= 0 else np.int64(drawn)
        rec = out[np.uint64(n_out + i)]
        rec.replication = r
        rec.day = loc[uq, 0]
        rec.district = int(ud)
        rec.target = target
        rec.campaign = int(loc[uq, 3])
        rec.kind = int(loc[uq, 2])
        rec.mark = tu if fixed >= 0 else m
        rec.seq = int(c >> _U32)
        # Road (0) or rail (1): a closure of one of the mode's segments
        # through the district, with the mode's probability. "&", not "and":
        # a short-circuit is a branch, mispredicted.
        closes = cu < p_close[_U4 * ud + np.uint64(target)]
        # The attack only: the rest is found again from it.
        pend[np.uint64(n_r)] = np.int64(uq)
        n_r += int(closes & (target == ROAD))
        pend[np.uint64(third + n_l)] = np.int64(uq)
        n_l += int(closes & (target == RAIL))
        pend[np.uint64(2 * third + n_b)] = np.int64(uq)
        n_b += int(bu < p_blk)
        # The attacks of watched districts, listed the same way: their deaths and
        # suspension uniforms are drawn after the loop (sample_block), and a
        # separate pass to find them cost more than this.
        wl[np.uint64(n_w)] = i
        n_w += int(watch[ud])
    n_out += n
    if lc.shape[0] < nlc + n_r + n_l:
        lc = _grow_to(lc, nlc + n_r + n_l)
    if lb.shape[0] < nlb + n_b:
        lb = _grow_to(lb, nlb + n_b)
    # The scratch as grown above, for _attack_spans and the next replication.
    work = (
        bounds,
        p_close,
        seg_first,
        seg_count,
        seg_idx,
        cnt,
        off,
        counts,
        mk,
        code,
        perm,
        pend,
        dur,
        sb,
        wl,
    )
    road, rail, blackout = _plain(ROAD), _plain(RAIL), _plain(-1)
    sp = (horizon, ed, s_marks)
    nlc = _attack_spans(sp, rep, k0, k1, pend, _plain(0), n_r, road, loc, work, lc, nlc)
    nlc = _attack_spans(sp, rep, k0, k1, pend, third, n_l, rail, loc, work, lc, nlc)
    nlb = _attack_spans(sp, rep, k0, k1, pend, 2 * third, n_b, blackout, loc, work, lb, nlb)
    return lc, nlc, lb, nlb, out, n_out, work, n_w


@nb.njit(cache=True, error_model="numpy")
def _attack_spans(sp, rep, k0, k1, pend, first, n, mode, loc, work, spans, n_s):  # type: ignore[no-untyped-def]
    """Append the spans of the attacks listed in ``pend[first : first + n]``.

    Closures of ``mode`` (road or rail: one segment of that mode through the
    district), or blackouts of the district when ``mode`` is negative. Each
    attack's block ``(j, SUB_SPAN)`` of its mark stream is drawn for the whole
    list in one vectorised loop; the durations (closure: lane 0, blackout:
    lane 2) are then drawn from it, lognormal ones in one vectorised pass,
    and a closure's segment from lane 1. ``spans`` has room for them; the new
    count is returned. ``sp`` is the scenario's horizon, event distributions and
    mark streams: what this reads of its arrays, passed alone because Numba
    passes a tuple member by member, and this runs three times a replication.
    """
    horizon, ed, s_marks = sp
    _, _, seg_first, seg_count, seg_idx, _, _, _, _, code, _, _, dur, sb, _ = work
    ub, streams, blocks = sb
    e_row = E_BLK if mode < 0 else E_ROAD if mode == ROAD else E_RAIL
    lane = 2 if mode < 0 else 0
    sub = SUB_BLACKOUT if mode < 0 else SUB_CLOSE
    dist = int(ed[e_row, 0])
    p0, p1, p2, p3 = ed[e_row, 1], ed[e_row, 2], ed[e_row, 3], ed[e_row, 4]
    for i in range(n):
        c = np.uint64(code[np.uint64(pend[first + i])])
        streams[i] = s_marks[c & _LOW32]
        blocks[i] = c >> _U32
    fill_blocks(ub, k0, k1, rep, streams, blocks, n, SUB_SPAN)
    for i in range(n):
        dur[i] = ub[4 * i + lane]
    if dist == LOGNORMAL:
        lognormals(dur, _plain(0), n, p0, p1)
    else:
        for i in range(n):
            dur[i] = sample_dist(
                dist, p0, p1, p2, p3, dur[i], k0, k1, rep, streams[i], int(np.int64(blocks[i])), sub
            )
    for i in range(n):
        uq = np.uint64(pend[first + i])
        t = loc[uq, 0]
        d = int(loc[uq, 1])
        key = d
        if mode >= 0:
            ud = np.uint64(d)
            n_seg = seg_count[ud, mode]
            pick = np.uint64(max(min(int(ub[4 * i + 1] * n_seg), n_seg - 1), 0))
            key = seg_idx[np.uint64(seg_first[ud, mode]) + pick]
        end = min(t + dur[i], horizon)
        if t < horizon and end > t:
            un = np.uint64(n_s)
            spans[un, 0] = key
            spans[un, 1] = t
            spans[un, 2] = end
            spans[un, 3] = C_ATTACK
            n_s += 1
    return n_s


@nb.njit(cache=True, error_model="numpy")
def _consequence_work(a, cap):  # type: ignore[no-untyped-def]
    """Per-district tables and scratch for :func:`_consequences`, made once per call.

    ``bounds[5 d : 5 d + 5]`` is ``(0, c0, c1, c2, 1)`` from district ``d``'s
    cumulative target shares, so that target ``k``'s share is
    ``[bounds[5 d + k], bounds[5 d + k + 1])``; ``p_close[4 d + k]`` is room
    for the closure probability of an attack on target ``k`` in ``d``;
    ``seg_first[d, m]`` and ``seg_count[d, m]`` index the segments of mode
    ``m`` (road 0, rail 1) through ``d`` in ``seg_idx``, which ends with a
    spare 0 so that a draw with no segment reads a valid index.
    """
    # Element by element: an array assigned to a slice makes Numba compile its
    # shape-mismatch error message, about 4 s of a cold start.
    n_d = a.n_districts
    bounds = np.zeros(5 * max(n_d, 1), dtype=np.float64)
    n_road = a.road_idx.shape[0]
    n_rail = a.rail_idx.shape[0]
    seg_idx = np.zeros(n_road + n_rail + 1, dtype=np.int64)
    for i in range(n_road):
        seg_idx[i] = a.road_idx[i]
    for i in range(n_rail):
        seg_idx[n_road + i] = a.rail_idx[i]
    seg_first = np.zeros((max(n_d, 1), 2), dtype=np.int64)
    seg_count = np.zeros((max(n_d, 1), 2), dtype=np.int64)
    for d in range(n_d):
        for k in range(4):
            bounds[5 * d + 1 + k] = a.targets_cum[d, k]
        seg_first[d, 0] = a.road_ptr[d]
        seg_count[d, 0] = a.road_ptr[d + 1] - a.road_ptr[d]
        seg_first[d, 1] = n_road + a.rail_ptr[d]
        seg_count[d, 1] = a.rail_ptr[d + 1] - a.rail_ptr[d]
    n_rows = 2 * n_d + 1
    return (
        bounds,
        np.full(4 * max(n_d, 1), -1.0),  # closure probability by target: -1 for site, other
        seg_first,
        seg_count,
        seg_idx,
        np.zeros(n_rows, dtype=np.int64),  # attacks per mark stream
        np.zeros(n_rows, dtype=np.int64),  # their first uniform in mk
        np.empty(int(a.horizon * SORT_PER_DAY) + 2, dtype=np.int64),  # attacks per bucket
        np.empty(3 * cap + 4 * n_rows, dtype=np.float64),  # mk: the mark streams' uniforms
        np.empty(cap, dtype=np.int64),  # row and ordinal of each attack
        np.empty(cap, dtype=np.int64),  # attacks in order of time
        np.empty(3 * cap, dtype=np.int64),  # road closures, rail closures, blackouts
        np.empty(cap, dtype=np.float64),  # their durations
        (  # their blocks (j, SUB_SPAN): uniforms, streams, block numbers
            np.empty(4 * cap, dtype=np.float64),
            np.empty(cap, dtype=np.uint64),
            np.empty(cap, dtype=np.uint64),
        ),
        np.empty(cap, dtype=np.int64),  # attacks of watched districts
    )


@nb.njit(cache=True, error_model="numpy")
def _protests_orders_stress(po, th, rep, k0, k1, lc, nlc, lb, nlb, useq, pairs, st):  # type: ignore[no-untyped-def]
    """Step 6: protests, province-wide blackout orders, stress closures and blackouts.

    Protests on a segment, and province-wide orders, read their stream in
    order: a gap and a duration uniform per event. ``useq`` and ``pairs``
    are scratch of the same length. ``po`` is what this reads of the scenario's
    arrays (see :func:`sample_block`).
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
                # No array rebound in the inner loop (see _background).
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
    # What each phase reads of ``a``, alone, for the phases a replication calls:
    # Numba passes a tuple member by member, so every array of ``a`` (about 30)
    # cost at every call, whether the phase read it or not.
    ca = (horizon, n_d, a.s_marks, a.watch, a.event_dists)
    bg = (horizon, n_d, a.process, a.col_rate, a.s_negbin, a.s_attack)
    tg = (horizon, n_d, a.nb_ptr, a.nb_idx, a.s_offspring)
    hg = (horizon, n_d, a.nb_ptr, a.nb_idx, a.hist_t, a.hist_d, a.hist_w, a.s_history)
    with_history = a.hist_t.shape[0] > 0
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
