"""Step 5 of the hazard kernel: the target, closure and blackout of every attack.

Attacks are sorted by time (a counting sort on half days, then insertion),
their targets and marks drawn from their mark streams and written to the
attack table, and the closures and blackouts they cause listed, then given
durations and segments list by list (:func:`_attack_spans`).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from riskmc.hazard.phases.common import (
    _LOW32,
    _U1,
    _U2,
    _U3,
    _U4,
    _U5,
    _U32,
    C_ATTACK,
    E_BLK,
    E_RAIL,
    E_ROAD,
    G_PBLK,
    G_PRAIL,
    G_PROAD,
    K_CAMPAIGN,
    K_STRESS,
    RAIL,
    ROAD,
    SORT_PER_DAY,
    SUB_BLACKOUT,
    SUB_CLOSE,
    SUB_SPAN,
    _grow1,
    _grow_to,
    _plain,
)
from riskmc.hazard.rng import LOGNORMAL, fill_blocks, fill_uniforms, lognormals, sample_dist


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
    ``ca`` is what this reads of the scenario's arrays
    (:func:`riskmc.hazard.kernel._phase_arrays`): horizon, districts, mark
    streams, watched districts, event distributions.
    """
    horizon, n_d, s_marks, watch, ed = ca
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
    n = _sort_by_time(loc, nl, n_bkt, code, counts, perm)
    # Room made here: an array variable that may be rebound inside a loop
    # costs a reference count at every pass (the loop's phi nodes).
    out = _grow1(out, n_out + n)
    # Three lists in pend, a third of it each: road closures, rail closures,
    # blackouts.
    third = pend.shape[0] // 3
    dt = (n_d, bounds, p_close, seg_count, watch)
    n_r, n_l, n_b, n_w = _list_attacks(
        th, r, loc, n, perm, (code, off, mk), dt, out, n_out, pend, wl
    )
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


@nb.njit(cache=True, error_model="numpy", inline="always")
def _sort_by_time(loc, nl, n_bkt, code, counts, perm):  # type: ignore[no-untyped-def]
    """Attacks of [0, horizon) in order of time into ``perm``; their number returned.

    A stable counting sort on the buckets counted by :func:`_consequences`
    in ``counts`` (the burn-in's last, past the count returned; ``code[q]``
    is negative for those), then one insertion pass
    for the few that share a bucket. Only indices move: times are read from
    ``loc``, and the latest so far kept in a register.
    """
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
    return n


@nb.njit(cache=True, error_model="numpy", inline="always")
def _list_attacks(th, r, loc, n, perm, marks, dt, out, n_out, pend, wl):  # type: ignore[no-untyped-def]
    """Write attacks ``perm[:n]`` to ``out`` from row ``n_out``, and list their spans.

    Each attack's target and mark come from its three uniforms in ``mk``.
    Road closures, rail closures and blackouts are listed in the thirds of
    ``pend``, the attacks of watched districts (their rows of ``out``, less
    ``n_out``) in ``wl``, all without a branch on a draw; the four counts are
    returned. ``marks`` is ``(code, off, mk)``: each attack's mark row and
    ordinal in it, packed; where each row starts in ``mk``; the rows'
    uniforms. ``dt`` is ``(n_d, bounds, p_close, seg_count, watch)``: the
    district tables of :func:`_consequence_work` (``p_close`` set here).
    """
    code, off, mk = marks
    n_d, bounds, p_close, seg_count, watch = dt
    p_road = th[G_PROAD]
    p_rail = th[G_PRAIL]
    p_blk = th[G_PBLK]
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
        # suspension uniforms are drawn after the loop (kernel.sample_block), and a
        # separate pass to find them cost more than this.
        wl[np.uint64(n_w)] = i
        n_w += int(watch[ud])
    return n_r, n_l, n_b, n_w


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
